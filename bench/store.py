"""The embedded store at a region's size: a million posts written as the crawl writes them, then the
queries staff run on it.

Ingest. ``bench/posts.py``'s posts (real texts: the corpus, the St Petersburg appeals, RuSentiTweet;
the real daily rhythm and sector × district mix; 1,000 pages, a few posting most; 70% comments;
10% copies of stories), as the crawl stores them (before detection), through the path users call:
``open_store(url, settings)``, then ``upsert`` in ``INDEXER_BATCH_SIZE`` batches, as the index
pipeline's writer thread does. Printed per 100,000-post slice (so a rate that sags as the store
grows shows) and overall, on the wall clock and per CPU-second of the process (on a shared
machine the wall clock also counts the time other processes held the core), against a bare write of the same slice in the same run: ``executemany`` of
ready ``(rowid, id, text, document)`` rows into a table with a unique id plus FTS5 over the raw text,
one transaction per batch (SQLite's own floor for a searchable store). After each slice the
detector's findings for it are written (``update_findings``: complaint, sector, territory, cluster;
timed apart), and at the end the incidents a month of detection leaves (one routing incident per
ten complaints, most of the older ones answered or closed; one fact-check item per story).

Queries, each kind ``--runs`` times (parameters varied between runs: the words, the pages, the
sectors), p50/p95 in ms; ``monitor search`` makes a search (a page of 20) and a count, and each is
timed: words common (the most frequent Russian words of four letters or more), very common (in
10-15% of the posts) and rare (a few dozen posts) newest first, common and very common words by
relevance, two words, a word in the last 24 hours, a page with no words (with and without a kind),
a platform in the last 24 hours, everything newest first, a day a week ago; the routing queue
(``monitor queue routing``: new and assigned, nearest deadline first) alone and with a sector and a
district; complaints per sector per day over a week and the spike detector's read (per hour ×
sector × territory over 28 days: ``count_buckets``).

    taskset -c 1 python bench/store.py [--posts 1000000] [--dir /tmp/monitor-bench-store] [--reuse]
        [--runs 50] [--code DIR] [--cache-mb 64]

``--reuse`` skips the ingest and queries the store an earlier run left in ``--dir``. ``--code DIR``
runs another checkout's ``indexer`` (the previous version: ``--code /path/to/old/checkout``), for
the figures to compare with; the bare write and the posts are the same.

Left out: the crawl around the writer (bench/crawl.py); the detector's band keys (bench/tick.py
times detection's reads); Elasticsearch; several processes writing at once; a cold page cache
(the store was just written, so the OS holds it).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent
SLICE = 100_000
UNTIL = datetime(2026, 11, 23, 21, 0, tzinfo=timezone.utc)
DETECTED = ("complaint", "is_complaint", "sector", "territory", "cluster_id")
FINDINGS = ("complaint", "is_complaint", "sector", "territory", "cluster_id")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/monitor-bench-store"))
    parser.add_argument("--reuse", action="store_true", help="query the store an earlier run left in --dir")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--code", type=Path, help="another checkout whose indexer to measure")
    parser.add_argument("--cache-mb", type=int, help="INDEXER_SQLITE_CACHE_MB (default: the setting's)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.code:
        sys.path.insert(0, str(args.code.resolve()))
    from crawler import settings as defaults
    from indexer.backends import open_store

    url = f"sqlite:///{args.dir / 'store.db'}"
    options = {name: getattr(defaults, name) for name in dir(defaults) if name.startswith("INDEXER_")}
    if args.cache_mb:
        options["INDEXER_SQLITE_CACHE_MB"] = args.cache_mb
    print(f"indexer from {sys.modules['indexer'].__file__}; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores (CPUs here: {sorted(os.sched_getaffinity(0))}), Python "
          f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}; batches of {defaults.INDEXER_BATCH_SIZE}, "
          f"page cache {options.get('INDEXER_SQLITE_CACHE_MB', '(not a setting)')} MiB")
    if not args.reuse:
        shutil.rmtree(args.dir, ignore_errors=True)
        args.dir.mkdir(parents=True)
        facts = ingest(open_store(url, options), args.posts, defaults.INDEXER_BATCH_SIZE, args.dir)
        (args.dir / "bench.json").write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    facts = json.loads((args.dir / "bench.json").read_text(encoding="utf-8"))
    store = open_store(url, options)
    print(f"\nstore: {facts['posts']:,} posts, {facts['incidents']:,} incidents, "
          f"{(args.dir / 'store.db').stat().st_size / 2**20:,.0f} MiB")
    measure(store, facts, args.runs, lambda: open_store(url, options))
    store.close()


def ingest(store: Any, total: int, batch: int, directory: Path) -> dict[str, Any]:
    """Write ``total`` posts a slice at a time (ours, the detector's findings, then the bare write),
    printing each slice; return what the queries need to know about the store."""
    from bench.posts import PostMaker, Shape
    from detector.incidents.clusters import cluster_id_for
    from indexer.schema import Post

    maker = PostMaker(seed=3)
    bare = Bare(directory / "bare.db")
    print(f"{'posts':>9} {'ours/s':>8} {'per CPU-s':>9} {'bare/s':>8} {'per CPU-s':>9} {'ours/bare':>9} "
          f"{'findings/s':>10}")
    records = maker.records(total, UNTIL, Shape())
    spent = {"ours": 0.0, "ours cpu": 0.0, "bare": 0.0, "bare cpu": 0.0, "findings": 0.0}
    sample: list[str] = []
    sources: Counter[str] = Counter()
    complaints: list[dict[str, Any]] = []
    stories: dict[str, dict[str, Any]] = {}
    done = 0
    while done < total:
        chunk = [next(records) for _ in range(min(SLICE, total - done))]
        posts = [Post.from_dict({**r, **{key: None for key in DETECTED}}) for r in chunk]
        gc.freeze()  # the bench's own objects: the collector's time is then the store's
        started, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(posts), batch):
            store.upsert(posts[i:i + batch])
        ours, ours_cpu = time.perf_counter() - started, time.process_time() - cpu
        found = [{r["id"]: {name: r[name] for name in FINDINGS} for r in chunk[i:i + batch]}
                 for i in range(0, len(chunk), batch)]
        started = time.perf_counter()
        for part in found:
            store.update_findings(part)
        findings = time.perf_counter() - started
        floor, floor_cpu = bare.write(posts, batch, done)
        done += len(chunk)
        for name, seconds in (("ours", ours), ("ours cpu", ours_cpu), ("bare", floor), ("bare cpu", floor_cpu),
                              ("findings", findings)):
            spent[name] += seconds
        print(f"{done:>9,} {len(chunk) / ours:>8,.0f} {len(chunk) / ours_cpu:>9,.0f} {len(chunk) / floor:>8,.0f} "
              f"{len(chunk) / floor_cpu:>9,.0f} {floor / ours:>9.2f} {len(chunk) / findings:>10,.0f}", flush=True)
        sample += [r["text"] for r in chunk[::10]]
        sources.update(r["source_id"] for r in chunk)
        complaints += [{k: r[k] for k in ("id", "created_at", "sector", "territory")} for r in chunk if r["is_complaint"]]
        for r in chunk:
            if r["cluster_id"] != cluster_id_for(r["id"]):  # a copy of a story (its first post aside)
                stories.setdefault(r["cluster_id"], {"ids": [], "created_at": r["created_at"]})["ids"].append(r["id"])
    print(f"{'overall':>9} {total / spent['ours']:>8,.0f} {total / spent['ours cpu']:>9,.0f} "
          f"{total / spent['bare']:>8,.0f} {total / spent['bare cpu']:>9,.0f} {spent['bare'] / spent['ours']:>9.2f} "
          f"{total / spent['findings']:>10,.0f}")
    bare.close()
    incidents = make_incidents(complaints, [s for s in stories.values() if len(s["ids"]) >= 3])
    started = time.perf_counter()
    for i in range(0, len(incidents), 1000):
        store.upsert_incidents(incidents[i:i + 1000])
    print(f"{len(incidents):,} incidents stored in {time.perf_counter() - started:.1f} s")
    store.close()
    return {"posts": total, "incidents": len(incidents), "sources": [s for s, _ in sources.most_common(20)],
            "words": choose_words(document_frequencies(sample), len(sample)),
            "sectors": sorted({c["sector"] for c in complaints if c["sector"]}),
            "districts": sorted({(c["territory"] or {}).get("district") or "" for c in complaints} - {""})}


def document_frequencies(texts: list[str]) -> dict[str, tuple[int, str]]:
    """Stem → (in how many of ``texts``, its most frequent word form)."""
    from indexer.text import stems, words

    posts: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for text in texts:
        found = words(text)
        posts.update(set(stems(text)))
        for form, stem in zip(found, stems(text), strict=True):
            forms.setdefault(stem, Counter())[form] += 1
    return {stem: (n, forms[stem].most_common(1)[0][0]) for stem, n in posts.items()}


def choose_words(df: dict[str, tuple[int, str]], sample: int) -> dict[str, list[str]]:
    """From a sample of every tenth post, as a person would type them (each stem's most frequent
    form): the most frequent Russian words of four letters or more (common), words in 10-15% of the
    posts (very common: short ones mostly, это, что), and words in 2-4 of the sample (rare: a few
    dozen in a million posts)."""
    def cyrillic(form: str) -> bool:
        return form.isalpha() and not any("a" <= c.lower() <= "z" for c in form)

    by_posts = sorted(df.values(), reverse=True)
    common = [form for n, form in by_posts if n <= 0.1 * sample and len(form) >= 4 and cyrillic(form)]
    very = [form for n, form in by_posts if 0.1 * sample <= n <= 0.15 * sample and len(form) >= 3 and cyrillic(form)]
    rare = sorted(form for n, form in df.values() if 2 <= n <= 4 and len(form) > 5 and cyrillic(form))
    return {"common": common[:8], "very common": very[:4],
            "rare": random.Random(1).sample(rare, min(20, len(rare)))}


def make_incidents(complaints: list[dict[str, Any]], stories: list[dict[str, Any]]) -> list[Any]:
    """One routing incident per ten complaints (in time order), one fact-check item per story; the
    older ones mostly answered or closed, as staff leave them."""
    from indexer.schema import Incident, Territory

    rng = random.Random(7)
    made = []
    complaints.sort(key=lambda c: c["created_at"])
    for n in range(0, len(complaints), 10):
        group = complaints[n:n + 10]
        opened = datetime.fromisoformat(group[0]["created_at"])
        age = (UNTIL - opened).days
        status = rng.choice(("new", "assigned")) if age < 3 or rng.random() < 0.1 else rng.choice(("answered", "closed"))
        place = group[0]["territory"] or {}
        made.append(Incident(id=f"inc-{n // 10}", kind="complaint", queue="routing", status=status, opened_at=opened,
                             updated_at=opened, deadline=opened + timedelta(hours=72), sector=group[0]["sector"],
                             territory=Territory.from_dict(place), title="Жалобы жителей",
                             post_ids=[c["id"] for c in group]))
    for n, story in enumerate(stories):
        opened = datetime.fromisoformat(story["created_at"])
        made.append(Incident(id=f"fc-{n}", kind="fake", queue="factcheck", opened_at=opened, updated_at=opened,
                             deadline=opened + timedelta(hours=24), title="Слух", post_ids=story["ids"][:50],
                             status="new" if (UNTIL - opened).days < 3 else "closed", fake=0.7))
    return made


class Bare:
    """SQLite's own floor: ready rows, one executemany per table and one transaction per batch."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(str(path), isolation_level=None)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("CREATE TABLE posts (rowid INTEGER PRIMARY KEY, id TEXT UNIQUE, text TEXT NOT NULL,"
                        " doc TEXT NOT NULL)")
        self.db.execute("CREATE VIRTUAL TABLE posts_fts USING fts5 (text, tokenize = 'unicode61')")

    def write(self, posts: list[Any], batch: int, offset: int) -> tuple[float, float]:
        """Seconds to write ``posts`` (their rows are made before the clock starts), and CPU seconds."""
        import orjson

        rows = [(offset + n, p.id, p.text, orjson.dumps(p.to_dict()).decode()) for n, p in enumerate(posts, 1)]
        gc.freeze()
        started, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(rows), batch):
            chunk = rows[i:i + batch]
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany("INSERT INTO posts VALUES (?, ?, ?, ?)", chunk)
            self.db.executemany("INSERT INTO posts_fts (rowid, text) VALUES (?, ?)", [(r[0], r[2]) for r in chunk])
            self.db.execute("COMMIT")
        return time.perf_counter() - started, time.process_time() - cpu

    def close(self) -> None:
        self.db.close()


