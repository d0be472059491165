"""A week in the life: the replay region writes for seven simulated days, every hour; each tick the
scheduler's work happens (every source crawled, then an incremental detect) on SQLite and on the
Elasticsearch double side by side, and a scripted staff member works the queues between ticks and
while detection runs. After every tick the invariants of ``tests/support/invariants.py`` hold.

The world's week ends now: it starts seven days ago and every page publishes its posts again
every 84 hours, so complaints about the same problems come back (repeat appeals, reopening).
Its clock runs ahead of the crawler's: the crawl's comment window is stretched by the gap, so it
covers the world's last four days (the demo data's latest comment comes 74 hours after its post).
Crawls run in long-lived worker processes (``crawl_in``, the crawl ``monitor crawl`` makes),
detection in this process (``run_detect``, what ``monitor detect`` calls).
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import pytest

from crawler.watchlist import load_watchlist
from detector import Detector, DetectorConfig, run_detect
from indexer.elastic.store import ElasticsearchStore
from indexer.schema import make_id
from indexer.sqlite.store import SqliteStore
from replay import ok
from replay.process import ReplayProcess
from replay.world import Message, Page, World, load_world
from tests.support import invariants
from tests.support.crawl_worker import CrawlWorker
from tests.support.es_double import ElasticsearchDouble
from tests.support.invariants import Snapshot
from tests.support.staff import Staff

if TYPE_CHECKING:
    from indexer.schema import Incident
    from indexer.store import Store

DAYS = 7
REPEAT = timedelta(hours=84)
COMMENT_DAYS = 4.0  # the world's days whose comments each crawl looks at again
SEED = 7
REOPEN_HOURS = 12.0  # a repeat this soon after closing reopens the incident; later, a linked new one
WATCHLIST = load_watchlist(None)
# Every demo source but the board built by JavaScript (a browser per crawl; tests/test_spider_rendered.py)
SOURCES = {s.id: s for s in WATCHLIST.sources if s.platform != "rendered"}


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.from_config(DetectorConfig())


@dataclass
class Side:
    """One store of the week: its crawl worker, its staff member, what it held at the last tick."""

    name: str
    store: Store
    worker: CrawlWorker
    staff: Staff
    crawl_settings: dict[str, Any]
    closed: dict[str, int] = field(default_factory=dict)  # incidents closed at the last tick: their history's length


class StaffDuringDetect:
    """The store as detection sees it, with the staff member moving on the incidents the detector
    is about to write, after it read them: people work the queue while detect runs."""

    def __init__(self, store: Store, staff: Staff, now: datetime, moves: int) -> None:
        self._store, self._staff, self._now, self._moves = store, staff, now, moves

    def upsert_incidents(self, incidents: list[Incident]) -> None:
        self._staff.act(self._now, self._moves, among={incident.id for incident in incidents})
        self._store.upsert_incidents(incidents)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def published(world: World, base: str) -> set[str]:
    """The ids the crawler gives every message the world shows now on the week's sources."""
    ids: set[str] = set()
    for source_id in SOURCES:
        page = world.pages.get(source_id)
        for post in world.posts(source_id) if page else []:
            ids.update(_ids(world, page, post, base))  # type: ignore[arg-type]
    return ids


