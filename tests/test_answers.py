"""Official answers in threads: found whether they come as a reply, as a later comment or from a
second official account, linked to the incident holding the citizen's post with the time of the
first answer; an unanswered incident stays unanswered; staff's and the detector's fields do not undo
each other. Through the Store on SQLite and through the Elasticsearch double."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest

from detector import Detector, DetectorConfig, run_detect
from detector.answers.finding import OfficialAccounts, linked_posts
from detector.jobs.queues import set_status
from indexer.elastic.store import ElasticsearchStore
from indexer.schema import Author, Incident, Post
from indexer.sqlite.store import SqliteStore
from indexer.store import Store
from tests.support.es_double import ElasticsearchDouble

NOW = datetime.now(timezone.utc).replace(microsecond=0)
POTHOLE = "Огромная яма на пр-те Победы, 14, уже третья машина пробила колесо, когда заделают?"
ADMIN = Author("-210004", "Администрация города Приреченска")
VODOKANAL = Author("-210021", "Приреченский водоканал")
ACCOUNTS = OfficialAccounts({"vk:-210004": "Администрация города Приреченска",
                             "vk:-210021": "МУП «Водоканал»"})


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.from_config(DetectorConfig())


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "monitor.db")
    yield opened
    opened.close()


def citizen(number: int, text: str = POTHOLE, hours_ago: float = 30) -> Post:
    return Post(id=f"vk:-1:{number}", platform="vk", source_id="vk_podslushano", kind="post", text=text,
                created_at=NOW - timedelta(hours=hours_ago), source_kind="city_group",
                url=f"https://vk.com/wall-1_{number}", author=Author("4117", "Максим Тарасов"))


def comment(post: int, number: int, text: str, after_hours: float, author: Author = ADMIN,
            reply_to: int | None = None) -> Post:
    root = f"vk:-1:{post}"
    root_at = NOW - timedelta(hours=30)
    return Post(id=f"{root}:{number}", platform="vk", source_id="vk_podslushano", kind="comment", text=text,
                created_at=root_at + timedelta(hours=after_hours), author=author, source_kind="city_group",
                parent_id=f"{root}:{reply_to}" if reply_to else root, thread_root=root)


def detect(store: Store, detector: Detector) -> None:
    run_detect(store, DetectorConfig(), detector=detector, accounts=ACCOUNTS)


def incident_of(store: Store, post_id: str) -> Incident:
    stored = store.get(post_id)
    assert stored is not None and stored.incident_id, f"{post_id} is in no incident"
    incident = store.get_incident(stored.incident_id)
    assert incident is not None
    return incident


def hours_to_answer(incident: Incident) -> float | None:
    if incident.answered_at is None:
        return None
    post_at = NOW - timedelta(hours=30)
    return (incident.answered_at - post_at).total_seconds() / 3600


def test_an_answer_as_a_reply_to_the_citizens_comment_answers_its_incident(store: SqliteStore,
                                                                           detector: Detector) -> None:
    store.upsert([citizen(1, "Сегодня в Заречье опять нет воды с утра, когда дадут?"),
                  comment(1, 2, "На Победы, 14 яма огромная, пробил колесо, когда заделают?", 0.5,
                          Author("4105", "Дима Белов"))])
    detect(store, detector)
    store.upsert([comment(1, 3, "Добрый день! Яму на Победы, 14 заделали сегодня утром, подрядчик ООО «Дорстрой».",
                          5, reply_to=2)])
    detect(store, detector)
    incident = incident_of(store, "vk:-1:1:2")
    assert [a["post_id"] for a in incident.answers] == ["vk:-1:1:3"]
    assert incident.answers[0]["via"] == "reply" and incident.answers[0]["to"] == "vk:-1:1:2"
    assert hours_to_answer(incident) == 5 and incident.answer_quality == "substantive"
    assert "vk:-1:1:3" not in incident.post_ids  # the answer is not a complaint of the incident


def test_an_answer_as_a_later_comment_gives_the_first_answers_time_and_quality(store: SqliteStore,
                                                                               detector: Detector) -> None:
    store.upsert([citizen(1), comment(1, 2, "Там вся правая полоса в ямах до светофора", 0.2,
                                      Author("4105", "Дима Белов"))])
    detect(store, detector)
    store.upsert([comment(1, 3, "Здравствуйте! Ваше обращение передано в профильное ведомство.", 30)])
    detect(store, detector)
    store.upsert([comment(1, 4, "Ямочный ремонт на Победы, 14 выполнен 6 декабря.", 50)])
    detect(store, detector)
    incident = incident_of(store, "vk:-1:1")
    assert [a["post_id"] for a in incident.answers] == ["vk:-1:1:3", "vk:-1:1:4"]
    assert hours_to_answer(incident) == 30 and incident.answer_quality == "otpiska"
    assert incident.answers[0]["markers"] and incident.answers[1]["quality"] == "substantive"


def test_an_answer_from_a_second_official_account_counts_too(store: SqliteStore, detector: Detector) -> None:
    store.upsert([citizen(1, "На Лесной, 3 прорвало трубу, вода хлещет во двор, когда устранят?")])
    detect(store, detector)
    store.upsert([comment(1, 2, "Бригада Водоканала выехала на место, устранят до 18:00.", 2, author=VODOKANAL),
                  comment(1, 3, "Информация передана в МУП «Водоканал».", 3)])
    detect(store, detector)
    incident = incident_of(store, "vk:-1:1")
    assert [a["body"] for a in incident.answers] == ["МУП «Водоканал»", "Администрация города Приреченска"]
    assert hours_to_answer(incident) == 2 and incident.answer_quality == "substantive"


def test_a_thread_without_an_official_answer_leaves_the_incident_unanswered(store: SqliteStore,
                                                                            detector: Detector) -> None:
    store.upsert([citizen(1), comment(1, 2, "Пишите в администрацию, там быстрее", 1, Author("4120", "Люда")),
                  comment(1, 3, "Сами заделаем, соседи уже скинулись", 2, Author("4129", "Коля"))])
    detect(store, detector)
    incident = incident_of(store, "vk:-1:1")
    assert incident.answers == [] and incident.answered_at is None and incident.answer_quality is None


def test_a_city_groups_own_reply_is_not_an_official_answer(store: SqliteStore, detector: Detector) -> None:
    store.upsert([citizen(1), comment(1, 2, "Напишите адрес в личные сообщения группы", 1,
                                      Author("-1", "Подслушано", official=True))])
    detect(store, detector)
    assert incident_of(store, "vk:-1:1").answered_at is None


def test_a_bodys_post_linking_the_citizens_post_answers_it(store: SqliteStore, detector: Detector) -> None:
    store.upsert([citizen(1)])
    detect(store, detector)
    news = Post(id="vk:-210004:900", platform="vk", source_id="vk_admin", kind="post", source_kind="municipal",
                text="По обращению https://vk.com/wall-1_1: ямочный ремонт на Победы, 14 выполнен.",
                created_at=NOW - timedelta(hours=6), author=Author("-210004", "Администрация", official=True))
    store.upsert([news])
    detect(store, detector)
    incident = incident_of(store, "vk:-1:1")
    assert incident.answers[0]["via"] == "link" and hours_to_answer(incident) == 24


def test_staff_and_the_detector_do_not_undo_each_others_answer_fields(store: SqliteStore,
                                                                      detector: Detector) -> None:
    store.upsert([citizen(1)])
    detect(store, detector)
    staff = set_status(store, incident_of(store, "vk:-1:1").id, "answered", by="petrova")
    staff.answer = "Позвонили в УДХ, ремонт в пятницу"
    store.update_incident(staff)
    store.upsert([comment(1, 2, "Яму заделали, спасибо за сигнал!", 10)])
    detect(store, detector)
    incident = incident_of(store, "vk:-1:1")
    assert incident.answer == "Позвонили в УДХ, ремонт в пятницу" and incident.status == "answered"
    assert hours_to_answer(incident) == 10
    set_status(store, incident.id, "closed", by="petrova")
    assert incident_of(store, "vk:-1:1").answered_at == incident.answered_at


def test_answers_are_found_through_the_elasticsearch_double_too(detector: Detector) -> None:
    double = ElasticsearchDouble().start()
    store = ElasticsearchStore.from_url(double.url, {"INDEXER_ES_REFRESH": True})
    try:
        store.upsert([citizen(1)])
        detect(store, detector)
        store.upsert([comment(1, 2, "Добрый день! Информация принята к сведению.", 3)])
        detect(store, detector)
        incident = incident_of(store, "vk:-1:1")
        assert hours_to_answer(incident) == 3 and incident.answer_quality == "otpiska"
    finally:
        store.close()
        double.stop()


@pytest.mark.parametrize(("text", "expected"), [
    ("См. https://vk.com/wall-210001_25101 — отремонтировали", ("vk:-210001:25101",)),
    ("https://t.me/prirechensk_chp/812 и t.me/prirechensk_chp/812?comment=3", ("telegram:prirechensk_chp:812",)),
    ("https://ok.ru/group/70000000210010/topic/155", ("ok:70000000210010:155",)),
    ("без ссылок", ()),
])
def test_a_bodys_post_names_the_posts_it_links(text: str, expected: tuple[str, ...]) -> None:
    post = Post(id="vk:-2:1", platform="vk", source_id="s", kind="post", text=text, created_at=NOW)
    assert linked_posts(post) == expected
