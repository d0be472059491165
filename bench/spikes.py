"""Spike detection over 1,000,000 stored posts on the embedded SQLite store (goal: < 10 s).

Builds the store quickly (rows written with ``executemany`` straight into the posts table, the
indices built after), then times what ``monitor spikes`` does before explaining: the store's
``count_buckets`` over 28 days of history plus the day reported (one SQL aggregation on the
covering index) and the detector over every sector × district series.

    python bench/spikes.py [--posts 1000000] [--rounds 3] [--db /tmp/bench-spikes.db]
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from detector.crises import SpikeConfig, SpikeDetector  # noqa: E402
from detector.crises.alerts import store_counts  # noqa: E402
from indexer.sqlite.store import SqliteStore  # noqa: E402

UNTIL = datetime(2026, 11, 23, tzinfo=timezone.utc)
DAYS = 30
SECTORS = ("amenities", "roads", "housing", "waste", "energy", "transport", "health", "education", "social",
           "labour", "other")
DISTRICTS = [("Приреченск", d) for d in ("Центральный", "Заречный", "Северный", "Промышленный", None)] + \
            [(f"Город {n}", None) for n in range(1, 31)]


def build(path: Path, posts: int, seed: int = 1) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    SqliteStore(path).close()  # the schema, with the series columns
    db = sqlite3.connect(str(path), isolation_level=None)
    indices = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'posts'"
                         " AND sql IS NOT NULL").fetchall()
    for name, _ in indices:
        db.execute(f"DROP INDEX {name}")
    rng = np.random.default_rng(seed)
    hours = np.sort(rng.uniform(0, DAYS * 24, size=posts))
    start = (UNTIL - timedelta(days=DAYS)).timestamp()
    sector = rng.integers(0, len(SECTORS), size=posts)
    place = rng.integers(0, len(DISTRICTS), size=posts)
    complaint = rng.random(posts) < 0.4
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO posts (id, platform, source_id, kind, created_at, text, doc, is_complaint, sector,"
        " municipality, district, street) VALUES (?, 'vk', 'vk_bench', 'post', ?, '', ?, ?, ?, ?, ?, NULL)",
        ((f"vk:bench:{n}", start + hours[n] * 3600, json.dumps({"id": f"vk:bench:{n}"}), int(complaint[n]),
          SECTORS[sector[n]] if complaint[n] else None, *DISTRICTS[place[n]]) for n in range(posts)))
    db.execute("COMMIT")
    for _, sql in indices:
        db.execute(sql)
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", type=Path, default=Path("/tmp/bench-spikes.db"))
    args = parser.parse_args()
    started = time.perf_counter()
    build(args.db, args.posts)
    print(f"built a store of {args.posts:,} posts in {time.perf_counter() - started:.1f}s "
          f"({platform.machine()}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version})")
    config = SpikeConfig()
    best = {"query": float("inf"), "detect": float("inf"), "total": float("inf")}
    for _ in range(args.rounds):
        store = SqliteStore(args.db)
        t0 = time.perf_counter()
        counts = store_counts(store, config, UNTIL - timedelta(days=1), UNTIL)
        t1 = time.perf_counter()
        alerts = SpikeDetector(config).detect(counts, report_from=counts.index(UNTIL - timedelta(days=1)))
        t2 = time.perf_counter()
        store.close()
        for name, value in (("query", t1 - t0), ("detect", t2 - t1), ("total", t2 - t0)):
            best[name] = min(best[name], value)
    print(f"{counts.matrix.shape[0]} series × {counts.buckets} hourly buckets, {int(counts.matrix.sum()):,} complaints; "
          f"{len(alerts)} alerts in the last day")
    print(f"best of {args.rounds}: count_buckets {best['query']:.2f}s + detection {best['detect']:.2f}s "
          f"= {best['total']:.2f}s (goal < 10 s)")


if __name__ == "__main__":
    main()
