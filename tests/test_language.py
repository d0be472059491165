"""Table-driven checks of crawler.language.LanguageIdentifier (offline: bundled fastText model)."""

from __future__ import annotations

import pytest

from crawler.language import LanguageIdentifier


@pytest.fixture(scope="session")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier(("ru", "uk", "be", "en"), default="ru")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Подскажите, во сколько откроется каток в парке?", "ru"),
        ("Третий день нет горячей воды на Садовой, куда звонить?", "ru"),
        ("ЛИФТ НЕ РАБОТАЕТ ВТОРУЮ НЕДЕЛЮ!!!", "ru"),
        ("ne rabotaet lift uzhe tretiy den", "ru"),
        ("[id123|Ivan Petrov], спасибо, уже починили", "ru"),
        ("Скажіть, о котрій відкриється ковзанка в парку?", "uk"),
        ("ЗНОВУ НЕМАЄ ВОДИ!!!", "uk"),
        ("Ґанок у під'їзді розвалився", "uk"),
        ("Скажыце, а якой гадзіне адкрыецца каток у парку?", "be"),
        ("Я ў шоку", "be"),
        ("The skating rink opens at noon", "en"),
    ],
)
def test_detect(identifier: LanguageIdentifier, text: str, expected: str) -> None:
    assert identifier.detect(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😂😂😂", "👍 +1", "+++", "12.03.2025", "8-800-555-35-35", "ок", "ok 👍",
     "https://t.me/city_news/12345", "你好"],
)
def test_no_language_is_und(identifier: LanguageIdentifier, text: str) -> None:
    assert identifier.detect(text) == "und"


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("Спасибо!", "ru", "ru"),
        ("Дякую!", "uk", "uk"),
        ("Дзякуй!", "be", "be"),
        ("Дзякуй!", "ru", "ru"),  # no telling letter: the source's language wins
        ("Дякуємо!", "ru", "uk"),  # є rules Russian out, so the default cannot apply
        ("Я ў шоку", "uk", "be"),  # ў is Belarusian only
        ("Ждём", None, "ru"),  # falls back to the instance default
    ],
)
def test_short_text_keeps_default(identifier: LanguageIdentifier, text: str,
                                  default: str | None, expected: str) -> None:
    assert identifier.detect(text, default=default) == expected


def test_answers_only_candidates() -> None:
    assert LanguageIdentifier(("ru", "uk"), default="ru").detect("Я ў шоку") in {"ru", "uk"}
