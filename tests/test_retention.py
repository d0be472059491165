"""Retention in days: posts, closed incidents, the spool's rejected and quarantined files and the
outboxes are deleted once older than their settings, on both stores, as time passes (a fixed
``now``); the scheduler runs it; a file of the previous SQLite layout gets the erasure log."""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from crawler.process import project_settings
from crawler.scheduler import Scheduler
from detector.exceptions import ConfigError
from detector.jobs.forget import Places, Retention, expire
from indexer.schema import Author, Incident, Post, make_id
from indexer.spool import Spool
from indexer.sqlite import schema
from indexer.sqlite.store import SqliteStore
from indexer.store import IncidentQuery, Query, Store
from tests.support.stores import BACKENDS, both_stores

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)
RETENTION = Retention(posts_days=180, incidents_days=365, spool_days=30, outbox_days=30)


store = pytest.fixture(**BACKENDS)(both_stores)


def post(number: int, created: datetime | None, comment: int | None = None) -> Post:
    return Post(id=make_id("vk", -1, number, comment), platform="vk", source_id="vk_a",
                kind="comment" if comment else "post", text=f"Жалоба номер {number}", created_at=created,
                crawled_at=created or T0 + 50 * DAY, author=Author("5", "Имя"), parent_id=make_id("vk", -1, number) if comment else None,
                thread_root=make_id("vk", -1, number) if comment else None)


def closed(number: int, at: datetime, status: str = "closed") -> Incident:
    return Incident(id=f"inc-{number}", kind="complaint", queue="routing", opened_at=at - DAY, status=status,
                    closed_at=at if status == "closed" else None, status_at=at, post_ids=[f"vk:-1:{number}"])


def test_posts_and_closed_incidents_go_once_older_than_their_days(store: Store, tmp_path: Path) -> None:
    store.upsert([post(1, T0), post(1, T0 + DAY, comment=1), post(2, T0 + 100 * DAY), post(3, None)])
    store.upsert_incidents([closed(1, T0), closed(2, T0 + 200 * DAY), closed(3, T0, status="answered")])

    now = T0 + 180 * DAY + timedelta(hours=1)  # post 1 is 180 days and an hour old, its comment a day younger
    first = expire(store, RETENTION, Places(), now=now)
    assert {p.id for p in store.search(Query(limit=100))} == {"vk:-1:1:1", "vk:-1:2", "vk:-1:3"}
    assert (first.counts["posts"], first.counts["comments"], first.counts["incidents"]) == (1, 0, 0)

    later = expire(store, RETENTION, Places(), now=T0 + 366 * DAY)  # the undated one: crawled at T0 + 50 days
    assert store.search(Query(limit=100)) == []
    assert (later.counts["posts"], later.counts["comments"], later.counts["incidents"]) == (2, 1, 1)
    assert sorted(i.id for i in store.find_incidents(IncidentQuery())) == ["inc-2", "inc-3"]  # inc-3 is open
    assert [r.selector.kind for r in store.erasures()] == ["expired", "expired"]
    assert "posts 180d" in store.erasures()[0].selector.value


def test_zero_days_keeps_for_ever(store: Store) -> None:
    store.upsert([post(1, T0)])
    store.upsert_incidents([closed(1, T0)])
    expire(store, Retention(0, 0, 0, 0), Places(), now=T0 + 10_000 * DAY)
    assert store.get("vk:-1:1") is not None and store.get_incident("inc-1") is not None


