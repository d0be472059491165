"""Reposts and forwards in detection: the detector reads a post's own text with its original's, so a
repost of a complaint is that complaint and a forwarded rumour joins the story it spreads."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from detector import Detector, DetectorConfig, run_detect
from detector.records import detection_record, scoring_record
from indexer.schema import Author, Origin, Post
from indexer.sqlite.store import SqliteStore
from indexer.store import IncidentQuery

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)
COMPLAINT = "Третий день нет горячей воды на Речной 14, УК трубку не берёт!"
RUMOUR = ("СРОЧНО!!! Перешлите всем! Знакомая медсестра из горбольницы сказала: в водопровод Северного района "
          "добавили хлор в опасной дозе, дети в больнице с отравлением, власти молчат. Не пейте воду из-под крана!")


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.from_config(DetectorConfig())


def post(post_id: str, text: str, source: str, hours: float = 0, origin: Origin | None = None,
         platform: str = "vk") -> Post:
    return Post(id=post_id, platform=platform, source_id=source, kind="post", text=text,
                created_at=T0 + timedelta(hours=hours), url=f"https://example.org/{post_id}",
                author=Author("1", "Житель"), origin=origin)


def reposted(text: str) -> Origin:
    return Origin("vk:-7:70", Author("-7", "Подслушано Приреченск"), T0 - timedelta(hours=1),
                  "https://vk.com/wall-7_70", text)


@pytest.mark.parametrize("own", ["", "Смотрите, что пишут"])
def test_a_repost_of_a_complaint_is_scored_as_that_complaint(detector: Detector, own: str) -> None:
    repost = post("vk:5:1", own, "city_group", origin=reposted(COMPLAINT))
    for record in (detection_record(repost, {}), scoring_record(repost, {})):
        scored = detector.score(record)
        assert scored["is_complaint"] and scored["sector"] == "housing"
    assert not detector.score(detection_record(post("vk:5:2", own, "city_group"), {}))["is_complaint"]


def test_a_forwarded_and_a_reposted_rumour_join_the_story_they_spread(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "monitor.db")
    store.upsert([
        post("vk:1:1", RUMOUR, "group_a"),
        post("vk:2:1", "Это правда?! Кто-нибудь знает?", "group_b", hours=0.5, origin=reposted(RUMOUR)),
        post("telegram:chp_north:41", RUMOUR.replace("СРОЧНО!!! ", ""), "tg_north", hours=1, platform="telegram",
             origin=Origin(None, Author(None, "Мамы Северного района"))),
        post("vk:4:1", "На Мира 3 нет света со вчерашнего вечера", "group_a", hours=2),
    ])
    registry = tmp_path / "registry.yml"
    registry.write_text("narratives: []\n", encoding="utf-8")
    try:
        run_detect(store, DetectorConfig(registry=str(registry)))
        items = store.find_incidents(IncidentQuery(queue="factcheck"))
        clusters = {p.id: p.cluster_id for p in (store.get(i) for i in ("vk:1:1", "vk:2:1", "telegram:chp_north:41"))
                    if p is not None}
    finally:
        store.close()
    assert len(set(clusters.values())) == 1 and None not in clusters.values()
    assert len(items) == 1 and items[0].post_ids == ["vk:1:1", "vk:2:1", "telegram:chp_north:41"]
    assert items[0].sources == ["group_a", "group_b", "tg_north"]
