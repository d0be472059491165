"""An incident's life as staff live it: what they do sticks through every detection, a closed
incident stays closed, a repeat appeal is linked (or reopens within a window), every change is in
the history, and a change made on an older state is never silently lost."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from detector import Change, Detector, DetectorConfig, ReviewError, change_incident, run_detect, set_status
from indexer.schema import Incident, Post
from indexer.sqlite.store import SqliteStore
from indexer.store import IncidentQuery

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.now(timezone.utc).replace(microsecond=0)
POTHOLE = "Огромная яма на пр-те Победы, 14, уже третья машина пробила колесо, когда заделают?"


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.from_config(DetectorConfig())


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "monitor.db")
    yield opened
    opened.close()


def post(number: int, text: str, hours_ago: float) -> Post:
    return Post(id=f"vk:-1:{number}", platform="vk", source_id="vk_podslushano", kind="post", text=text,
                created_at=NOW - timedelta(hours=hours_ago), source_kind="city_group")


def detect(store: SqliteStore, detector: Detector, **config: Any) -> None:
    run_detect(store, DetectorConfig(**config), detector=detector)


def the_incident(store: SqliteStore, post_id: str) -> Incident:
    stored = store.get(post_id)
    assert stored is not None and stored.incident_id, f"{post_id} is in no incident"
    incident = store.get_incident(stored.incident_id)
    assert incident is not None
    return incident


def test_a_closed_incident_stays_closed_through_the_next_detections(store: SqliteStore, detector: Detector) -> None:
    store.upsert([post(1, POTHOLE, hours_ago=5), post(2, "Подтверждаю, на Победы 14 яма огромная, объезжаем", 4)])
    detect(store, detector)
    opened = the_incident(store, "vk:-1:1")
    set_status(store, opened.id, "closed", by="petrova")
    detect(store, detector)
    detect(store, detector)
    assert the_incident(store, "vk:-1:1").status == "closed"
    routing = store.find_incidents(IncidentQuery(queue="routing"))
    assert [(i.id, i.status) for i in routing] == [(opened.id, "closed")]  # no duplicate, nothing reopened


def test_a_new_post_about_a_closed_problem_is_a_repeat_appeal_linked_to_it(store: SqliteStore,
                                                                           detector: Detector) -> None:
    store.upsert([post(1, POTHOLE, hours_ago=30)])
    detect(store, detector)
    closed = set_status(store, the_incident(store, "vk:-1:1").id, "closed", by="petrova")
    store.upsert([post(3, "Яма на пр-те Победы, 14 опять на месте, никто ничего не сделал", 1)])
    detect(store, detector)
    repeat = the_incident(store, "vk:-1:3")
    assert repeat.id != closed.id and repeat.repeat_of == closed.id and repeat.status == "new"
    assert repeat.title.startswith("Повторное обращение")
    assert store.get_incident(closed.id).status == "closed"  # type: ignore[union-attr]


def test_within_the_reopen_window_a_repeat_reopens_the_incident_saying_why(store: SqliteStore,
                                                                          detector: Detector) -> None:
    store.upsert([post(1, POTHOLE, hours_ago=30)])
    detect(store, detector)
    closed = set_status(store, the_incident(store, "vk:-1:1").id, "closed", by="petrova")
    store.upsert([post(3, "Яма на пр-те Победы, 14 опять на месте, никто ничего не сделал", 1)])
    detect(store, detector, incidents_reopen_hours=24)
    reopened = the_incident(store, "vk:-1:3")
    assert reopened.id == closed.id and reopened.status == "new" and reopened.closed_at is None
    last = reopened.history[-1]
    assert (last["by"], last["field"], last["from"], last["to"]) == ("detector", "status", "closed", "new")
    assert "vk:-1:3" in last["reason"]


def test_moving_back_needs_a_reason_and_every_change_is_recorded(store: SqliteStore, detector: Detector) -> None:
    store.upsert([post(1, POTHOLE, hours_ago=3)])
    detect(store, detector)
    incident_id = the_incident(store, "vk:-1:1").id
    change_incident(store, incident_id, Change(by="petrova", assignee="Дорожный отдел"))
    change_incident(store, incident_id, Change(by="petrova", answer="https://vk.com/wall-1_77"))
    with pytest.raises(ReviewError, match="needs a reason"):
        set_status(store, incident_id, "assigned", by="petrova")
    change_incident(store, incident_id, Change(by="ivanov", status="assigned", reason="жители пишут: не сделано"))
    incident = store.get_incident(incident_id)
    assert incident is not None
    assert [(h["by"], h["field"], h["from"], h["to"]) for h in incident.history] == [
        ("petrova", "assignee", None, "Дорожный отдел"), ("petrova", "status", "new", "assigned"),
        ("petrova", "answer", None, "https://vk.com/wall-1_77"), ("petrova", "status", "assigned", "answered"),
        ("ivanov", "status", "answered", "assigned")]
    assert incident.history[-1]["reason"] == "жители пишут: не сделано"


class OperatorWhileDetecting(SqliteStore):
    """A store at which an operator takes every open incident right after the detector read them."""

    def find_incidents(self, query: IncidentQuery) -> list[Incident]:
        found = super().find_incidents(query)
        if query.status == ("new", "assigned"):
            for incident in found:
                change_incident(self, incident.id, Change(by="operator", assignee="Дорожный отдел"))
        return found


def test_a_status_changed_while_detect_runs_is_not_reverted(tmp_path: Path, detector: Detector) -> None:
    first = SqliteStore(tmp_path / "monitor.db")
    first.upsert([post(1, POTHOLE, hours_ago=5)])
    detect(first, detector)
    first.close()
    racing = OperatorWhileDetecting(tmp_path / "monitor.db")
    racing.upsert([post(2, "Подтверждаю, на Победы 14 яма огромная, объезжаем", 1)])
    detect(racing, detector)  # it read the incident open and grows it with the new post
    incident = the_incident(racing, "vk:-1:1")
    assert (incident.status, incident.assignee) == ("assigned", "Дорожный отдел") and "vk:-1:2" in incident.post_ids
    racing.close()


class DetectorBetweenReadAndWrite(SqliteStore):
    """A store at which the detector grows an incident between a staff member's read and write."""

    raced = False

    def get_incident(self, incident_id: str) -> Incident | None:
        read = super().get_incident(incident_id)
        if read is not None and not self.raced:
            self.raced = True
            grown = super().get_incident(incident_id)
            assert grown is not None
            grown.post_ids.append("vk:-1:99")
            self.upsert_incidents([grown])
        return read


