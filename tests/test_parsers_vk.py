"""The VK parser on real API bodies (tests/fixtures/real/vk, see its README): older and current
shapes, text as vk.com shows it, every photo with its largest picture, reposts with their original."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from crawler.parsers.vk import parse_comments, parse_wall, read_text
from indexer.schema import Post

REAL = Path(__file__).parent / "fixtures" / "real" / "vk"


def body(name: str) -> Any:
    return json.loads((REAL / name).read_text(encoding="utf-8"))["response"]


def wall(name: str) -> dict[str, Post]:
    page = parse_wall(body(name), "vk_real")
    assert page.problems == []
    return {entry.post.id: entry.post for entry in page.entries}


@pytest.mark.parametrize("raw, shown", [
    ("Поздравляю вас!!!<br>Растите здоровыми", "Поздравляю вас!!!\nРастите здоровыми"),
    ("одна<br/>две<BR />три", "одна\nдве\nтри"),
    ("газета &quot;Правда&quot; за 7 марта", 'газета "Правда" за 7 марта'),
    ("&#10071;Принимаю заказы", "❗Принимаю заказы"),
    ("до 23.00 завтрашнего дня&", "до 23.00 завтрашнего дня&"),
    ("[id6099|Дмитрий], я не хочу спорить", "Дмитрий, я не хочу спорить"),
    ("Перевод [club165511031|Креатуриста].", "Перевод Креатуриста."),
    ("a < b и c > d", "a < b и c > d"),
    ("Строка\nвторая", "Строка\nвторая"),
])
def test_text_reads_as_vk_shows_it(raw: str, shown: str) -> None:
    assert read_text(raw) == shown


def test_br_and_entities_are_gone_from_real_comments_and_posts() -> None:
    page = parse_comments(body("wall_get_comments_br_old_photo.json"), "vk_real", 3073863, 100)
    assert page.problems == []
    assert page.comments[0].text == "Поздравляю вас!!!\nРастите здоровыми, счастливыми и красивыми!"
    posts = wall("wall_get_sizes_entities_link.json")
    assert posts["vk:388444282:11454"].text == "❗Принимаю заказы до 23.00 завтрашнего дня&"
    assert not any("<br" in p.text or "&#" in p.text or "&quot;" in p.text for p in posts.values())


def test_a_photo_in_the_older_shape_has_its_largest_url() -> None:
    comment = parse_comments(body("wall_get_comments_br_old_photo.json"), "vk_real", 3073863, 100).comments[1]
    assert [(a.type, a.url) for a in comment.attachments] == [
        ("photo", "http://cs425830.vk.me/v425830763/48fe/XhRY9Pmoo70.jpg")]  # photo_604, not photo_75


def test_photo_sizes_give_the_largest_picture_whatever_their_order() -> None:
    posts = wall("wall_get_sizes_entities_link.json")
    assert [a.url for a in posts["vk:-31130529:49163"].attachments] == [
        "https://pp.userap51f/aLIYycCg6pA.jpg"]  # the 1920x1280 "w", listed before "x", "y" and "z"
    assert [a.url for a in posts["vk:388444282:11454"].attachments] == [
        "https://pp.userap0e9/dsOJZkkFR8g.jpg", "https://pp.userapffe/qdXN42eqfmI.jpg"]  # each one's "z"


def test_a_video_has_its_largest_thumbnail_and_a_link_its_title() -> None:
    video = wall("wall_get_video_old.json")["vk:-30666517:1258365"].attachments[0]
    assert (video.type, video.url, video.title) == (
        "video", "https://pp.vk.me/c627830/u235845316/video/y_dca48fdd.jpg",
        "Clean Code: Learn to write clean, maintainable and robust code")
    link = wall("wall_get_sizes_entities_link.json")["vk:-184898883:177"].attachments[0]
    assert (link.type, link.url) == ("link", "https://www.fl.ru-cherez-servis.html")
    assert link.title == "помочь организовать парсинг хэштегов из facebook instagram VK через сервис (Бюджет: 10000 руб.)"


def test_a_repost_without_own_text_keeps_the_original() -> None:
    post = wall("wall_get_repost_old_photo.json")["vk:10:41"]
    origin = post.origin
    assert post.text == "" and origin is not None
    assert (origin.id, origin.url) == ("vk:-29246653:93530", "https://vk.com/wall-29246653_93530")
    assert (origin.author.id, origin.author.name) == ("-29246653", "Корпорация Зла")
    assert origin.created_at == datetime.fromtimestamp(1393956845, tz=timezone.utc)
    assert [(a.type, a.url) for a in origin.attachments] == [
        ("photo", "http://cs413130.vk.me/v413130344/9565/jCLiluawfXE.jpg")]
    assert (post.author.id, post.author.name) == ("10", "Иван Иванов")
    poll = wall("wall_get_repost_poll.json")["vk:1563369:1164"]
    assert poll.origin is not None and poll.shared_text == "Мы оформляем храм...\n#пасха #весна #праздник #цветы #храм"


def test_a_repost_with_own_text_keeps_both_texts_and_the_original() -> None:
    post = wall("wall_repost_with_own_text.json")["vk:-83038692:24383"]  # the wall's owner as to_id
    assert post.text == "#koreanmodel #KimShinYeong Kim Shin Yeong"
    assert post.origin is not None and post.origin.text == "Model: jeong.woo.joo"
    assert (post.origin.id, post.origin.author.id) == ("vk:-140849182:46592", "-140849182")
    assert post.shared_text == "#koreanmodel #KimShinYeong Kim Shin Yeong\n\nModel: jeong.woo.joo"
    assert [a.type for a in post.attachments] == ["photo"] and [a.type for a in post.origin.attachments] == ["photo"]


def test_an_own_post_has_no_origin() -> None:
    assert all(p.origin is None for p in wall("wall_get_sizes_entities_link.json").values())


@pytest.mark.parametrize("attachment, expected", [
    ({"type": "photo", "photo": {"sizes": [{"type": "w", "url": "https://v/w.jpg", "width": 0, "height": 0},
                                           {"type": "z", "url": "https://v/z.jpg", "width": 0, "height": 0},
                                           {"type": "s", "url": "https://v/s.jpg", "width": 0, "height": 0}]}},
     ("photo", "https://v/w.jpg", None)),  # no sizes given: VK's order of types, s < … < z < w
    ({"type": "photo", "photo": {"sizes": [{"type": "x", "url": "https://v/x.jpg", "width": 604, "height": 403}],
                                 "orig_photo": {"url": "https://v/orig.jpg", "width": 2560, "height": 1707}}},
     ("photo", "https://v/orig.jpg", None)),  # 5.199's original
    ({"type": "photo", "photo": {"photo_75": "https://v/75.jpg", "photo_1280": "https://v/1280.jpg",
                                 "photo_604": "https://v/604.jpg"}}, ("photo", "https://v/1280.jpg", None)),
    ({"type": "photo", "photo": {"src": "https://v/s.jpg", "src_xbig": "https://v/xbig.jpg",
                                 "src_big": "https://v/big.jpg"}}, ("photo", "https://v/xbig.jpg", None)),  # API 3
    ({"type": "video", "video": {"title": "Прорыв на Речной", "image": [
        {"url": "https://v/320.jpg", "width": 320}, {"url": "https://v/1280.jpg", "width": 1280},
        {"url": "https://v/800.jpg", "width": 800}]}}, ("video", "https://v/1280.jpg", "Прорыв на Речной")),
    ({"type": "doc", "doc": {"title": "График отключений.pdf", "url": "https://vk.com/doc1_2"}},
     ("doc", "https://vk.com/doc1_2", "График отключений.pdf")),
    ({"type": "audio", "audio": {"artist": "Ансамбль", "title": "Песня", "url": ""}}, ("audio", None, "Ансамбль – Песня")),
    ({"type": "poll", "poll": {"question": "Когда дадут воду?"}}, ("poll", None, "Когда дадут воду?")),
    ({"type": "photos_list", "photos_list": None}, ("photos_list", None, None)),
])
def test_each_attachment_shape_gives_its_url_and_title(attachment: dict[str, Any],
                                                       expected: tuple[str, str | None, str | None]) -> None:
    page = parse_wall({"count": 1, "items": [{"id": 1, "owner_id": -1, "date": 1700000000, "text": "",
                                              "attachments": [attachment]}]}, "vk_shapes")
    (found,) = page.entries[0].post.attachments
    assert (found.type, found.url, found.title) == expected
