"""Spike detection as ``monitor spikes`` runs it, on stores of 10,000 and 100,000 posts (1,000,000
with ``--large``): wall time and peak RSS per size, against the detector core alone.

Each size's store is built first (not timed): posts shaped like real ones (``bench/posts.py``:
real texts, the real St Petersburg sector × district series and its daily and weekly rhythm, 20%
complaints, a cluster id on every post as ``monitor detect`` gives it — most of them clusters of one
post, 10% copies of stories) over the 30 days the detector reads, written through
``SqliteStore.upsert`` in batches of ``INDEXER_BATCH_SIZE`` as the index pipeline writes them; the same posts go to a
JSON Lines file, as scored posts. Then, each in a fresh process under ``--max-gb`` and
``--max-seconds`` (a run that passes either is stopped and reported, not left to be killed):

- baseline: the detector core alone on the same store: ``count_buckets`` by sector × district and
  ``SpikeDetector.detect`` (what this benchmark measured before: no cluster series, no explanation);
- the same core over every series ``run_spikes`` reads (``store_counts``: sector × district and
  each complaint cluster), still without explanations;
- ``monitor spikes``: ``run_spikes`` over the store (every series: sector × district and each
  complaint cluster; each alert explained from the posts of its window and the week before, made
  into a crisis, written to the store);
- ``monitor spikes --from-jsonl``: ``read_jsonl`` and ``spikes_in_records`` over the file of every
  scored post, and over the file of the complaints alone. This path reports (and explains) every
  alert in the file's 30 days, the store path those of the last day only: compare sizes, not rows.

    python bench/spikes.py [--sizes 10000,100000] [--large] [--rounds 2] [--max-gb 6] [--max-seconds 600]

Over inputs that exist already (a store of a million posts takes long to build), each path in a
fresh process, and the same path with another checkout's code for ratios (``--previous``: run in
a process of its own under the same limits, its peak RSS read from ``RUSAGE_CHILDREN``):

    python bench/spikes.py --store STORE.db --jsonl SCORED.jsonl [--previous ../main] [--rounds 3]

The store path reports the day before the store's latest post; only its ``crisis-`` incidents are
deleted between runs (every run a first run). The file is streamed as ``monitor spikes
--from-jsonl FILE`` reads it. CPU time is printed beside wall time: on a shared machine the wall
time also measures the wait for a core.

Left out: the crisis webhook and Telegram (none configured: nothing is sent); the Elasticsearch
store; scoring and clustering the posts (given, not computed: bench/score.py and bench/cluster.py);
a store that also holds the months before the history window (the store here holds just the
30 days read).
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from bench.limits import Outcome, peak_rss_mb, run_limited, span  # noqa: E402
from bench.posts import PostMaker, Shape  # noqa: E402
from crawler import settings as defaults  # noqa: E402

UNTIL = datetime(2026, 11, 23, 21, 0, tzinfo=timezone.utc)  # midnight in St Petersburg
BATCH = defaults.INDEXER_BATCH_SIZE  # posts the index pipeline writes at a time
PATHS = {
    "baseline": "baseline: count_buckets + detect, sector × district",
    "core": "the same over every series (+ each cluster's)",
    "store": "monitor spikes: run_spikes over the store",
    "jsonl": "monitor spikes --from-jsonl, every scored post (streamed)",
    "jsonl-complaints": "monitor spikes --from-jsonl, complaints only",
}


def build(size: int, seed: int, directory: str) -> dict[str, Any]:
    """The store and the two files of one size; what they hold."""
    import orjson

    from indexer.schema import Post
    from indexer.sqlite.store import SqliteStore

    db, every, complaints = _files(directory, size)
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        path.unlink(missing_ok=True)
    maker = PostMaker(seed)
    store = SqliteStore(db)
    clusters: dict[str, int] = {}
    written = 0
    started = time.perf_counter()
    with open(every, "wb") as all_out, open(complaints, "wb") as complaints_out:
        batch: list[dict[str, Any]] = []
        for record in maker.records(size, UNTIL, Shape()):
            batch.append(record)
            line = orjson.dumps(record) + b"\n"
            all_out.write(line)
            if record["is_complaint"]:
                complaints_out.write(line)
                clusters[record["cluster_id"]] = clusters.get(record["cluster_id"], 0) + 1
            if len(batch) == BATCH:
                written += store.upsert([Post.from_dict(r) for r in batch]).new
                batch = []
        written += store.upsert([Post.from_dict(r) for r in batch]).new
    store.close()
    return {"seconds": time.perf_counter() - started, "posts": written, "complaints": sum(clusters.values()),
            "complaint_clusters": len(clusters), "of_one": sum(1 for n in clusters.values() if n == 1),
            "largest": max(clusters.values(), default=0), "mb": db.stat().st_size / 2**20,
            "salad": maker.salad, "notes": maker.notes}


def config() -> Any:
    """What ``monitor spikes`` reads (the project's settings), without the webhook and Telegram."""
    from detector import DetectorConfig
    from monitor.settings import load_settings

    return DetectorConfig.from_settings(load_settings(), spikes_webhook=None, spikes_telegram=None)


def baseline(db: str) -> dict[str, Any]:
    from detector.crises.detect import SpikeDetector
    from detector.crises.series import BY_TERRITORY, Counts, SeriesKey
    from indexer.sqlite.store import SqliteStore

    spikes = config().spike_config()
    store = SqliteStore(db)
    before = peak_rss_mb()
    since = UNTIL - timedelta(days=1)
    started = time.perf_counter()
    start = since - timedelta(days=spikes.history_days, hours=spikes.gap_hours)
    rows = [(SeriesKey.from_row(BY_TERRITORY, r.key), r.start, r.count)
            for r in store.count_buckets(start, UNTIL, spikes.bucket, by=BY_TERRITORY)]
    counts = Counts.build(rows, spikes.bucket, start, UNTIL)
    alerts = SpikeDetector(spikes).detect(counts, report_from=counts.index(since))
    seconds = time.perf_counter() - started
    store.close()
    return {"seconds": seconds, "alerts": len(alerts), "series": len(counts.keys), "rss_before": before}


def every_series(db: str) -> dict[str, Any]:
    from detector.crises.alerts import store_counts
    from detector.crises.detect import SpikeDetector
    from indexer.sqlite.store import SqliteStore

    spikes = config().spike_config()
    store = SqliteStore(db)
    before = peak_rss_mb()
    since = UNTIL - timedelta(days=1)
    started = time.perf_counter()
    counts = store_counts(store, spikes, since, UNTIL)
    alerts = SpikeDetector(spikes).detect(counts, report_from=max(0, counts.index(since)))
    seconds = time.perf_counter() - started
    store.close()
    return {"seconds": seconds, "alerts": len(alerts), "series": len(counts.keys), "rss_before": before}


def through_store(db: str, until: datetime = UNTIL) -> dict[str, Any]:
    from detector import run_spikes
    from indexer.sqlite.store import SqliteStore

    with sqlite3.connect(db) as plain:  # every round a first run: no crisis known yet
        plain.execute(FORGET_CRISES)
    store = SqliteStore(db)
    before = peak_rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    report = run_spikes(store, config(), until=until)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    store.close()
    return {"seconds": seconds, "cpu": cpu, "alerts": len(report.crises), "rss_before": before}


def from_jsonl(path: str) -> dict[str, Any]:
    """As ``monitor spikes --from-jsonl FILE`` reads it: the file streamed, once."""
    from detector import spikes_in_records
    from detector.jobs.spikes import read_scored

    settings = config()
    before = peak_rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    with open(path, "rb") as lines:
        alerts = sum(1 for _ in spikes_in_records(read_scored(lines, path), settings))
    return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu, "alerts": alerts,
            "rss_before": before}


