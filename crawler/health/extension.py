"""The crawl's record of each source's health: gathered while the spider runs, judged and stored
when it closes, alerted about after enough bad crawls in a row.

While the spider runs, :class:`SourceHealthMonitor` counts each source's answers by status class
(``source/<id>/status/2xx``); the spiders count the posts their listing pages show and those
lacking a tracked field (``source/<id>/seen``, ``source/<id>/missing/<field>``), the pipelines the
items and the errors. When the spider closes (after the pipelines, so every item is stored or
spooled) each source's :class:`~crawler.health.record.Outcome` is judged against its stored
health (:func:`~crawler.health.record.judge`), the new health is stored and set in the stats
(``source/<id>/health``: ok, failing, silent or degraded, with ``source/<id>/health_reasons``), so
the crawl's summary and exit code tell it; alerts go to the sinks (:mod:`crawler.health.alerts`).
Store and sinks are reached in a thread, off the reactor.

Settings: ``SOURCES_HEALTH_ENABLED``, ``SOURCES_ALERT_AFTER``, ``SOURCES_SILENT_AFTER``,
``SOURCES_BASELINE_POSTS``, ``SOURCES_FIELD_SHARE``, the sinks' (:mod:`crawler.health.alerts`),
``INDEXER_STORE_URL``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet.threads import deferToThread

from crawler.exceptions import SettingError
from crawler.health.alerts import AlertSinks, alert_record
from crawler.health.record import TRACKED_FIELDS, HealthConfig, Outcome, SourceHealth, alert_due, judge
from indexer.backends import open_store
from indexer.exceptions import IndexerError
from indexer.schema import utcnow
from indexer.store import Query

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector
    from twisted.internet.defer import Deferred

    from indexer.store import Store

logger = logging.getLogger(__name__)


class SourceHealthMonitor:
    """Records every crawled source's outcome and health in the store; off with
    ``SOURCES_HEALTH_ENABLED`` (then nothing is judged, stored or alerted)."""

    def __init__(self, stats: StatsCollector, store_url: str, options: Any, config: HealthConfig,
                 sinks: AlertSinks) -> None:
        self.stats = stats
        self.store_url = store_url
        self.options = options
        self.config = config
        self.sinks = sinks
        self.started = utcnow()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceHealthMonitor:
        s = crawler.settings
        if not s.getbool("SOURCES_HEALTH_ENABLED"):
            raise NotConfigured("SOURCES_HEALTH_ENABLED is off: sources' health is not recorded")
        try:
            config = HealthConfig(s.getint("SOURCES_ALERT_AFTER"), s.getint("SOURCES_SILENT_AFTER"),
                                  s.getint("SOURCES_BASELINE_POSTS"), s.getfloat("SOURCES_FIELD_SHARE"))
        except ValueError as exc:
            raise SettingError(str(exc)) from exc
        assert crawler.stats is not None
        monitor = cls(crawler.stats, s.get("INDEXER_STORE_URL"), s, config, AlertSinks.from_settings(s))
        crawler.signals.connect(monitor.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(monitor.response_received, signal=signals.response_received)
        crawler.signals.connect(monitor.spider_closed, signal=signals.spider_closed)
        return monitor

    def spider_opened(self, spider: Spider) -> None:
        self.started = utcnow()

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        source_id = request.meta.get("source_id")
        if source_id is not None:
            self.stats.inc_value(f"source/{source_id}/status/{response.status // 100}xx")

    def spider_closed(self, spider: Spider, reason: str) -> Deferred[None] | None:
        sources = getattr(spider, "sources", {})
        if not sources or reason not in ("finished", "store_and_spool_failed"):
            return None  # a crawl stopped by hand says nothing of its sources
        outcomes = {source_id: self.outcome(source_id) for source_id in sources}
        platforms = {source_id: source.platform for source_id, source in sources.items()}
        return deferToThread(self._record, outcomes, platforms)

    def outcome(self, source_id: str) -> Outcome:
        """What this crawl's stats say of one source."""
        prefix = f"source/{source_id}/"
        stats = self.stats.get_stats()
        statuses = {key[len(prefix) + 7:]: int(v) for key, v in stats.items() if key.startswith(prefix + "status/")}
        errors = {key[len(prefix) + 7:]: int(v) for key, v in stats.items() if key.startswith(prefix + "errors/")}
        missing = {name: int(stats.get(f"{prefix}missing/{name}", 0)) for name in TRACKED_FIELDS}
        items = int(stats.get(prefix + "posts", 0)) + int(stats.get(prefix + "comments", 0))
        return Outcome(utcnow(), statuses, int(stats.get(prefix + "seen", 0)), missing, items, 0, errors)

    def _record(self, outcomes: dict[str, Outcome], platforms: dict[str, str]) -> None:
        """Judge, store, set the stats, alert (in a thread: the store and the sinks block)."""
        try:
            store: Store | None = open_store(self.store_url, self.options)
        except IndexerError as exc:
            logger.error("sources' health judged without their history, and not recorded (%s)", exc)
            store = None
        alerts = []
        try:
            for source_id, outcome in outcomes.items():
                health, alert = self._judge(store, source_id, platforms[source_id], outcome)
                self.stats.set_value(f"source/{source_id}/health", health.state)
                self.stats.set_value(f"source/{source_id}/health_reasons", health.reasons)
                if alert is not None:
                    alerts.append(alert_record(health, alert))
        finally:
            if store is not None:
                store.close()
        self.sinks.send(alerts)

    def _judge(self, store: Store | None, source_id: str, platform: str,
               outcome: Outcome) -> tuple[SourceHealth, str | None]:
        """The source's new health, stored, and the alert it calls for ("down", "recovered" or None).

        Without its stored history (no store) only a failure can be told; no alert is decided,
        since whether one went out already is not known."""
        stored = None
        if store is not None:
            try:
                stored = store.get_source_health(source_id)
                outcome.new_items = store.count(Query(source_id=source_id, changed_since=self.started))
            except IndexerError as exc:
                logger.error("%s: health judged without its history, and not recorded (%s)", source_id, exc)
                store = None
        previous = SourceHealth.from_dict(stored) if stored else SourceHealth(source_id)
        previous.platform = platform
        health = judge(previous, outcome, self.config)
        if health.bad:
            logger.warning("%s: %s (%s)", source_id, health.state, "; ".join(health.reasons))
        if store is None:
            return health, None
        alert = alert_due(previous, health, self.config)
        try:
            store.set_source_health(source_id, health.to_dict())
        except IndexerError as exc:
            logger.error("%s: health not recorded (%s)", source_id, exc)
            return health, None
        return health, alert
