"""Indexing throughput: each store's ``upsert`` as the index pipeline calls it, against a bare write
of ready rows to the same backend in the same run, and the spool.

The posts are shaped like a crawl's (``bench/posts.py``: real texts from the corpus, the
St Petersburg appeals and RuSentiTweet's train split, real lengths, 1,000 sources), as the
crawl stores them: before detection (no complaint, sector, territory or cluster yet). The store is
opened with ``open_store(url, settings)`` and written ``INDEXER_BATCH_SIZE`` posts at a time, as
``IndexPipeline`` does on its writer thread. Each of ``--rounds`` into fresh stores; ranges, and ratios within a round:

- SQLite, the embedded default. Bare: ``executemany`` of ready ``(rowid, id, text, document)`` rows
  into a table with a unique id, one transaction per batch (the floor: SQLite's own cost), and the
  same with the raw text into an FTS5 table (SQLite's own full-text cost). Ours:
  ``SqliteStore.upsert`` of new posts (documents, the series columns, Snowball stems into FTS5,
  one JSON array per statement); then the same posts again with new like and view counts, as a
  re-crawl brings them (updates).
- Elasticsearch, against the double (``tests/support/es_double.py``, in a child process so it
  does not share our GIL). Bare: ``helpers.bulk`` of documents already built as dicts into one
  index. Ours: ``ElasticsearchStore.upsert`` (``Post.to_dict``, the look-up of where known ids
  live, monthly index names, ``streaming_bulk``, counting results). The double's speed is not
  Elasticsearch's: read the ratio, not the rates.
- The spool: appending the same posts (fsync per batch), then replaying them into the double.

    python bench/index.py [--posts 20000] [--rounds 3]

Left out: the writer thread and the crawl around it (bench/crawl.py); stores that already hold
months of posts (these start empty); a real Elasticsearch node, its refreshes and merges.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import socket
import sqlite3
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson  # noqa: E402
from elasticsearch import helpers  # noqa: E402

from bench.limits import span  # noqa: E402
from bench.posts import PostMaker, Shape  # noqa: E402
from crawler import settings as defaults  # noqa: E402
from indexer.backends import open_store  # noqa: E402
from indexer.elastic.client import connect  # noqa: E402
from indexer.schema import Metrics, Post  # noqa: E402
from indexer.spool import Spool  # noqa: E402
from tests.support.es_double import ElasticsearchDouble  # noqa: E402

UNTIL = datetime(2026, 11, 23, 21, 0, tzinfo=timezone.utc)
DETECTED = ("complaint", "is_complaint", "sector", "territory", "cluster_id")
ROWS = {
    "sqlite bare": "SQLite: bare executemany of ready rows",
    "sqlite fts": "SQLite: the same + FTS5 of the raw text",
    "sqlite new": "SQLite: SqliteStore.upsert, new posts",
    "sqlite again": "SQLite: SqliteStore.upsert, re-crawled",
    "es bare": "ES double: bare helpers.bulk of ready dicts",
    "es new": "ES double: ElasticsearchStore.upsert",
    "spool write": "spool: append (fsync per batch)",
    "spool replay": "spool: replay into the ES double",
}
BASELINE = {"sqlite bare": "sqlite bare", "sqlite fts": "sqlite bare", "sqlite new": "sqlite bare", "sqlite again": "sqlite bare",
            "es bare": "es bare", "es new": "es bare", "spool write": "es bare", "spool replay": "es bare"}


def serve(port: int, ready: Any) -> None:
    ElasticsearchDouble(port).start()
    ready.set()
    while True:
        time.sleep(3600)


def make_posts(count: int) -> list[Post]:
    """Crawl-shaped posts: before detection."""
    posts = []
    for record in PostMaker(seed=3).records(count, UNTIL, Shape()):
        for key in DETECTED:
            record[key] = None
        posts.append(Post.from_dict(record))
    return posts


def batches(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def rate(count: int, started: float) -> float:
    return count / (time.perf_counter() - started)


def sqlite_round(posts: list[Post], batch: int, directory: Path) -> dict[str, float]:
    rows = [(n, p.id, p.text, orjson.dumps(p.to_dict()).decode()) for n, p in enumerate(posts, 1)]
    figures = {"sqlite bare": _bare(rows, batch, directory / "bare.db", fts=False),
               "sqlite fts": _bare(rows, batch, directory / "fts.db", fts=True)}
    store = open_store(f"sqlite:///{directory / 'monitor.db'}", {})
    started = time.perf_counter()
    for chunk in batches(posts, batch):
        store.upsert(chunk)
    figures["sqlite new"] = rate(len(posts), started)
    again = [replace(p, metrics=Metrics(likes=p.metrics.likes + 1, views=(p.metrics.views or 0) + 40))
             for p in posts]
    started = time.perf_counter()
    for chunk in batches(again, batch):
        store.upsert(chunk)
    figures["sqlite again"] = rate(len(again), started)
    store.close()
    return figures


def _bare(rows: list[tuple[int, str, str, str]], batch: int, path: Path, fts: bool) -> float:
    db = sqlite3.connect(str(path), isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("CREATE TABLE posts (rowid INTEGER PRIMARY KEY, id TEXT UNIQUE, text TEXT NOT NULL, doc TEXT NOT NULL)")
    db.execute("CREATE VIRTUAL TABLE posts_fts USING fts5 (text, tokenize = 'unicode61')")
    started = time.perf_counter()
    for chunk in batches(rows, batch):
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT INTO posts VALUES (?, ?, ?, ?)", chunk)
        if fts:
            db.executemany("INSERT INTO posts_fts (rowid, text) VALUES (?, ?)", [(r[0], r[2]) for r in chunk])
        db.execute("COMMIT")
    figure = rate(len(rows), started)
    db.close()
    return figure


def es_round(url: str, posts: list[Post], batch: int, tag: str, directory: Path) -> dict[str, float]:
    client = connect(url, {})
    docs = [{"_index": f"bench-bare-{tag}", "_id": p.id, "_source": p.to_dict()} for p in posts]
    started = time.perf_counter()
    for chunk in batches(docs, batch):
        helpers.bulk(client, chunk, chunk_size=batch)
    figures = {"es bare": rate(len(docs), started)}
    client.close()
    store = open_store(url, {"INDEXER_ES_PREFIX": f"bench{tag}", "INDEXER_ES_CHUNK_SIZE": batch})
    store.upsert(posts[:1])  # templates installed outside the timing
    started = time.perf_counter()
    for chunk in batches(posts[1:], batch):
        store.upsert(chunk)
    figures["es new"] = rate(len(posts) - 1, started)
    spool = Spool(directory / "spool")
    again = [replace(p, id=f"{p.id}:spooled") for p in posts]
    started = time.perf_counter()
    for chunk in batches(again, batch):
        spool.append(chunk)
    figures["spool write"] = rate(len(again), started)
    started = time.perf_counter()
    moved = spool.replay(store)
    figures["spool replay"] = rate(moved, started)
    store.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=defaults.INDEXER_BATCH_SIZE)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(port, ready), daemon=True)
    server.start()
    ready.wait(10)
    url = f"http://127.0.0.1:{port}"
    posts = make_posts(args.posts)
    chars = sum(len(p.text) for p in posts) / len(posts)
    print(f"{args.posts:,} crawl-shaped posts ({chars:.0f} characters on average) in batches of {args.batch} "
          f"(INDEXER_BATCH_SIZE); {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; {args.rounds} rounds")
    figures: dict[str, list[float]] = {name: [] for name in ROWS}
    for round_number in range(args.rounds):
        tagged = [replace(p, id=f"{p.id}:{round_number}") for p in posts]
        with tempfile.TemporaryDirectory() as tmp:
            done = sqlite_round(tagged, args.batch, Path(tmp))
            done |= es_round(url, tagged, args.batch, str(round_number), Path(tmp))
        for name, value in done.items():
            figures[name].append(value)
    server.terminate()
    server.join()
    print(f"{'path':<42} {'posts/s':>15} {'vs bare':>11}")
    for name, label in ROWS.items():
        ratios = [v / b for v, b in zip(figures[name], figures[BASELINE[name]], strict=True)]
        print(f"{label:<42} {span(figures[name]):>15} {span(ratios, 2):>11}")
    print("\nLeft out: the writer thread and the crawl (bench/crawl.py); stores already holding months of posts; "
          "a real Elasticsearch node (the double's rates are not its rates: read the ratios).")


if __name__ == "__main__":
    main()