def previous(root: str, kind: str, path: str, until: str, max_gb: float, max_seconds: float) -> dict[str, Any]:
    """The same path with the code of another checkout (``--previous``), in a process of its own
    under the same limits: its wall time and peak RSS, or why it did not finish."""
    import resource
    import subprocess

    code = PREVIOUS_STORE if kind == "store" else PREVIOUS_JSONL
    limit = int(max_gb * 2**30)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))

    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", code, path, until], cwd=root, env={**os.environ, "PYTHONPATH": root},
                              capture_output=True, text=True, timeout=max_seconds, preexec_fn=cap, check=False)
    except subprocess.TimeoutExpired:
        return {"stopped": f"did not finish under {max_seconds:g} s"}
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"stopped": f"did not finish under {max_gb:g} GB ({last[:80]}) after {seconds:.0f} s, peak RSS "
                           f"{peak / 1024:.1f} GB", "peak_mb": peak}
    measured = dict(zip(("seconds", "alerts"), map(float, done.stdout.split()), strict=False))
    return {**measured, "peak_mb": peak, "wall": seconds}


# What ``monitor spikes`` did in a checkout given with --previous (argv: the store or file, until).
PREVIOUS_STORE = """
import sqlite3, sys, time
from datetime import datetime
from detector import DetectorConfig, run_spikes
from indexer.sqlite.store import SqliteStore
from monitor.settings import load_settings
with sqlite3.connect(sys.argv[1]) as plain:
    plain.execute("DELETE FROM incidents WHERE id LIKE 'crisis-%'")
config = DetectorConfig.from_settings(load_settings(), spikes_webhook=None, spikes_telegram=None)
store = SqliteStore(sys.argv[1])
started = time.perf_counter()
report = run_spikes(store, config, until=datetime.fromisoformat(sys.argv[2]))
print(time.perf_counter() - started, len(report.crises))
"""
PREVIOUS_JSONL = """
import sys, time
from pathlib import Path
from detector import DetectorConfig, spikes_in_records
from detector.training.data import read_jsonl
from monitor.settings import load_settings
config = DetectorConfig.from_settings(load_settings(), spikes_webhook=None, spikes_telegram=None)
started = time.perf_counter()
lines = list(spikes_in_records(read_jsonl(Path(sys.argv[1])), config))
print(time.perf_counter() - started, len(lines))
"""
FORGET_CRISES = "DELETE FROM incidents WHERE id LIKE 'crisis-%'"