def test_the_spools_rejected_and_quarantined_files_go_after_their_days_waiting_ones_stay(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    waiting = spool.append([post(1, T0)])
    rejected = spool.reject([(post(2, T0), "mapper_parsing_exception")])
    quarantine = tmp_path / "spool" / "quarantine" / rejected.name
    quarantine.parent.mkdir()
    quarantine.write_text("{cut", encoding="utf-8")
    reason = quarantine.with_name(quarantine.name + ".reason")
    reason.write_text("line 1: cut\n", encoding="utf-8")
    written = datetime.now(timezone.utc)
    store = SqliteStore(tmp_path / "m.db")
    kept = expire(store, RETENTION, Places(spool=tmp_path / "spool"), now=written + 29 * DAY)
    assert kept.counts["spool"] == 0 and rejected.exists()
    gone = expire(store, RETENTION, Places(spool=tmp_path / "spool"), now=written + 31 * DAY)
    assert gone.counts["spool"] == 2
    assert not rejected.exists() and not quarantine.exists() and not reason.exists() and waiting.exists()


def test_outbox_records_no_receiver_took_go_after_their_days(tmp_path: Path) -> None:
    outbox = tmp_path / "incidents.jsonl"
    old, new = closed(1, T0, status="new"), closed(2, T0 + 40 * DAY, status="new")
    old.updated_at, new.updated_at = T0, T0 + 40 * DAY
    outbox.write_text("".join(json.dumps(i.to_dict()) + "\n" for i in (old, new)), encoding="utf-8")
    quarantine = tmp_path / "incidents.quarantine.jsonl"
    quarantine.write_text(json.dumps({"quarantined_at": T0.isoformat(), "line": "{cut", "reason": "x"}) + "\n",
                          encoding="utf-8")
    done = expire(SqliteStore(tmp_path / "m.db"), RETENTION, Places(outboxes=(outbox,)), now=T0 + 45 * DAY)
    assert done.counts["outbox"] == 2
    assert [json.loads(line)["id"] for line in outbox.read_text(encoding="utf-8").splitlines()] == ["inc-2"]
    assert quarantine.read_text(encoding="utf-8") == ""


@pytest.mark.parametrize("value", ["-1", "a week"])
def test_a_retention_that_is_not_a_number_of_days_is_refused_by_name(value: str) -> None:
    with pytest.raises(ConfigError, match=f"RETENTION_SPOOL_DAYS={value!r}: expected a number of days"):
        Retention.from_settings({"RETENTION_SPOOL_DAYS": value}.get)


def test_a_file_of_the_previous_layout_gets_the_erasure_log(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    store = SqliteStore(path)
    store.upsert([post(1, T0)])
    store.close()
    with sqlite3.connect(path) as db:  # as version 3 left it: no erasure log
        db.execute("DROP TABLE erasures")
        db.execute("PRAGMA user_version = 3")
    store = SqliteStore(path)
    assert store.erasures() == [] and store.get("vk:-1:1") is not None
    expire(store, RETENTION, Places(), now=T0)
    assert len(store.erasures()) == 1
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == schema.VERSION == 4


def test_the_scheduler_runs_retention_on_its_timer(tmp_path: Path) -> None:
    watchlist = tmp_path / "watchlist.yml"
    watchlist.write_text("sources: []\n", encoding="utf-8")
    store = tmp_path / "m.db"
    SqliteStore(store).upsert([post(1, datetime.now(timezone.utc) - 400 * DAY)])
    runner = Scheduler(project_settings({
        "WATCHLIST": str(watchlist), "SCHEDULE_DETECT_INTERVAL": 0, "SCHEDULE_SPIKES_INTERVAL": 0,
        "SCHEDULE_RETENTION_INTERVAL": 3600, "SCHEDULE_RUN_DIR": str(tmp_path / "runs"),
        "SCHEDULE_HEARTBEAT": str(tmp_path / "heartbeat"), "INDEXER_STORE_URL": f"sqlite:///{store}",
        "REPORT_WEEKDAY": 0}),  # no weekly report run (due on a Monday morning) in this test
        ["--store", f"sqlite:///{store}", "-s", f"INDEXER_SPOOL_DIR={tmp_path / 'spool'}"])
    runner.step(time.monotonic())
    assert runner.retaining is not None and runner.retaining.wait(timeout=60) == 0
    first = runner.retaining
    runner.step(time.monotonic())
    assert runner.retaining is None  # reaped; the next one is an hour away
    log = (tmp_path / "runs" / "retention.log").read_text(encoding="utf-8")
    assert "expired" in log and "posts 1" in log, log
    assert SqliteStore(store).search(Query()) == [] and first.args[:4] == [sys.executable, "-m", "monitor", "forget"]
