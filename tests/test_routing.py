"""Routing and incidents: who must act and by when; complaints about one problem are one incident."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
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
    """A webhook receiver that refuses the first ``refuse`` posts with 503. Each post waits until
    ``gate`` is open (it is, unless a test closes it); ``arrived`` is set by the first."""

    def __init__(self, refuse: int = 0) -> None:
        super().__init__()
        self.refuse = refuse
        self.accepted: list[dict] = []
        self.gate = threading.Event()
        self.gate.set()
        self.arrived = threading.Event()

    def handle(self, request: Request) -> Response:
        self.arrived.set()
        self.gate.wait(timeout=60)
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


def outbox_line(incident: object) -> bytes:
    return json.dumps(incident.to_dict(), ensure_ascii=False).encode() + b"\n"  # type: ignore[attr-defined]


def test_an_unreadable_outbox_line_is_quarantined_and_the_lines_after_it_are_sent(
        grouper: Grouper, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    first, second = incidents(grouper)
    outbox = tmp_path / "outbox.jsonl"
    outbox.write_bytes(outbox_line(first) + b'{"id": "cut sh\n' + b"\xff\xfe\n" + b"[1, 2]\n" + outbox_line(second))
    with Receiver() as receiver, caplog.at_level(logging.WARNING):
        sink = WebhookSink(receiver.url, outbox, retries=0)
        assert sink.flush() == 2
    assert [i["id"] for i in receiver.accepted] == [first.id, second.id]
    assert sink.pending() == 0 and sink.quarantined == 3
    kept = [json.loads(line) for line in (tmp_path / "outbox.quarantine.jsonl").read_text().splitlines()]
    assert [k["reason"].split(":")[0] for k in kept] == ["line 2", "line 3", "line 4"]
    assert kept[0]["line"] == '{"id": "cut sh' and "JSONDecodeError" in kept[0]["reason"]
    assert f"3 unreadable lines moved to {tmp_path / 'outbox.quarantine.jsonl'}" in caplog.text


def test_monitor_detect_exits_1_when_outbox_lines_were_moved_aside(grouper: Grouper, tmp_path: Path) -> None:
    first, _ = incidents(grouper)
    outbox = tmp_path / "outbox.jsonl"
    outbox.write_bytes(b'{"id": "cut sh\n' + outbox_line(first))
    with Receiver() as receiver:
        done = subprocess.run([sys.executable, "-m", "monitor", "detect", "--store", f"sqlite:///{tmp_path / 'm.db'}",
                               "-s", f"INCIDENTS_OUTBOX={outbox}"], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "MONITOR_WEBHOOK_URL": receiver.url})
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"1 unreadable lines of the outbox moved to {tmp_path / 'outbox.quarantine.jsonl'}" in done.stdout
    assert [i["id"] for i in receiver.accepted] == [first.id]  # the rest was sent


SENDER = """
import json, sys
from detector.incidents.sinks import WebhookSink
from indexer.schema import Incident
sink = WebhookSink(sys.argv[1], sys.argv[2], retries=0)
new = [Incident.from_dict(json.loads(sys.argv[3]))] if len(sys.argv) > 3 else []
print(sink.send(new), "busy" if sink.busy else "sent", sink.pending())
"""


def test_two_processes_never_both_send_an_outbox_line(grouper: Grouper, tmp_path: Path) -> None:
    """The second sender finds the outbox taken, says so and leaves it; what it added while the
    first was sending is kept, and goes out next time."""
    first, second = incidents(grouper)
    outbox = tmp_path / "outbox.jsonl"
    outbox.write_bytes(outbox_line(first) + outbox_line(second))
    later = {**second.to_dict(), "id": "later-incident"}
    sender = [sys.executable, "-c", SENDER]
    with Receiver() as receiver:
        receiver.gate.clear()  # the first sender's first post waits at the receiver
        sending = subprocess.Popen([*sender, receiver.url, str(outbox)], cwd=ROOT, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert receiver.arrived.wait(timeout=60)
        busy = subprocess.run([*sender, receiver.url, str(outbox), json.dumps(later, ensure_ascii=False)], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        receiver.gate.set()
        out, err = sending.communicate(timeout=60)
        assert busy.stdout.split()[:2] == ["0", "busy"] and f"outbox {outbox} is busy" in busy.stderr, busy.stderr
        assert out.split() == ["2", "sent", "1"], err
        assert [i["id"] for i in receiver.accepted] == [first.id, second.id]
        assert WebhookSink(receiver.url, outbox, retries=0).flush() == 1
    assert [i["id"] for i in receiver.accepted] == [first.id, second.id, "later-incident"]

