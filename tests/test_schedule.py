"""`monitor schedule`: every source at its interval, one run per source at a time, SIGTERM finishes runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from crawler.process import project_settings
from crawler.scheduler import RunResult, Scheduler
from replay.process import ReplayProcess

ROOT = Path(__file__).resolve().parent.parent


def write_watchlist(path: Path, ids: list[str], **changes: dict) -> Path:
    demo = yaml.safe_load((ROOT / "watchlists" / "demo.yml").read_text(encoding="utf-8"))
    demo["sources"] = [{**s, **changes.get(s["id"], {})} for s in demo["sources"] if s["id"] in ids]
    path.write_text(yaml.safe_dump(demo, allow_unicode=True), encoding="utf-8")
    return path


def scheduler(tmp_path: Path, watchlist: Path | str, **settings: object) -> Scheduler:
    settings.setdefault("SCHEDULE_DETECT_INTERVAL", 0)
    settings.setdefault("SCHEDULE_SPIKES_INTERVAL", 0)
    settings.setdefault("SCHEDULE_RETENTION_INTERVAL", 0)
    settings.setdefault("REPORT_WEEKDAY", 0)
    def sleeper(source, stats_file: Path) -> list[str]:
        code = 1 if source.id == "rss_gov" else 0  # this one always fails
        return [sys.executable, "-c", f"import time, sys; time.sleep(0.3); sys.exit({code})"]

    return Scheduler(project_settings({
        "WATCHLIST": str(watchlist), "SCHEDULE_TICK": 0.02, "SCHEDULE_JITTER": 0.0,
        "SCHEDULE_RUN_DIR": str(tmp_path / "runs"), "SCHEDULE_HEARTBEAT": str(tmp_path / "heartbeat"),
        **settings}), command=sleeper)


def overlapping(results: list[RunResult]) -> int:
    """The most runs that were going on at one moment."""
    events = sorted([(r.started, 1) for r in results] + [(r.finished, -1) for r in results])
    most = current = 0
    for _, step in events:
        current += step
        most = max(most, current)
    return most


def test_sources_run_at_their_interval_one_at_a_time_and_a_failing_one_does_not_stop_others(
        tmp_path: Path) -> None:
    watchlist = write_watchlist(tmp_path / "w.yml", ["vk_governor", "tg_news", "rss_gov"],
                                vk_governor={"priority": "high"}, tg_news={"priority": "low"},
                                rss_gov={"priority": "high"})
    runner = scheduler(tmp_path, watchlist, SCHEDULE_INTERVALS={"high": 0.5, "normal": 5, "low": 5},
                       SCHEDULE_MAX_PARALLEL=2)
    deadline = time.monotonic() + 3.2
    assert runner.run(until=lambda: time.monotonic() > deadline) == 0
    by_source: dict[str, list[RunResult]] = {}
    for result in runner.results:
        by_source.setdefault(result.source_id, []).append(result)
    assert len(by_source["vk_governor"]) >= 4 and len(by_source["tg_news"]) == 1  # high vs low priority
    assert all(r.returncode == 1 for r in by_source["rss_gov"]) and len(by_source["rss_gov"]) >= 3
    for runs in by_source.values():
        assert overlapping(runs) == 1  # never two runs of one source at a time
    assert overlapping(runner.results) <= 2  # SCHEDULE_MAX_PARALLEL
    assert (tmp_path / "heartbeat").exists()


def test_a_broken_watchlist_edit_keeps_the_last_good_one(tmp_path: Path) -> None:
    watchlist = write_watchlist(tmp_path / "w.yml", ["vk_governor"])
    runner = scheduler(tmp_path, watchlist)
    runner.step(time.monotonic())
    watchlist.write_text("sources: [{id: BAD ID}]", encoding="utf-8")
    os.utime(watchlist, (time.time() + 5, time.time() + 5))
    runner.step(time.monotonic())
    runner.finish()
    assert list(runner.sources) == ["vk_governor"]


def test_no_watchlist_setting_schedules_the_shipped_demo_and_leaves_it_to_each_run(tmp_path: Path) -> None:
    runner = scheduler(tmp_path, "")
    runner.step(time.monotonic())
    runner.finish()
    assert {"vk_governor", "rss_gov"} <= set(runner.sources)
    source = runner.sources["rss_gov"]
    command = Scheduler(project_settings({"WATCHLIST": ""})).command(source, tmp_path / "stats.json")
    assert "--watchlist" not in command and command[command.index("--source") + 1] == "rss_gov"


def test_monitor_schedule_crawls_logs_one_line_per_run_and_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    watchlist = write_watchlist(tmp_path / "w.yml", ["vk_governor", "vk_closed", "rss_gov"],
                                vk_governor={"priority": "high"}, vk_closed={"priority": "high"},
                                rss_gov={"priority": "high"})
    with ReplayProcess() as site:
        overrides = site.crawl_settings(f"sqlite:///{tmp_path / 'monitor.db'}")
        overrides.update(INDEXER_SPOOL_DIR=str(tmp_path / "spool"), SCHEDULE_RUN_DIR=str(tmp_path / "runs"),
                         SCHEDULE_HEARTBEAT=str(tmp_path / "heartbeat"), SCHEDULE_TICK=0.2,
                         SCHEDULE_DETECT_INTERVAL=4, REPORT_WEEKDAY=0,
                         SCHEDULE_INTERVALS='{"high": 2, "normal": 60, "low": 60}')
        overrides.pop("WATCHLIST")
        args = [sys.executable, "-m", "monitor", "schedule", "--watchlist", str(watchlist)]
        for name, value in overrides.items():
            args += ["-s", f"{name}={','.join(value) if isinstance(value, list) else value}"]
        log = tmp_path / "schedule.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                    env={**os.environ, "PYTHONWARNINGS": "ignore"})
            try:
                deadline = time.monotonic() + 90
                while (log.read_text().count("run source=") < 4 or "run detect: incremental: scored" not in log.read_text()) \
                        and time.monotonic() < deadline:
                    time.sleep(0.2)
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(timeout=60) == 0
            finally:
                proc.kill()
    text = log.read_text()
    lines = [line for line in text.splitlines() if "run source=" in line]
    assert any("source=vk_governor posts=" in line and "errors=0" in line for line in lines)
    assert any("source=vk_closed" in line and "vk_error_30 1" in line and "health=failing" in line
               and "exit=1" in line for line in lines)
    assert any("source=rss_gov" in line and "errors=1 (parse 1)" in line for line in lines)
    assert "SIGTERM: finishing" in text and "Traceback" not in text
    assert (tmp_path / "runs" / "spikes.log").exists()  # the spike detector ran too
    assert any("run detect: incremental: scored" in line and "incidents:" in line for line in text.splitlines())