def _files(directory: str, size: int) -> tuple[Path, Path, Path]:
    base = Path(directory)
    base.mkdir(parents=True, exist_ok=True)
    return base / f"store-{size}.db", base / f"scored-{size}.jsonl", base / f"complaints-{size}.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="posts in the store, comma-separated")
    parser.add_argument("--large", action="store_true", help="also 1,000,000 posts")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each path per size (ranges printed)")
    parser.add_argument("--max-gb", type=float, default=6.0, help="peak memory a run may reach")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="wall time a run may take")
    parser.add_argument("--build-seconds", type=float, default=2400.0, help="wall time building a store may take")
    parser.add_argument("--dir", default="/tmp/bench-spikes", help="where the stores and files are built")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--store", help="an existing SQLite store to run monitor spikes over (not built, not "
                                        "written but for its crises), up to its latest post")
    parser.add_argument("--jsonl", help="an existing file of scored posts for monitor spikes --from-jsonl")
    parser.add_argument("--previous", metavar="CHECKOUT", help="with --store/--jsonl: also run the code of this "
                                                               "checkout on the same inputs, for ratios")
    args = parser.parse_args()
    if args.store or args.jsonl:
        given(args)
        return
    sizes = [int(s) for s in args.sizes.split(",") if s] + ([1_000_000] if args.large else [])
    limits = {"max_gb": args.max_gb, "max_seconds": args.max_seconds}
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite "
          f"{sqlite3.sqlite_version}; each run in a fresh process, stopped past {args.max_gb:g} GB or "
          f"{args.max_seconds:g} s; {args.rounds} rounds per path")
    failed: dict[str, int] = {}
    for size in sizes:
        built = run_limited(build, size, args.seed, args.dir, max_gb=args.max_gb, max_seconds=args.build_seconds)
        if not built.finished:
            print(f"\n{size:,} posts: building the store {built.stopped}")
            continue
        _describe(size, built)
        db, every, complaints = (str(p) for p in _files(args.dir, size))
        runs = {"baseline": (baseline, db), "core": (every_series, db), "store": (through_store, db),
                "jsonl": (from_jsonl, every), "jsonl-complaints": (from_jsonl, complaints)}
        outcomes: dict[str, list[Outcome]] = {name: [] for name in runs if name not in failed}
        for _ in range(args.rounds):  # the paths interleaved, so a round's ratios share the machine's mood
            for name, done in outcomes.items():
                if name in failed:
                    continue
                func, path = runs[name]
                done.append(run_limited(func, path, **limits))
                if not done[-1].finished:
                    failed[name] = size
        _table(outcomes, failed, size)
    print("\nLeft out: the webhook and Telegram sinks (none configured); the Elasticsearch store; scoring and "
          "clustering (the flags and cluster ids are given); months of older posts in the store.")


