"""Who speaks: a reader's message a community page publishes as itself is a citizen's post; the
page's own words, and an official page's, are answers and news."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crawler.parsers.vk import parse_wall
from detector.complaints.speaker import page_speaks, published_for_a_reader
from detector.config import DetectorConfig
from detector.scoring import Detector
from indexer.store import Query

ROOT = Path(__file__).resolve().parent.parent

READERS = {  # posts the page's own account published for a reader, in the replay world
    "vk:-210001:25152": "housing",  # "Анонимно. В доме на ул. Школьной, 9 ... в подвале стоит вода"
    "vk:-210001:25153": "waste",  # "Пишет подписчица: «Гагарина, 8 — контейнерную площадку не вывозили ..."
    "vk:-210006:3333": "housing",  # "Прислали в предложку: в 4 мкр у 7 дома ... прорыв трубы"
    "telegram:chp_prirechensk:4900": "housing",  # "Пишет подписчик: «Пр-т Победы, 31 — лифт ... стоит"
    "telegram:chp_prirechensk:4901": "amenities",  # a reader's message forwarded to the channel
}
PAGES_OWN = ("vk:-210001:25162",)  # "Администрация города сообщает: ... будет отключена холодная вода"


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.from_config(DetectorConfig())


@pytest.mark.parametrize("text, mark", [
    ("Анонимно. В подвале вода", "анонимно"),
    ("#анонимно нет света третий день", "#анонимно"),
    ("Пишет подписчица: не вывозят мусор", "пишет подписчица"),
    ("Вопрос от подписчика: когда дадут воду?", "вопрос от подписчика"),
    ("Прислали в предложку: яма на Победы", "в предложку"),
    ("Нам пишут, что на Мира не горят фонари", "нам пишут"),
    ("Жители пишут: автобус №5 не ходит с утра", "жители пишут"),
    ("Плановое отключение воды 14 ноября", None),
    ("Администрация сообщает о ремонте дороги", None),
    ("Подписывайтесь на наш канал", None),
])
def test_a_pages_mark_of_a_readers_message_is_found(text: str, mark: str | None) -> None:
    assert published_for_a_reader(text) == mark


@pytest.mark.parametrize("record, speaks", [
    ({"official": True, "source_kind": "city_group"}, True),  # the group's own news
    ({"official": True, "source_kind": "municipal", "mark": True}, True),  # an official page: always its own
    ({"official": True, "source_kind": "city_group", "mark": True}, False),  # a reader's, published by the group
    ({"official": True, "source_kind": "media", "mark": True}, False),  # a channel retelling a reader
    ({"official": False, "source_kind": "city_group"}, False),  # a citizen's own post
])
def test_the_page_speaks_only_in_its_own_words(record: dict[str, Any], speaks: bool) -> None:
    text = "Пишет подписчик: третий день нет воды" if record.pop("mark", False) else "Третий день нет воды"
    assert page_speaks(record, text)[0] is speaks


def test_a_readers_message_the_group_published_is_a_complaint(detector: Detector) -> None:
    text = "Анонимно. Третий день нет горячей воды на Речной 14, в УК не отвечают. Когда дадут?"
    group = detector.score({"id": "a", "text": text, "source_kind": "city_group", "official": True})
    assert group["is_complaint"] and group["sector"] == "housing" and "«анонимно»" in group["explain"]["rules"][0]
    answer = detector.score({"id": "b", "text": "Нет горячей воды на Речной 14 из-за аварии, бригада работает.",
                             "source_kind": "city_group", "official": True})
    assert not answer["is_complaint"]


def test_a_suggested_vk_post_is_not_the_groups_own_word() -> None:
    body = {"count": 2, "items": [
        {"id": 1, "owner_id": -5, "from_id": -5, "date": 1700000000, "post_type": "suggest", "text": "Яма на Мира"},
        {"id": 2, "owner_id": -5, "from_id": -5, "date": 1700000000, "post_type": "post", "text": "Новости"}]}
    assert [e.post.author.official for e in parse_wall(body, "vk_x").entries] == [False, True]


def test_readers_posts_the_replay_pages_publish_are_complaints_and_their_own_words_are_not(crawl) -> None:
    result = crawl("vk_podslushano", "vk_svetloyarsk", "tg_chp", "vk_admin")
    assert result.returncode == 0, result.output
    detected = subprocess.run([sys.executable, "-m", "monitor", "detect", "--store", f"sqlite:///{result.store_path}"],
                              capture_output=True, text=True, cwd=ROOT, timeout=300,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert detected.returncode == 0, detected.stderr
    store = result.store()
    try:
        readers = {post_id: store.get(post_id) for post_id in READERS}
        own = [store.get(post_id) for post_id in PAGES_OWN]
        admin = [p for p in store.search(Query(source_id="vk_admin", limit=10_000)) if p.author.official]
    finally:
        store.close()
    assert all(p is not None and p.author.official for p in own)
    assert {i: (p.is_complaint, p.sector) for i, p in readers.items() if p} == {i: (True, s) for i, s in READERS.items()}
    assert admin and not any(p.is_complaint for p in own + admin)