def test_a_staff_change_made_on_an_older_state_is_made_again_on_the_fresh_one(tmp_path: Path,
                                                                             detector: Detector) -> None:
    store = DetectorBetweenReadAndWrite(tmp_path / "monitor.db")
    store.upsert([post(1, POTHOLE, hours_ago=5)])
    detect(store, detector)
    incident_id = the_incident(store, "vk:-1:1").id
    changed = change_incident(store, incident_id, Change(by="petrova", status="closed"))
    assert store.raced and changed.status == "closed" and "vk:-1:99" in changed.post_ids
    store.close()


def test_monitor_incident_assigns_answers_and_shows_the_history(tmp_path: Path, detector: Detector) -> None:
    store = SqliteStore(tmp_path / "monitor.db")
    store.upsert([post(1, POTHOLE, hours_ago=3)])
    detect(store, detector)
    incident_id = the_incident(store, "vk:-1:1").id
    store.close()
    url = f"sqlite:///{tmp_path / 'monitor.db'}"

    def monitor(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "monitor", "incident", incident_id, *args, "--store", url],
                              capture_output=True, text=True, cwd=tmp_path, timeout=60)

    assert monitor("--assignee", "Дорожный отдел", "--by", "petrova").stdout.startswith(f"{incident_id}: assigned")
    back = monitor("--status", "new", "--by", "petrova")
    assert back.returncode == 2 and "needs a reason" in back.stderr and "Traceback" not in back.stderr
    shown = monitor("--history")
    assert shown.returncode == 0, shown.stderr
    assert "petrova: assignee None → Дорожный отдел" in shown.stdout and "status new → assigned" in shown.stdout
