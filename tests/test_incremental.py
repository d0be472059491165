"""Incremental detection: a tick scores what is new since the checkpoint, reads only the history it
needs, and ends where a full pass over the same posts ends; on both stores."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

import pytest

from detector import Detector, DetectorConfig, run_detect
from detector.jobs.detect import CHECKPOINT
from indexer.elastic.store import ElasticsearchStore
from indexer.schema import Incident, Post
from indexer.sqlite.store import SqliteStore
from indexer.store import IncidentQuery, Query, Store
from tests.support.es_double import ElasticsearchDouble

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "detector" / "training" / "corpus" / "complaints" / "test.jsonl"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
SOURCES = ("vk_podslushano", "vk_zarechny", "tg_chp", "vk_mayor")
NO_MARGIN = timedelta(0)  # the tests' writes all happen within the default margin of two minutes


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.from_config(DetectorConfig())


@contextmanager
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    tmp_path.mkdir(exist_ok=True)
    opened = SqliteStore(tmp_path / "monitor.db")
    yield opened
    opened.close()


@contextmanager
def elasticsearch_store(tmp_path: Path) -> Iterator[Store]:
    with ElasticsearchDouble() as double:
        opened = ElasticsearchStore.from_url(double.url, {"INDEXER_ES_REFRESH": True})
        yield opened
        opened.close()


Opener = Callable[[Path], AbstractContextManager[Store]]


@pytest.fixture(params=[sqlite_store, elasticsearch_store], ids=["sqlite", "elasticsearch-double"])
def opener(request: pytest.FixtureRequest) -> Opener:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def store(opener: Opener, tmp_path: Path) -> Iterator[Store]:
    with opener(tmp_path) as opened:
        yield opened


def corpus_posts() -> list[Post]:
    """The held-out complaints corpus as posts of one day, an hour apart every ~16 posts."""
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Post(id=f"vk:-7:{n}", platform="vk", source_id=SOURCES[n % len(SOURCES)], kind="post", text=row["text"],
                 created_at=NOW - timedelta(hours=24) + timedelta(minutes=4 * n), source_kind="city_group")
            for n, row in enumerate(rows)]


def post(number: int, text: str, minutes_ago: float = 1) -> Post:
    return Post(id=f"vk:-8:{number}", platform="vk", source_id="vk_podslushano", kind="post", text=text,
                created_at=NOW - timedelta(minutes=minutes_ago), source_kind="city_group")


def groups(store: Store) -> set[frozenset[str]]:
    """The routing incidents as the sets of posts they hold."""
    return {frozenset(i.post_ids) for i in store.find_incidents(IncidentQuery(queue="routing", limit=10_000))}


def partition(store: Store, field: str) -> set[frozenset[str]]:
    """The stored posts grouped by one field's value (e.g. their clusters), ids only."""
    by_value: dict[str, set[str]] = defaultdict(set)
    for one in store.search(Query(limit=10_000)):
        value = getattr(one, field)
        if value is not None:
            by_value[value].add(one.id)
    return {frozenset(ids) for ids in by_value.values()}


def test_a_tick_scores_only_what_is_new_and_reads_little_history(store: Store, detector: Detector) -> None:
    history = corpus_posts()
    store.upsert(history)
    first = run_detect(store, DetectorConfig(), detector=detector, margin=NO_MARGIN)
    assert first.mode == "full" and first.scored == len(history)
    store.upsert([post(1, "Опять нет горячей воды на Мира 14, третий день, УК не отвечает"),
                  post(2, "Какой красивый закат сегодня над рекой")])
    tick = run_detect(store, DetectorConfig(), detector=detector, margin=NO_MARGIN)
    assert (tick.mode, tick.scored) == ("incremental", 2)
    assert tick.context < len(history) // 4  # near-copies, clusters and threads of the new posts, not the day
    assert store.get("vk:-8:1").is_complaint and not store.get("vk:-8:2").is_complaint  # type: ignore[union-attr]
    idle = run_detect(store, DetectorConfig(), detector=detector, margin=NO_MARGIN)
    assert (idle.scored, idle.incidents_new, idle.incidents_grown) == (0, 0, 0)


def test_ticks_end_where_one_full_pass_ends(opener: Opener, tmp_path: Path, detector: Detector) -> None:
    posts = corpus_posts()
    with opener(tmp_path / "ticks") as ticked, opener(tmp_path / "full") as once:
        ticks_end_where_one_pass_ends(ticked, once, posts, detector)


