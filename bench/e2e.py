"""From a post to its incident, end to end: a complaint published on a high-priority source until
the routing incident holding it can be read from the store, through the real scheduler.

``monitor schedule`` runs as users run it (a ``monitor crawl`` child per due source, at most
``SCHEDULE_MAX_PARALLEL`` at a time, high priority every 30 s; ``monitor detect`` as soon as a
crawl stored new items) against the replay site, whose clock runs in real time (``--live``), into
a SQLite store. Once its first round is over (every source's first crawl and the first, full
detect), N complaints, each about an address of its own, are published on ``vk_podslushano``
(priority high) through ``/_replay/publish`` at random moments; the store is polled for each
post's incident. The goal: p95 under a minute.

    python bench/e2e.py [--posts 20] [--gap 5 40] [--seed 1] [--dir /tmp/monitor-bench-e2e]

Left out: Elasticsearch (the double is not a measure of a cluster's speed); the network (the site
is on 127.0.0.1, so a crawl costs what its process and the platform's pace cost, not round trips);
the sinks (no webhook or Telegram configured). The machine's other work shares its cores.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.sqlite.store import SqliteStore  # noqa: E402
from replay.process import ReplayProcess  # noqa: E402

SOURCE, OWNER = "vk_podslushano", -210001  # a high-priority source of the demo watchlist
CHROMIUM = Path("/usr/lib/chromium/chromium-headless-shell")
GOAL = 60.0
TEMPLATES = (
    "Нет горячей воды на {street}, {house} уже третий день, управляющая компания не отвечает",
    "Огромная яма на {street} возле дома {house}, машины пробивают колёса, когда заделают?",
    "Не вывозят мусор на {street}, {house}, контейнеры переполнены уже неделю",
    "Во дворе дома {house} на {street} не горит ни один фонарь, вечером страшно ходить",
    "Лифт в доме {house} на {street} не работает вторую неделю, пожилые не могут выйти",
    "Прорвало трубу на {street} у дома {house}, вода течёт по дороге, аварийка не едет",
)
STREETS = ("ул. Ленина", "ул. Советская", "ул. Пушкина", "ул. Кирова", "ул. Речная", "ул. Мира", "ул. Чкалова",
           "пр-т Победы", "ул. Гагарина", "б-р Строителей")


def complaint(number: int) -> str:
    """A complaint about an address no other one names (house numbers from 101 up)."""
    template, street = TEMPLATES[number % len(TEMPLATES)], STREETS[number // len(TEMPLATES) % len(STREETS)]
    return template.format(street=street, house=101 + number)


def scheduler(site: ReplayProcess, workdir: Path, store_url: str) -> subprocess.Popen[bytes]:
    """``monitor schedule`` on the demo watchlist, pointed at the site; its files under ``workdir``."""
    settings: dict[str, Any] = {**site.crawl_settings(store_url), "LOG_LEVEL": "INFO"}
    settings.pop("WATCHLIST")  # the demo watchlist, shipped with the package
    settings.pop("INDEXER_STORE_URL")
    if CHROMIUM.exists():
        settings["RENDERED_CHROMIUM_PATH"] = str(CHROMIUM)
    args = [sys.executable, "-m", "monitor", "schedule", "--store", store_url]
    for name, value in settings.items():
        args += ["-s", f"{name}={','.join(value) if isinstance(value, list) else value}"]
    log = (workdir / "schedule.log").open("wb")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen(args, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=env)


def first_round_over(workdir: Path, store_path: Path, sources: int) -> bool:
    """Every source crawled once and a detect finished after the last of them."""
    log = (workdir / "schedule.log").read_text(encoding="utf-8", errors="replace") if (workdir / "schedule.log").exists() else ""
    runs = {line.split("run source=", 1)[1].split()[0] for line in log.splitlines() if "run source=" in line}
    if len(runs) < sources or not store_path.exists():
        return False
    last_run = max(i for i, line in enumerate(log.splitlines()) if "run source=" in line)
    return any("run detect:" in line for line in log.splitlines()[last_run:])


def incident_of(store: SqliteStore, post_id: str) -> str | None:
    """The routing incident holding the post, if the store has both."""
    post = store.get(post_id)
    if post is None or not post.incident_id:
        return None
    incident = store.get_incident(post.incident_id)
    return incident.id if incident is not None and post_id in incident.post_ids else None


def measure(site: ReplayProcess, store: SqliteStore, posts: int, gap: tuple[float, float], seed: int,
            timeout: float) -> tuple[list[float], list[str]]:
    """Publish ``posts`` complaints ``gap`` seconds apart (uniform), poll for their incidents."""
    rng = random.Random(seed)
    published: dict[str, float] = {}
    latencies: dict[str, float] = {}
    next_at = time.monotonic()
    number = 0
    while len(latencies) < posts:
        now = time.monotonic()
        if number < posts and now >= next_at:
            answer = site.publish(SOURCE, complaint(number), {"id": 4900 + number, "name": "Житель Приреченска"})
            published[f"vk:{OWNER}:{answer['id']}"] = time.monotonic()
            number += 1
            next_at = now + rng.uniform(*gap)
        for post_id, at in published.items():
            if post_id not in latencies and incident_of(store, post_id):
                latencies[post_id] = time.monotonic() - at
        waiting = [p for p, at in published.items() if p not in latencies and time.monotonic() - at > timeout]
        if waiting and number >= posts:
            return list(latencies.values()), waiting
        time.sleep(0.25)
    return list(latencies.values()), []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--gap", type=float, nargs=2, default=(5.0, 40.0), metavar=("MIN", "MAX"),
                        help="seconds between two publications, drawn uniformly")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300.0, help="give up on a post after this many seconds")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/monitor-bench-e2e"))
    args = parser.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    args.dir.mkdir(parents=True)
    store_path = args.dir / "monitor.db"
    from crawler.watchlist import load_watchlist

    sources = len(load_watchlist(None).select())
    print(f"{os.cpu_count()} cores (load {os.getloadavg()[0]:.1f}); {args.posts} posts on {SOURCE}, "
          f"{args.gap[0]:.0f}-{args.gap[1]:.0f} s apart; the scheduler with the demo's {sources} sources")
    with ReplayProcess(faults=False, live=True) as site:
        schedule = scheduler(site, args.dir, f"sqlite:///{store_path}")
        try:
            started = time.monotonic()
            while not first_round_over(args.dir, store_path, sources):
                if schedule.poll() is not None:
                    raise SystemExit(f"monitor schedule exited ({schedule.returncode}): see {args.dir / 'schedule.log'}")
                time.sleep(1)
            print(f"first round (every source's first crawl, then a full detect): {time.monotonic() - started:.0f}s")
            store = SqliteStore(store_path)
            try:
                latencies, missed = measure(site, store, args.posts, tuple(args.gap), args.seed, args.timeout)
            finally:
                store.close()
        finally:
            schedule.send_signal(signal.SIGTERM)
            schedule.wait(timeout=600)
    report(sorted(latencies), missed, args.timeout)


def report(latencies: list[float], missed: list[str], timeout: float) -> None:
    if missed:
        print(f"{len(missed)} posts had no incident after {timeout:.0f}s: {', '.join(missed)}")
    if not latencies:
        return
    p50 = statistics.median(latencies)
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    verdict = "under" if p95 < GOAL and not missed else "NOT under"
    print(f"post → incident: p50 {p50:.1f}s, p95 {p95:.1f}s, max {latencies[-1]:.1f}s, min {latencies[0]:.1f}s "
          f"over {len(latencies)} posts ({verdict} the {GOAL:.0f}s goal)")


if __name__ == "__main__":
    main()