def given(args: argparse.Namespace) -> None:
    """``--store``/``--jsonl``: the two user paths over existing inputs, each against ``--previous``."""
    limits = {"max_gb": args.max_gb, "max_seconds": args.max_seconds}
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite "
          f"{sqlite3.sqlite_version}; each run in a fresh process, stopped past {args.max_gb:g} GB or "
          f"{args.max_seconds:g} s; {args.rounds} rounds per path")
    runs: list[tuple[str, str, Any, tuple[Any, ...]]] = []
    if args.store:
        with sqlite3.connect(args.store) as plain:
            posts, latest = plain.execute("SELECT count(*), max(created_at) FROM posts").fetchone()
        until = datetime.fromtimestamp(latest + 1, timezone.utc)
        print(f"store {args.store}: {posts:,} posts, the last day before {until:%Y-%m-%d %H:%M} UTC reported")
        runs.append(("store", args.store, through_store, (args.store, until)))
    if args.jsonl:
        with open(args.jsonl, "rb") as lines:
            print(f"file {args.jsonl}: {sum(1 for _ in lines):,} lines")
        runs.append(("jsonl", args.jsonl, from_jsonl, (args.jsonl,)))
    print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the start: wall time waits for "
          "the CPU, CPU time does not)")
    print(f"  {'path':<52} {'wall s':>13} {'CPU s':>11} {'peak RSS MB':>12} {'alerts':>7}   previous code")
    for kind, path, func, call in runs:
        ours = [run_limited(func, *call, **limits) for _ in range(args.rounds)]
        before = (run_limited(previous, args.previous, kind, path, (call[1] if kind == "store" else UNTIL).isoformat(),
                              args.max_gb, args.max_seconds, max_gb=args.max_gb + 1, max_seconds=args.max_seconds + 60)
                  if args.previous else None)
        _given_line(PATHS[kind], ours, before)


def _given_line(label: str, ours: list[Outcome], before: Outcome | None) -> None:
    finished = [o for o in ours if o.finished]
    for outcome in ours:
        if not outcome.finished:
            print(f"  {label:<52} {outcome.stopped}")
    if not finished:
        return
    seconds = [o.result["seconds"] for o in finished]
    cpu = [o.result["cpu"] for o in finished]
    line = (f"  {label:<52} {span(seconds, 2):>13} {span(cpu, 2):>11} {max(o.peak_mb for o in finished):>12,.0f} "
            f"{span([o.result['alerts'] for o in finished]):>7}   ")
    old = before.result if before is not None and before.finished else None
    if before is None:
        line += "not run"
    elif old is None or "stopped" in old:
        line += (old or {}).get("stopped") or str(before.stopped)
    else:
        line += (f"{old['seconds']:.2f} s ({old['seconds'] / max(seconds):.1f}× ours), {old['peak_mb']:,.0f} MB "
                 f"({old['peak_mb'] / max(o.peak_mb for o in finished):.1f}× ours), {old['alerts']:.0f} alerts")
    print(line)


def _describe(size: int, built: Outcome) -> None:
    b = built.result
    print(f"\n{size:,} posts over 30 days ({b['complaints']:,} complaints in {b['complaint_clusters']:,} clusters: "
          f"{b['of_one']:,} of one post, the largest {b['largest']:,}); store built through upsert in "
          f"{b['seconds']:.1f} s, {b['mb']:,.0f} MB")
    print(f"  {'; '.join(b['notes'])}; {b['salad']:,} texts are word salad (the real ones ran out)")


def _table(outcomes: dict[str, list[Outcome]], failed: dict[str, int], size: int) -> None:
    print(f"  {'path':<48} {'wall s':>13} {'× baseline':>11} {'peak RSS MB':>12} {'alerts':>7}")
    base = outcomes.get("baseline", [])
    for name, label in PATHS.items():
        if name not in outcomes:
            print(f"  {label:<48} not run: did not finish at {failed[name]:,} posts")
            continue
        finished = [o for o in outcomes[name] if o.finished]
        if finished:
            seconds = [o.result["seconds"] for o in finished]
            ratios = [o.result["seconds"] / b.result["seconds"] for o, b in zip(outcomes[name], base, strict=False)
                      if o.finished and b.finished]
            peak = max(o.peak_mb for o in finished)
            alerts = span([o.result["alerts"] for o in finished])
            print(f"  {label:<48} {span(seconds, 2):>13} {span(ratios, 1):>11} {peak:>12,.0f} {alerts:>7}")
        for outcome in outcomes[name]:
            if not outcome.finished:
                print(f"  {label:<48} {outcome.stopped}")
    series = [o.result["series"] for name in ("baseline", "core") for o in outcomes.get(name, []) if o.finished]
    if series:
        print(f"  (series: {' and '.join(f'{n:,}' for n in dict.fromkeys(series))}; --from-jsonl reports the "
              "alerts of all 30 days, the store path those of the last day)")
    rss = [o.result["rss_before"] for runs in outcomes.values() for o in runs if o.finished]
    if rss:
        print(f"  (a run's process holds {span(rss)} MB before the call: the interpreter and its imports)")


if __name__ == "__main__":
    main()