def kinds(facts: dict[str, Any]) -> Iterator[tuple[str, Callable[[int], Any], str]]:
    """(name, the query of run n, what it is) for each kind: a Query (search and count), an
    IncidentQuery, or a count_buckets call."""
    from indexer.store import IncidentQuery, Query

    common, very, rare = facts["words"]["common"], facts["words"]["very common"], facts["words"]["rare"]
    sources = facts["sources"]
    sectors, districts = facts["sectors"], facts["districts"]
    day = timedelta(days=1)
    yield "word, common", lambda n: Query(text=common[n % len(common)]), "newest first"
    yield "word, very common", lambda n: Query(text=very[n % len(very)]), "newest first"
    yield "word, rare", lambda n: Query(text=rare[n % len(rare)]), "newest first"
    yield "word, common, relevance", lambda n: Query(text=common[n % len(common)], sort="relevance"), ""
    yield "very common, relevance", lambda n: Query(text=very[n % len(very)], sort="relevance"), ""
    yield "two common words", lambda n: Query(text=f"{common[n % len(common)]} {common[(n + 1) % len(common)]}"), ""
    yield "word, last 24 h", lambda n: Query(text=common[n % len(common)], since=UNTIL - day), ""
    yield "page, no words", lambda n: Query(source_id=sources[n % len(sources)]), "the 20 busiest pages"
    yield "page + kind", lambda n: Query(source_id=sources[n % len(sources)], kind="post"), ""
    yield "platform, last 24 h", lambda n: Query(platform="vk", since=UNTIL - day), ""
    yield "everything", lambda n: Query(), "monitor search with no arguments"
    hour = timedelta(hours=1)
    yield "a day a week ago", lambda n: Query(since=UNTIL - 7 * day + n * hour, until=UNTIL - 6 * day + n * hour), ""
    yield "routing queue", lambda n: IncidentQuery(queue="routing", status=("new", "assigned"), limit=50), ""
    yield "queue + sector + district", lambda n: IncidentQuery(
        queue="routing", status=("new", "assigned"), sector=sectors[n % len(sectors)],
        district=districts[n % len(districts)], limit=50), ""
    yield "complaints/sector/day, 7 d", lambda n: ("buckets", UNTIL - 7 * day, UNTIL, day, ("sector",)), ""
    yield "spikes' read, 28 days", lambda n: ("buckets", UNTIL - 28 * day, UNTIL, timedelta(hours=1),
                                              ("sector", "municipality", "district")), "per hour x sector x territory"