def _ids(world: World, page: Page, post: Message, base: str) -> Iterator[str]:
    if page.platform in ("vk", "telegram"):
        owner = page.address["owner_id"] if page.platform == "vk" else page.address["channel"]
        yield make_id(page.platform, owner, post.id)
        if page.platform == "vk" or page.address.get("discussion"):
            yield from (make_id(page.platform, owner, post.id, post.id * 1000 + c.id) for c in _thread(world, post))
    elif page.platform == "ok":  # topic and comment ids as replay/ok.py writes them
        gid, topic = page.address["gid"], ok.TOPIC_BASE + post.id
        yield make_id("ok", gid, topic)
        yield from (make_id("ok", gid, topic, ok.comment_id(post, c)) for c in _thread(world, post))
    elif page.platform == "rss":  # the entry's guid: the Atom id, or the RSS item's link (replay/feeds.py)
        guid = (f"tag:mchs.prirechye.example,2026:{post.id}" if page.address.get("format") == "atom"
                else f"{base}/gov/{post.link_slug or f'item-{post.id}'}-{post.id}.html")
        yield make_id("rss", page.id, hashlib.sha1(guid.encode()).hexdigest()[:16])
    else:  # the forum: a topic and the replies its page lists
        yield make_id(page.platform, page.id, post.id)
        yield from (make_id(page.platform, page.id, post.id, f"p{c.id}") for c in world.comments(post))


def _thread(world: World, message: Message) -> Iterator[Message]:
    for comment in world.comments(message):
        yield comment
        yield from _thread(world, comment)


@dataclass
class Week:
    """The world, the site that plays it, and the stores the week runs on."""

    world: World
    site: ReplayProcess
    sides: list[Side]
    config: DetectorConfig
    detector: Detector
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))  # how much staff do, when
    ticks: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    last: dict[str, Snapshot] = field(default_factory=dict)

    def tick(self, hours: float) -> None:
        """Let ``hours`` pass, then crawl, detect (staff working meanwhile), and staff work again."""
        if hours:
            self.world.advance(hours * 60)
            self.site.control("advance", minutes=hours * 60)
        self.ticks += 1
        with self._timed("crawl"):
            self._crawl()
        during, after = self.rng.randint(0, 4), self.rng.randint(0, 6)
        for side in self.sides:
            with self._timed(f"detect {side.name}"):
                run_detect(StaffDuringDetect(side.store, side.staff, self.world.now, during),  # type: ignore[arg-type]
                           self.config, sources=SOURCES, detector=self.detector, margin=timedelta(0))
            side.staff.act(self.world.now, after)

    def check(self, end_of_day: bool) -> None:
        """Every invariant on every store; the stores' counts compared at the end of a day."""
        when = f"day {self.elapsed / timedelta(days=1):.2f} (tick {self.ticks})"
        published_ids = published(self.world, self.site.base)
        snapshots = []
        for side in self.sides:
            with self._timed(f"check {side.name}"):
                snapshot = Snapshot.read(side.store, side.name, when)
                invariants.every_post_stored_once(snapshot, published_ids)
                invariants.staff_changes_kept(snapshot, side.staff.done)
                invariants.closed_stays_closed(snapshot, side.closed)
                invariants.status_follows_history(snapshot)
                invariants.complaints_in_one_incident(snapshot)
            side.closed = {i.id: len(i.history) for i in snapshot.incidents.values() if i.status == "closed"}
            snapshots.append(snapshot)
            self.last[side.name] = snapshot
        if end_of_day:
            invariants.stores_agree(snapshots)

    def exercised(self, name: str) -> dict[str, int]:
        """What the week made happen on one store: repeat appeals, the detector's own status changes."""
        incidents = self.last[name].incidents.values()
        moves = [h for i in incidents for h in i.history if h.get("field") == "status" and h.get("by") == "detector"]
        return {"incidents": len(incidents), "repeat appeals": sum(1 for i in incidents if i.repeat_of),
                "reopened by the detector": sum(1 for h in moves if h.get("from") == "closed"),
                "closed by the detector": sum(1 for h in moves if h.get("to") == "closed"),
                "posts": len(self.last[name].posts)}

    @property
    def elapsed(self) -> timedelta:
        return self.world.now - self.world.start

    def _crawl(self) -> None:
        # The crawler's clock is the machine's, the world's runs behind it: stretch the comment window by the gap.
        window = (datetime.now(timezone.utc) - self.world.now) / timedelta(days=1) + COMMENT_DAYS
        for side in self.sides:
            side.worker.start({**side.crawl_settings, "CRAWLER_COMMENT_WINDOW_DAYS": window}, sorted(SOURCES))
        for side in self.sides:
            answer = side.worker.result()
            assert not answer["skipped"], answer

    def _timed(self, what: str) -> _Timer:
        return _Timer(self.seconds, what)