def ticks_end_where_one_pass_ends(ticked: Store, once: Store, posts: list[Post], detector: Detector) -> None:
    for start in range(0, len(posts), 60):  # six ticks of four hours' posts each
        ticked.upsert(posts[start:start + 60])
        run_detect(ticked, DetectorConfig(), detector=detector, margin=NO_MARGIN)
    once.upsert(posts)
    run_detect(once, DetectorConfig(), detector=detector, full=True)
    assert groups(ticked) == groups(once)
    assert partition(ticked, "cluster_id") == partition(once, "cluster_id")
    complaints = {p.id for p in once.search(Query(limit=10_000)) if p.is_complaint}
    assert {p.id for p in ticked.search(Query(limit=10_000)) if p.is_complaint} == complaints


def test_more_changes_than_one_run_reads_wait_for_the_next_runs_none_skipped(
        opener: Opener, tmp_path: Path, detector: Detector) -> None:
    posts = corpus_posts()[:180]
    capped = DetectorConfig(max_posts=50)
    with opener(tmp_path / "ticks") as ticked, opener(tmp_path / "full") as once:
        ticked.upsert(posts[:60])
        run_detect(ticked, DetectorConfig(), detector=detector, margin=NO_MARGIN)
        for start in range(60, 180, 20):  # 120 posts change before the next run, which reads 50
            ticked.upsert(posts[start:start + 20])
            time.sleep(0.01)
        runs = []
        while not runs or runs[-1].left:
            runs.append(run_detect(ticked, capped, detector=detector, margin=NO_MARGIN))
            assert len(runs) < 6
        assert [r.scored for r in runs] == [40, 40, 40] and [r.left for r in runs] == [80, 40, 0]
        assert "80 changed posts left for the next run" in runs[0].summary()
        once.upsert(posts)
        run_detect(once, DetectorConfig(), detector=detector, full=True)
        assert groups(ticked) == groups(once)
        assert all(p.complaint is not None for p in ticked.search(Query(limit=1000)))


def test_posts_read_again_within_the_margin_change_nothing(store: Store, detector: Detector) -> None:
    store.upsert(corpus_posts()[:120])
    run_detect(store, DetectorConfig(), detector=detector)
    before = [(i.id, i.post_ids, i.status) for i in store.find_incidents(IncidentQuery(limit=10_000))]
    again = run_detect(store, DetectorConfig(), detector=detector)  # everything was written within the margin
    assert again.mode == "incremental" and again.scored == 120
    assert (again.incidents_new, again.changed) == (0, 0)
    assert [(i.id, i.post_ids, i.status) for i in store.find_incidents(IncidentQuery(limit=10_000))] == before


def test_a_failed_run_leaves_the_checkpoint_where_it_was(store: Store, detector: Detector,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    store.upsert(corpus_posts()[:40])
    run_detect(store, DetectorConfig(), detector=detector, margin=NO_MARGIN)
    checkpoint = store.get_cursor(CHECKPOINT)
    store.upsert([post(1, "Нет света на улице Ленина 5 второй день")])

    def outage(incidents: list[Incident]) -> None:
        raise OSError("the store went away")

    monkeypatch.setattr(store, "upsert_incidents", outage)
    with pytest.raises(OSError):
        run_detect(store, DetectorConfig(), detector=detector, margin=NO_MARGIN)
    assert store.get_cursor(CHECKPOINT) == checkpoint
    monkeypatch.undo()
    retried = run_detect(store, DetectorConfig(), detector=detector, margin=NO_MARGIN)
    assert retried.scored == 1 and store.get("vk:-8:1").incident_id  # type: ignore[union-attr]


def test_an_incident_whose_deadline_passed_is_flagged_overdue_by_a_tick_with_nothing_new(
        store: Store, detector: Detector) -> None:
    store.upsert([post(1, "Огромная яма на пр-те Победы, 14, уже третья машина пробила колесо", minutes_ago=60)])
    run_detect(store, DetectorConfig(), detector=detector, margin=NO_MARGIN)
    incident, = store.find_incidents(IncidentQuery(queue="routing"))
    assert not stored_overdue(store, incident.id)
    incident.deadline = datetime.now(timezone.utc) + timedelta(seconds=1)
    store.upsert_incidents([incident])
    store.set_cursor(CHECKPOINT, {"at": datetime.now(timezone.utc).isoformat()})
    time.sleep(1.5)
    tick = run_detect(store, DetectorConfig(), detector=detector, margin=NO_MARGIN)
    assert tick.scored == 0
    assert stored_overdue(store, incident.id)


def stored_overdue(store: Store, incident_id: str) -> bool:
    """The overdue flag as stored, which Kibana's queue filters on (an Incident computes its own)."""
    if isinstance(store, SqliteStore):
        row = store._db.execute("SELECT doc ->> '$.overdue' FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        return bool(row[0])
    assert isinstance(store, ElasticsearchStore)
    return bool(store.client.get(index=store.layout.alias("incidents"), id=incident_id)["_source"]["overdue"])