def measure(store: Any, facts: dict[str, Any], runs: int, fresh: Callable[[], Any]) -> None:
    """Each kind ``runs`` times on one open store (a long-lived process: the scheduler, a detect),
    then ``runs`` times as the command runs it: a store opened for the query and closed after."""
    words = facts["words"]
    print(f"words: common {', '.join(words['common'])}; very common {', '.join(words['very common'])}; "
          f"rare {', '.join(words['rare'][:6])}, …")
    print(f"\n{runs} runs each, ms        {'found':>9}  {'search p50':>10} {'p95':>6}  {'count p50':>9} {'p95':>6}"
          f"  {'command p50':>11} {'p95':>6}")
    for name, make, note in kinds(facts):
        searched: list[float] = []
        counted: list[float] = []
        found: list[int] = []
        commands: list[float] = []
        for n in range(runs):
            took, counting, many = run(store, make(n))
            searched.append(took)
            found.append(many)
            if counting is not None:
                counted.append(counting)
        for n in range(runs):
            started = time.perf_counter()
            opened = fresh()
            run(opened, make(n))
            opened.close()
            commands.append(time.perf_counter() - started)
        line = f"{name:<26} {statistics.median(found):>9,.0f}  {ms(searched, 50):>10} {ms(searched, 95):>6}  "
        line += f"{ms(counted, 50):>9} {ms(counted, 95):>6}" if counted else f"{'':>9} {'':>6}"
        print(line + f"  {ms(commands, 50):>11} {ms(commands, 95):>6}" + (f"  ({note})" if note else ""), flush=True)


def run(store: Any, query: Any) -> tuple[float, float | None, int]:
    """Seconds to search, seconds to count (None: not a Query), how many found."""
    from indexer.store import IncidentQuery, Query

    started = time.perf_counter()
    if isinstance(query, Query):
        store.search(query)
        searched = time.perf_counter()
        found = store.count(query)
        return searched - started, time.perf_counter() - searched, found
    if isinstance(query, IncidentQuery):
        found = len(store.find_incidents(query))
    else:
        _, since, until, bucket, by = query
        found = len(store.count_buckets(since, until, bucket, by=by))
    return time.perf_counter() - started, None, found


def ms(values: list[float], percent: int) -> str:
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))] * 1000:.1f}"


if __name__ == "__main__":
    main()