class _Timer:
    def __init__(self, seconds: dict[str, float], what: str) -> None:
        self.seconds, self.what = seconds, what

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.seconds[self.what] = self.seconds.get(self.what, 0.0) + time.perf_counter() - self.started


def crawl_settings(site: ReplayProcess, store_url: str, tmp_path: Path, name: str) -> dict[str, Any]:
    settings = site.crawl_settings(store_url)
    settings.pop("WATCHLIST")  # the demo watchlist, shipped with the package
    settings.update({"INDEXER_SPOOL_DIR": str(tmp_path / f"spool-{name}"),
                     "CRAWLER_LIMITS_DIR": str(tmp_path / f"limits-{name}"), "CRAWLER_FIRST_CRAWL_DAYS": 30,
                     "VK_REQUESTS_PER_SECOND": 200, "TELEGRAM_REQUESTS_PER_SECOND": 200, "OK_REQUESTS_PER_SECOND": 200, "INDEXER_ES_REFRESH": True})
    return settings


def run_week(tmp_path: Path, detector: Detector, hours_per_tick: int) -> Week:
    start = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(days=DAYS)
    world = load_world(start, repeat_every=REPEAT, repeat_for=timedelta(days=DAYS))
    config = DetectorConfig(incidents_reopen_hours=REOPEN_HOURS)
    with ReplayProcess(faults=False, start=start, repeat_every=REPEAT, repeat_for=timedelta(days=DAYS)) as site, \
            ElasticsearchDouble() as double, CrawlWorker(tmp_path / "crawl-sqlite.log") as sqlite_worker, \
            CrawlWorker(tmp_path / "crawl-es.log") as es_worker:
        def make(name: str, store: Store, url: str, worker: CrawlWorker) -> Side:
            return Side(name, store, worker, Staff(store, config, SEED), crawl_settings(site, url, tmp_path, name))

        sides = [make("sqlite", SqliteStore(tmp_path / "monitor.db"), f"sqlite:///{tmp_path / 'monitor.db'}",
                      sqlite_worker),
                 make("elasticsearch", ElasticsearchStore.from_url(double.url, {"INDEXER_ES_REFRESH": True}),
                      double.url, es_worker)]
        week = Week(world, site, sides, config, detector)
        try:
            week.tick(0)
            week.check(end_of_day=False)
            while week.elapsed < timedelta(days=DAYS):
                week.tick(hours_per_tick)
                with double.lock:
                    double.requests.clear()  # the double's request log would hold the week's bulk bodies
                week.check(end_of_day=week.elapsed % timedelta(days=1) == timedelta(0))
        finally:
            for side in sides:
                side.store.close()
    return week


@pytest.mark.timeout(900)
def test_a_week_of_crawls_detection_and_staff_work_keeps_every_invariant_on_both_stores(
        tmp_path: Path, detector: Detector) -> None:
    week = run_week(tmp_path, detector, hours_per_tick=6)
    assert week.elapsed == timedelta(days=DAYS) and week.ticks == DAYS * 4 + 1
    for side in week.sides:
        moves, exercised = side.staff.moves, week.exercised(side.name)
        assert moves["close"] and moves["reopen"] and moves["assign"] and moves["answer"] and moves["note"], moves
        assert any(key.startswith("verdict") for key in moves), moves
        assert exercised["repeat appeals"] and exercised["reopened by the detector"], exercised


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_an_hourly_week_keeps_every_invariant_on_both_stores(tmp_path: Path, detector: Detector) -> None:
    week = run_week(tmp_path, detector, hours_per_tick=1)
    assert week.ticks == DAYS * 24 + 1
