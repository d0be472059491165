"""``monitor schedule``: crawl each source forever, at the interval its priority sets.

Each run is one ``monitor crawl --source ID`` child process, so a source that fails, hangs or
crashes never takes the others down, and a Twisted reactor never needs restarting. Rules:

- a source is due ``SCHEDULE_INTERVALS[priority]`` seconds after its last run *started*, times a
  random factor within ``SCHEDULE_JITTER`` (so sources of one priority drift apart);
- never two runs of one source at a time; at most ``SCHEDULE_MAX_PARALLEL`` runs at all, the
  longest-overdue first;
- a run longer than ``SCHEDULE_RUN_TIMEOUT`` is stopped (SIGTERM, then SIGKILL);
- the watchlist is re-read when its file changes; a broken edit is reported and the last good
  watchlist kept;
- SIGTERM or SIGINT: no new runs; current runs finish (up to ``SCHEDULE_STOP_TIMEOUT``, then they
  are asked to stop), then the scheduler exits 0.

One log line per run: source, posts and comments collected, new items stored, errors, duration.
A run that stored new items asks for a detect run (incremental: it scores what is new since its
last run) as soon as none is running, so a new complaint reaches the routing queue seconds after
its crawl; one also runs every ``SCHEDULE_DETECT_INTERVAL`` seconds without new items (a deadline
passing marks incidents overdue). Detect runs in a worker kept loaded between runs
(:mod:`crawler.detect_worker`; started again every ``SCHEDULE_DETECT_WORKER_RUNS`` runs). Every ``SCHEDULE_SPIKES_INTERVAL`` (one bucket) it runs
``monitor spikes``, so emerging crises reach the routing queue and the alert sinks; every
``SCHEDULE_RETENTION_INTERVAL`` (a day) ``monitor forget --expired`` (retention). Every
``REPORT_WEEKDAY`` from ``REPORT_HOUR`` (UTC) it runs ``monitor report --pdf --send`` for the last
full week, unless ``REPORT_DIR`` has that week's report (a failed run, or one whose message a
receiver did not take, is tried again hourly). The heartbeat
file (``SCHEDULE_HEARTBEAT``) is touched every loop, for container health checks.

Credentials reach the children in their environment, never on their command lines, which any
user of the host can read (``ps``): the store URL (it may hold ``user:password@``) and every
setting of :data:`SECRET_ENVIRONMENT` go as the variables ``crawler/settings.py`` reads them from.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from crawler.detect_worker import DetectWorker, WorkerDied
from crawler.exceptions import WatchlistError
from crawler.watchlist import Source, Watchlist, load_watchlist
from detector.reports.weeks import Week, report_name

if TYPE_CHECKING:
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)

# Each setting that holds a credential, and the variable crawler/settings.py reads it from.
SECRET_ENVIRONMENT = {
    "INDEXER_STORE_URL": "MONITOR_STORE_URL",
    "INDEXER_ES_API_KEY": "ES_API_KEY",
    "INDEXER_ES_PASSWORD": "ES_PASSWORD",
    "INDEXER_ES_USERNAME": "ES_USERNAME",
    "INCIDENTS_WEBHOOK_URL": "MONITOR_WEBHOOK_URL",
    "KIBANA_PASSWORD": "KIBANA_PASSWORD",
    "OK_ACCESS_TOKEN": "OK_ACCESS_TOKEN",
    "OK_APPLICATION_KEY": "OK_APPLICATION_KEY",
    "OK_SECRET": "OK_SECRET",
    "REDIS_URL": "REDIS_URL",
    "REPORT_WEBHOOK_URL": "MONITOR_REPORT_WEBHOOK_URL",
    "SOURCES_WEBHOOK_URL": "MONITOR_SOURCES_WEBHOOK_URL",
    "SPIKES_TELEGRAM_TOKEN": "MONITOR_TELEGRAM_BOT_TOKEN",
    "SPIKES_WEBHOOK_URL": "MONITOR_CRISIS_WEBHOOK_URL",
    "VK_TOKENS": "VK_TOKENS",
}


def child_environment(settings: Settings) -> dict[str, str]:
    """The scheduler's environment with its secret settings (``-s`` and ``--store`` included) as
    the variables a child reads them from."""
    env = dict(os.environ)
    for name, variable in SECRET_ENVIRONMENT.items():
        value = settings.get(name)
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        if value:
            env[variable] = str(value)
    return env


def public_args(args: Sequence[str]) -> list[str]:
    """``args`` without ``--store URL`` and the ``-s NAME=VALUE`` of secret settings: those reach a
    child through :func:`child_environment`."""
    kept: list[str] = []
    pairs = iter(args)
    for arg in pairs:
        value = next(pairs, "") if arg in ("-s", "--store") else None
        if arg == "--store" or (arg == "-s" and (value or "").partition("=")[0] in SECRET_ENVIRONMENT):
            continue
        kept += [arg] if value is None else [arg, value]
    return kept

REPORT_RETRY = 3600.0  # seconds before a failed weekly report run is tried again


@dataclass
class Run:
    source_id: str
    process: subprocess.Popen[bytes]
    started: float
    stats_file: Path
    stopping: bool = False


@dataclass
class RunResult:
    source_id: str
    started: float
    finished: float
    returncode: int
    posts: int = 0
    comments: int = 0
    new: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    health: str = ""  # ok, failing, silent, degraded (crawler/health); empty when not judged

    def line(self) -> str:
        errors = sum(self.errors.values())
        detail = f" ({', '.join(f'{k} {v}' for k, v in sorted(self.errors.items()))})" if errors else ""
        status = "" if self.returncode == 0 else f" exit={self.returncode}"
        health = f" health={self.health}" if self.health else ""
        return (f"run source={self.source_id} posts={self.posts} comments={self.comments} new={self.new} "
                f"errors={errors}{detail}{health} duration={self.finished - self.started:.1f}s{status}")


class Scheduler:
    def __init__(self, settings: Settings, crawl_args: Sequence[str] = (), *,
                 command: Callable[[Source, Path], list[str]] | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        # None: the demo region's watchlist, shipped with the package and read in place (never as a path)
        self.watchlist_path = Path(settings.get("WATCHLIST")) if settings.get("WATCHLIST") else None
        self.intervals: dict[str, float] = {k: float(v) for k, v in settings.getdict("SCHEDULE_INTERVALS").items()}
        self.jitter = settings.getfloat("SCHEDULE_JITTER")
        self.max_parallel = max(1, settings.getint("SCHEDULE_MAX_PARALLEL"))
        self.run_timeout = settings.getfloat("SCHEDULE_RUN_TIMEOUT")
        self.stop_timeout = settings.getfloat("SCHEDULE_STOP_TIMEOUT")
        self.heartbeat = Path(settings.get("SCHEDULE_HEARTBEAT"))
        self.run_dir = Path(settings.get("SCHEDULE_RUN_DIR"))
        self.tick = settings.getfloat("SCHEDULE_TICK")
        self.detect_interval = settings.getfloat("SCHEDULE_DETECT_INTERVAL")
        self.detect_due = 0.0
        self.detect_worker_runs = settings.getint("SCHEDULE_DETECT_WORKER_RUNS")
        self.detector: DetectWorker | None = None  # started at the first detect run
        self.spikes_interval = settings.getfloat("SCHEDULE_SPIKES_INTERVAL")
        self.spikes_due = 0.0
        self.spiking: subprocess.Popen[bytes] | None = None
        self.crawl_args = public_args(crawl_args)
        self.child_env = child_environment(settings)
        self.retention_interval = settings.getfloat("SCHEDULE_RETENTION_INTERVAL")
        self.retention_due = 0.0
        self.retaining: subprocess.Popen[bytes] | None = None
        self.report_weekday = settings.getint("REPORT_WEEKDAY")
        self.report_hour = settings.getint("REPORT_HOUR")
        self.report_dir = Path(settings.get("REPORT_DIR"))
        self.report_due = 0.0  # monotonic: no new report run before (after a failed one)
        self.reporting: subprocess.Popen[bytes] | None = None
        self.report_failed: Week | None = None  # its last run failed (not written, or not sent): run again
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.command = command or self._crawl_command
        self.sources: dict[str, Source] = {}
        self.due: dict[str, float] = {}
        self.running: dict[str, Run] = {}
        self.results: list[RunResult] = []
        self.stopping = False
        self._watchlist_mtime: float | None = None
        self._random = random.Random()

    # -- the loop ----------------------------------------------------------------------------

    def run(self, until: Callable[[], bool] = lambda: False) -> int:
        previous = {sig: signal.signal(sig, self._request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self._reload()
            if not self.sources:
                logger.error("no enabled sources in %s: nothing to schedule", self._watchlist_name)
                return 2
            logger.info("scheduling %d sources from %s (intervals %s, at most %d at a time)",
                        len(self.sources), self._watchlist_name, self.intervals, self.max_parallel)
            while not self.stopping and not until():
                self.step(time.monotonic())
                time.sleep(self.tick)
            self.finish()
            return 0
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def step(self, now: float) -> None:
        """One turn: reap finished runs, stop overlong ones, start due ones, touch the heartbeat."""
        self._reload()
        self._reap(now)
        for run in self.running.values():
            if not run.stopping and now - run.started > self.run_timeout:
                logger.error("%s: run exceeded %.0fs, stopping it", run.source_id, self.run_timeout)
                self._stop(run)
        waiting = sorted((due, source_id) for source_id, due in self.due.items()
                         if due <= now and source_id not in self.running and source_id in self.sources)
        for _due, source_id in waiting[:max(0, self.max_parallel - len(self.running))]:
            self._start(self.sources[source_id], now)
        self._detect(now)
        self._spikes(now)
        self._retention(now)
        self._report(now)
        self.heartbeat.parent.mkdir(parents=True, exist_ok=True)
        self.heartbeat.touch()

    def _request_stop(self, signum: int, frame: Any) -> None:
        if not self.stopping:
            logger.info("%s: finishing %d current runs, then exiting", signal.Signals(signum).name,
                        len(self.running))
        self.stopping = True

    def _detect(self, now: float, starting: bool = True) -> None:
        """Read the answer of a detect run in progress, and ask for the next one when it is due."""
        worker = self.detector
        if worker is not None and worker.busy:
            asked_at = worker.asked_at or now
            try:
                answer = worker.poll()
            except WorkerDied as exc:
                logger.warning("run detect: %s (see %s)", exc, worker.log)
                return
            if answer is None:
                if now - asked_at > self.run_timeout:
                    logger.error("run detect: exceeded %.0fs, stopping the worker", self.run_timeout)
                    worker.close(timeout=0)
                return
            log = logger.info if answer.exit == 0 else logger.warning
            log("run detect: %s duration=%.1fs%s", answer.summary, now - asked_at,
                "" if answer.exit == 0 else f" exit={answer.exit}: {' '.join(answer.lines)}")
            if answer.left:  # more changed posts than one run reads: the rest at once
                self.detect_due = now
        if starting and self.detect_interval > 0 and now >= self.detect_due:
            if self.detector is None:
                self.detector = DetectWorker([sys.executable, "-m", "monitor", "detect", *self._watchlist_args,
                                              *self.crawl_args], self.run_dir / "detect.log",
                                             max_runs=self.detect_worker_runs, env=self.child_env)
            try:
                self.detector.ask(now)
            except WorkerDied as exc:
                logger.warning("run detect: %s (see %s)", exc, self.detector.log)
            self.detect_due = now + self.detect_interval

    @property
    def _detecting(self) -> bool:
        return self.detector is not None and self.detector.busy

    def _spikes(self, now: float) -> None:
        """Start ``monitor spikes`` every SCHEDULE_SPIKES_INTERVAL, one at a time (its log: spikes.log)."""
        if self.spiking is not None:
            if self.spiking.poll() is None:
                return
            if self.spiking.returncode != 0:
                logger.warning("run spikes: exit=%s (see %s)", self.spiking.returncode, self.run_dir / "spikes.log")
            self.spiking = None
        if self.stopping or self.spikes_interval <= 0 or now < self.spikes_due:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        since = max(2, math.ceil(2 * self.spikes_interval / 3600))  # overlap: a late post still counts
        with (self.run_dir / "spikes.log").open("wb") as log_file:
            self.spiking = subprocess.Popen([sys.executable, "-m", "monitor", "spikes", "--since", f"{since}h",
                                             *self.crawl_args], stdout=log_file, stderr=subprocess.STDOUT,
                                             env=self.child_env)
        self.spikes_due = now + self.spikes_interval

    def _retention(self, now: float) -> None:
        """Run ``monitor forget --expired`` every SCHEDULE_RETENTION_INTERVAL, one at a time (its log:
        retention.log): what is older than the retention settings is deleted."""
        if self.retaining is not None:
            if self.retaining.poll() is None:
                return
            if self.retaining.returncode != 0:
                logger.warning("run retention: exit=%s (see %s)", self.retaining.returncode,
                               self.run_dir / "retention.log")
            self.retaining = None
        if self.stopping or self.retention_interval <= 0 or now < self.retention_due:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with (self.run_dir / "retention.log").open("wb") as log_file:
            self.retaining = subprocess.Popen([sys.executable, "-m", "monitor", "forget", "--expired",
                                               *self.crawl_args], stdout=log_file, stderr=subprocess.STDOUT,
                                              env=self.child_env)
        self.retention_due = now + self.retention_interval

    def _report(self, now: float) -> None:
        """Write and send the last full week's report once it is due and not yet in REPORT_DIR
        (its log: report.log); a failed run (not written, or not taken by a receiver) is started
        again after REPORT_RETRY."""
        if self.reporting is not None:
            if self.reporting.poll() is None:
                return
            if self.reporting.returncode != 0:
                logger.warning("run report: exit=%s (see %s)", self.reporting.returncode, self.run_dir / "report.log")
            self.report_failed = self.report_week() if self.reporting.returncode != 0 else None
            self.reporting = None
        week = self.report_week()
        if self.stopping or week is None or now < self.report_due:
            return
        if (self.report_dir / f"{report_name(week)}.html").exists() and week != self.report_failed:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        logger.info("run report: the weekly report of %s", week)
        with (self.run_dir / "report.log").open("wb") as log_file:
            self.reporting = subprocess.Popen([sys.executable, "-m", "monitor", "report", "--week", week.label,
                                               "--pdf", "--send", "--out", str(self.report_dir), *self.crawl_args],
                                              stdout=log_file, stderr=subprocess.STDOUT,
                                              env=self.child_env)
        self.report_due = now + REPORT_RETRY

    def report_week(self) -> Week | None:
        """The week whose report is due now: the last full one, from REPORT_WEEKDAY REPORT_HOUR:00 UTC of
        this week on (None before that, or with REPORT_WEEKDAY=0)."""
        if self.report_weekday <= 0:
            return None
        wall = self.clock()
        this_week = Week.of(wall)
        due = this_week.start + timedelta(days=self.report_weekday - 1, hours=self.report_hour)
        return this_week.shifted(-1) if wall >= due else None

    def finish(self) -> None:
        """Wait for the current runs; past SCHEDULE_STOP_TIMEOUT, ask them to stop."""
        deadline = time.monotonic() + self.stop_timeout
        for child in (self.spiking, self.retaining, self.reporting):
            if child is None:
                continue
            try:
                child.wait(timeout=max(0.0, self.stop_timeout))
            except subprocess.TimeoutExpired:
                child.terminate()
        while self.running or self._detecting:
            if self._detecting and time.monotonic() >= deadline:
                assert self.detector is not None
                self.detector.close(timeout=0)
            now = time.monotonic()
            if now >= deadline:
                for run in self.running.values():
                    if not run.stopping:
                        self._stop(run)
            self._reap(now)
            self._detect(now, starting=False)
            time.sleep(min(self.tick, 0.2))
        if self.detector is not None:
            self.detector.close()

    # -- runs --------------------------------------------------------------------------------

    def _start(self, source: Source, now: float) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        stats_file = self.run_dir / f"{source.id}.stats.json"
        stats_file.unlink(missing_ok=True)
        log = (self.run_dir / f"{source.id}.log").open("wb")
        try:
            process = subprocess.Popen(self.command(source, stats_file), stdout=log, stderr=subprocess.STDOUT,
                                       env=self.child_env)
        finally:
            log.close()
        self.running[source.id] = Run(source.id, process, now, stats_file)
        interval = self.intervals.get(source.priority, self.intervals.get("normal", 1800.0))
        self.due[source.id] = now + interval * (1 + self._random.uniform(-self.jitter, self.jitter))

    def _reap(self, now: float) -> None:
        for source_id, run in list(self.running.items()):
            code = run.process.poll()
            if code is None:
                continue
            del self.running[source_id]
            result = RunResult(source_id, run.started, now, code)
            self._read_stats(result, run.stats_file)
            self.results.append(result)
            log = logger.info if code == 0 and not result.errors else logger.warning
            log(result.line())
            if result.new and self.detect_interval > 0:
                self.detect_due = min(self.detect_due, now)  # new items: detect as soon as it can
            if code != 0:
                logger.warning("%s: see %s", source_id, self.run_dir / f"{source_id}.log")

    @staticmethod
    def _read_stats(result: RunResult, path: Path) -> None:
        try:
            stats = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        prefix = f"source/{result.source_id}/"
        for spider_stats in stats.values():
            result.posts += int(spider_stats.get(prefix + "posts", 0))
            result.comments += int(spider_stats.get(prefix + "comments", 0))
            result.new += int(spider_stats.get("indexer/new", 0))
            result.health = str(spider_stats.get(prefix + "health") or result.health)
            for key, value in spider_stats.items():
                if key.startswith(prefix + "errors/"):
                    result.errors[key.rsplit("/", 1)[-1]] = int(value)

    def _stop(self, run: Run) -> None:
        run.stopping = True
        run.process.terminate()
        try:
            run.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            run.process.kill()

    def _crawl_command(self, source: Source, stats_file: Path) -> list[str]:
        return [sys.executable, "-m", "monitor", "crawl", *self._watchlist_args,
                "--source", source.id, "--stats", str(stats_file), *self.crawl_args]

    # -- the watchlist -----------------------------------------------------------------------

    @property
    def _watchlist_name(self) -> str:
        return str(self.watchlist_path) if self.watchlist_path else "the demo watchlist"

    @property
    def _watchlist_args(self) -> list[str]:
        """What tells a child the watchlist: nothing for the shipped one, which every child reads itself."""
        return ["--watchlist", str(self.watchlist_path)] if self.watchlist_path else []

    def _reload(self) -> None:
        try:
            mtime = os.stat(self.watchlist_path).st_mtime if self.watchlist_path else 0.0  # shipped: never edited
        except OSError as exc:
            if not self.sources:
                raise WatchlistError(f"{self.watchlist_path}: cannot read: {exc.strerror}") from exc
            logger.error("%s: cannot read (%s); keeping the last good watchlist", self.watchlist_path, exc)
            return
        if mtime == self._watchlist_mtime:
            return
        try:
            watchlist: Watchlist = load_watchlist(self.watchlist_path)
        except WatchlistError as exc:
            if not self.sources:
                raise
            logger.error("%s; keeping the last good watchlist", exc)
            self._watchlist_mtime = mtime
            return
        self._watchlist_mtime = mtime
        self.sources = {s.id: s for s in watchlist.select()}
        now = time.monotonic()
        for source_id in self.sources:
            self.due.setdefault(source_id, now)
        for source_id in set(self.due) - set(self.sources):
            del self.due[source_id]
