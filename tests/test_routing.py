"""Routing and incidents: who must act and by when; complaints about one problem are one incident."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from detector.incidents.grouping import Grouper
from detector.incidents.routing import Router
from detector.incidents.sinks import WebhookSink
from detector.text.lemmas import Lemmatizer
from tests.support.http_double import HttpDouble, Request, Response

ROOT = Path(__file__).resolve().parent.parent
NOV = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
JUL = datetime(2026, 7, 20, 9, 0, tzinfo=timezone.utc)

SPEC = yaml.safe_load("""
defaults: {body: ЦУР, deadline_hours: 72, also_notify: []}
sectors:
  amenities:
    body: Минстрой
    subsectors:
      - {id: dogs, phrases: [бездомный собака], body: Ветуправление}
    municipalities:
      Приреченск:
        body: Администрация города
        deadline_hours: 48
        districts:
          Заречный: {body: Отдел по Заречному району}
fast_track:
  - {id: gas, phrases: [запах газ], deadline_hours: 1, threat: true, body: Аварийная газовая служба}
  - {id: heating, phrases: [нет отопление], months: [10, 11, 12, 1, 2, 3, 4], deadline_hours: 24}
""")


@pytest.fixture(scope="module")
def lemmatizer() -> Lemmatizer:
    return Lemmatizer()


def route(lemmatizer: Lemmatizer, text: str, sector: str | None = "amenities", municipality: str | None = None,
          district: str | None = None, when: datetime = NOV):
    return Router(SPEC).route(sector, municipality, district, lemmatizer.lemmas(text), when)


def test_the_most_specific_level_wins_field_by_field(lemmatizer: Lemmatizer) -> None:
    assert (route(lemmatizer, "темно во дворе").body, route(lemmatizer, "темно во дворе").deadline_hours) == \
        ("Минстрой", 72)
    town = route(lemmatizer, "темно во дворе", municipality="Приреченск")
    assert (town.body, town.deadline_hours) == ("Администрация города", 48)
    district = route(lemmatizer, "темно во дворе", municipality="Приреченск", district="Заречный")
    assert (district.body, district.deadline_hours) == ("Отдел по Заречному району", 48)  # deadline inherited
    assert route(lemmatizer, "темно во дворе", sector=None).body == "ЦУР"


def test_a_subsector_found_in_the_text_takes_over_everywhere(lemmatizer: Lemmatizer) -> None:
    dogs = route(lemmatizer, "стая бездомных собак у школы", municipality="Приреченск")
    assert dogs.body == "Ветуправление" and "subsector dogs" in dogs.why


def test_fast_track_shortens_the_deadline_and_an_emergency_body_acts_first(lemmatizer: Lemmatizer) -> None:
    gas = route(lemmatizer, "в подъезде сильный запах газа", municipality="Приреченск")
    assert (gas.deadline_hours, gas.body, gas.threat) == (1, "Аварийная газовая служба", True)
    assert "Администрация города" in gas.also_notify


def test_a_seasonal_fast_track_applies_only_in_its_months(lemmatizer: Lemmatizer) -> None:
    assert route(lemmatizer, "в садике нет отопления", when=NOV).deadline_hours == 24
    assert route(lemmatizer, "в садике нет отопления", when=JUL).deadline_hours == 72


def test_the_shipped_routing_table_routes_city_roads_to_the_city(lemmatizer: Lemmatizer) -> None:
    router = Router.load(ROOT / "watchlists" / "routing.yml")
    city = router.route("roads", "Приреченск", "Северный", lemmatizer.lemmas("яма на Победы"), NOV)
    highway = router.route("roads", "Приреченск", None, lemmatizer.lemmas("яма на трассе до Светлоярска"), NOV)
    assert "Приреченска" in city.body and city.deadline_hours == 48
    assert "автодор" in highway.body


def complaint(post_id: str, text: str, *, street: str | None = "ул. Речная", house: str | None = "14",
              sector: str = "housing", hours: float = 0, thread_root: str | None = None,
              source: str = "vk_podslushano") -> dict:
    return {"id": post_id, "text": text, "is_complaint": True, "sector": sector, "source_id": source,
            "created_at": (NOV + timedelta(hours=hours)).isoformat(), "thread_root": thread_root,
            "territory": {"municipality": "Приреченск", "district": "Заречный", "street": street, "house": house,
                          "address": None, "geo": None, "source": "text" if street else None}}


@pytest.fixture
def grouper(lemmatizer: Lemmatizer) -> Grouper:
    return Grouper(Router.load(ROOT / "watchlists" / "routing.yml"), lemmatizer)


def test_residents_writing_about_one_problem_make_one_incident(grouper: Grouper) -> None:
    grouped = grouper.group([
        complaint("vk:1:1", "На Речной 14 нет воды третий день"),
        complaint("vk:1:1:1", "и у нас так же, ни капли", street=None, house=None, thread_root="vk:1:1",
                  hours=1, sector="other"),
        complaint("tg:chp:5", "Речная 14 без воды, когда дадут?", hours=3, source="tg_chp"),
        complaint("vk:1:1:2", "у нас на Кирова 9 тоже сухо", street="ул. Кирова", house="9",
                  thread_root="vk:1:1", hours=2),
    ])
    incidents = sorted((g.incident for g in grouped), key=lambda i: len(i.post_ids), reverse=True)
    assert [i.post_ids for i in incidents] == [["vk:1:1", "vk:1:1:1", "tg:chp:5"], ["vk:1:1:2"]]
    first = incidents[0]
    assert first.sources == ["vk_podslushano", "tg_chp"] and first.queue == "routing" and first.status == "new"
    assert first.body and first.deadline == NOV + timedelta(hours=24)  # fast track: no water
    assert first.territory.street == "ул. Речная"


def test_the_clearest_report_names_the_incident_not_the_first(grouper: Grouper) -> None:
    aside = dict(complaint("vk:1:1", "у нас на Речной 14 в прошлом году сделали горку, дети в восторге"), complaint=0.55)
    clear = dict(complaint("vk:1:2", "На Речной 14 нет воды третий день, никто не отвечает", hours=1), complaint=0.97)
    [grouped] = grouper.group([aside, clear])
    assert grouped.incident.post_ids == ["vk:1:1", "vk:1:2"]
    assert grouped.incident.title.startswith("На Речной 14 нет воды")


def test_near_identical_texts_without_an_address_are_one_incident(grouper: Grouper) -> None:
    grouped = grouper.group([
        complaint("a", "Автобус 12 опять не пришёл утром, ждали час на остановке", street=None, house=None,
                  sector="transport"),
        complaint("b", "автобус 12 опять не пришёл утром, ждали час на остановке!!!", street=None, house=None,
                  sector="transport", hours=2),
        complaint("c", "Автобус 12 не пришёл", street=None, house=None, sector="roads", hours=2),
    ])
    assert sorted(len(g.incident.post_ids) for g in grouped) == [1, 2]


def test_grouping_again_changes_nothing(grouper: Grouper, lemmatizer: Lemmatizer) -> None:
    posts = [complaint("vk:1:1", "На Речной 14 нет воды"), complaint("vk:1:2", "Речная 14 без воды", hours=1)]
    first = grouper.group(posts)
    again = Grouper(Router.load(ROOT / "watchlists" / "routing.yml"), lemmatizer)
    again.add_open([g.incident for g in first])
    assert again.group(posts) == []


def test_a_complaint_after_the_window_opens_a_new_incident(grouper: Grouper) -> None:
    grouped = grouper.group([complaint("a", "На Речной 14 нет воды"),
                             complaint("b", "На Речной 14 опять нет воды", hours=24 * 5)])
    assert len(grouped) == 2


class Receiver(HttpDouble):
    """A webhook receiver that refuses the first ``refuse`` posts with 503."""

    def __init__(self, refuse: int = 0) -> None:
        super().__init__()
        self.refuse = refuse
        self.accepted: list[dict] = []

    def handle(self, request: Request) -> Response:
        if self.refuse > 0:
            self.refuse -= 1
            return Response(503, {"error": "busy"})
        self.accepted.append(request.json())
        return Response(200, {"ok": True})


def incidents(grouper: Grouper) -> list:
    return [g.incident for g in grouper.group([
        complaint("a", "На Речной 14 нет воды"), complaint("b", "Яма на Кирова 5", street="ул. Кирова",
                                                            house="5", sector="roads", hours=1)])]


def test_the_webhook_gets_every_new_incident_in_order_through_refusals(grouper: Grouper, tmp_path: Path) -> None:
    with Receiver(refuse=2) as receiver:
        sink = WebhookSink(receiver.url, tmp_path / "outbox.jsonl", retries=3, backoff=0.01)
        assert sink.send(incidents(grouper)) == 2
    assert [i["post_ids"] for i in receiver.accepted] == [["a"], ["b"]]
    assert sink.pending() == 0


def test_incidents_wait_in_the_outbox_while_the_receiver_is_down(grouper: Grouper, tmp_path: Path) -> None:
    receiver = Receiver()
    receiver.start()
    receiver.stop()
    sink = WebhookSink(receiver.url, tmp_path / "outbox.jsonl", retries=1, backoff=0.01)
    assert sink.send(incidents(grouper)) == 0 and sink.pending() == 2
    with receiver:
        assert sink.flush() == 2
    assert len(receiver.accepted) == 2 and sink.pending() == 0
