"""One incremental ``monitor detect`` tick on a store of 1,000,000 posts with 5,000 new ones,
against the 72-hour rescoring pass every tick used to make.

The store is built first (not timed): ``bench/posts.py``'s posts (real texts, the real daily
rhythm and sector × district mix, 10% copies of stories spread over hours from many pages) over 30
days, written through ``SqliteStore.upsert`` in the index pipeline's batches, with the findings a
detect leaves on them, its MinHash band keys included (``update_findings``). The newest ``--new``
posts of the same stream are held back: they are what the crawl brings between two ticks, story
copies of older posts among them.

Then, on one core (the processes are pinned to CPU 0, BLAS to one thread):

- baseline: ``monitor detect --since <72 h ago>``, what each scheduler tick ran before detection
  was incremental: every post of the last 72 hours scored and grouped again. It also leaves the
  store with the routing and fact-check incidents of those days, as a store in use has them;
- the new posts are stored (``upsert``, timed: posts/s) and the checkpoint is set as the last
  tick would have left it (just after the history was written);
- tick: ``monitor detect``, incremental, in a fresh process (the model load is part of it, and is
  also timed alone);
- warm tick: the same run in the scheduler's detect worker (``monitor detect --serve`` through
  ``crawler.detect_worker.DetectWorker``, as ``monitor schedule`` runs it), on a copy of the store as
  it was before the new posts: the worker makes one run with nothing new (models loaded, the
  lemma cache holding nothing of the new posts' words), the new posts are stored, and the second
  run is timed. This is the tick the scheduler makes.

    python bench/tick.py [--posts 1000000] [--new 5000] [--dir /tmp/monitor-bench-tick] [--reuse]

``--reuse`` takes the history store and the held-back posts from an earlier run's ``--dir``
(``history.db``, ``new.jsonl``); each run measures on a fresh copy of it. The store as the baseline
left it is kept too (``baseline.db``): ``--reuse --no-baseline`` ticks on it, without the 72-hour pass.

Left out: Elasticsearch (the double is not a measure of a cluster's speed); comments threaded
under posts (``bench/posts.py`` does not thread them: thread roots read as context are none); the
webhook (none configured).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from bench.posts import PostMaker, Shape  # noqa: E402
from crawler import settings as defaults  # noqa: E402
from detector.jobs.detect import CHECKPOINT, MARGIN  # noqa: E402

BATCH = defaults.INDEXER_BATCH_SIZE  # posts the index pipeline writes at a time
GOAL = 10.0  # seconds a tick may take on one core


def build(db: Path, total: int, new: int, seed: int) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """The store of ``total - new`` posts with their findings; the ``new`` newest held back (also
    written beside it, for ``--reuse``)."""
    import orjson

    from detector import DetectorConfig
    from detector.incidents.clusters import Clusterer
    from indexer.schema import Post
    from indexer.sqlite.store import SqliteStore

    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        path.unlink(missing_ok=True)
    config = DetectorConfig()
    clusterer = Clusterer(threshold=config.clusters_threshold, containment=config.clusters_containment)
    until = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=1)
    records = list(PostMaker(seed).records(total, until, Shape()))
    history, held = records[:-new], records[-new:]
    store = SqliteStore(db)
    started = time.perf_counter()
    for start in range(0, len(history), BATCH):
        batch = history[start:start + BATCH]
        store.upsert([Post.from_dict(r) for r in batch])  # the crawl's write, scores and clusters included
        keys = clusterer.text_keys([r["text"] for r in batch])
        store.update_findings({r["id"]: {"bands": k or None} for r, k in zip(batch, keys, strict=True)})
    store.close()
    with open(db.with_name("new.jsonl"), "wb") as out:
        out.writelines(orjson.dumps(r) + b"\n" for r in held)
    return held, {"seconds": time.perf_counter() - started, "posts": len(history), "mb": db.stat().st_size / 2**20}


def monitor(*args: str) -> tuple[float, float, list[str]]:
    """``monitor <args>`` in a fresh process pinned to CPU 0: wall seconds, peak RSS (MB), stdout lines
    (the last one its CPU seconds)."""
    # The child reports its own peak: RUSAGE_CHILDREN would give the largest of all runs so far.
    code = ("import resource, runpy, sys\n"
            "sys.argv = ['monitor', *sys.argv[1:]]\n"
            "try:\n    runpy.run_module('monitor', run_name='__main__')\n"
            "finally:\n    used = resource.getrusage(resource.RUSAGE_SELF)\n"
            "    print('peak-rss-kb', used.ru_maxrss, used.ru_utime + used.ru_stime, file=sys.stderr)\n")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                          preexec_fn=lambda: os.sched_setaffinity(0, {0}), check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"monitor {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-800:]}")
    used = next((line.split()[1:] for line in done.stderr.splitlines() if line.startswith("peak-rss-kb")),
                ["nan", "nan"])
    return seconds, float(used[0]) / 1024, [*done.stdout.splitlines(), f"{float(used[1]):.1f} CPU-s"]


def model_load() -> float:
    """Loading the detector (models, lemmatiser, gazetteer) alone, in a fresh process."""
    code = ("import time; t = time.perf_counter(); from detector import Detector, DetectorConfig; "
            "Detector.from_config(DetectorConfig()); print(time.perf_counter() - t)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                          preexec_fn=lambda: os.sched_setaffinity(0, {0}))
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000, help="posts in the store, the new ones included")
    parser.add_argument("--new", type=int, default=5_000, help="posts the crawl brings between two ticks")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/monitor-bench-tick"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true", help="skip the 72-hour pass")
    parser.add_argument("--reuse", action="store_true", help="the history store of an earlier run in --dir")
    parser.add_argument("--no-warm", action="store_true", help="skip the tick in the scheduler's detect worker")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    db = args.dir / "monitor.db"
    store_url = f"sqlite:///{db}"
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, one used; {args.posts:,} posts, "
          f"{args.new:,} new")

    from indexer.schema import Post
    from indexer.sqlite.store import SqliteStore

    history = args.dir / "history.db"
    if args.reuse and history.exists():
        import orjson

        held = [orjson.loads(line) for line in open(history.with_name("new.jsonl"), "rb")]
        print(f"reused: {history} ({history.stat().st_size / 2**20:,.0f} MB), {len(held):,} new posts")
    else:
        held, built = build(history, args.posts, args.new, args.seed)
        print(f"built: {built['posts']:,} posts with findings in {built['seconds']:.0f}s "
              f"({built['posts'] / built['seconds']:,.0f}/s), {built['mb']:,.0f} MB")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(history, db)
    # The last tick started a minute ago, or once the history was written when that is later: the
    # tick then reads what a tick a minute after the last one reads (the new posts, and the
    # incidents whose deadline passed in that minute), however long ago a reused store was built.
    written_at = max(datetime.fromtimestamp(history.stat().st_mtime, timezone.utc),
                     datetime.now(timezone.utc) - MARGIN - timedelta(minutes=1))

    baseline = None
    after_baseline = args.dir / "baseline.db"
    if not args.no_baseline:
        since = (datetime.now(timezone.utc) - timedelta(hours=72)).isoformat()
        baseline, rss, out = monitor("detect", "--since", since, "--store", store_url)
        print(f"baseline: monitor detect --since 72h: {baseline:.1f}s, peak {rss:,.0f} MB: {out[0]}")
        shutil.copyfile(db, after_baseline)
    elif args.reuse and after_baseline.exists():
        shutil.copyfile(after_baseline, db)
        print(f"reused the store as an earlier baseline left it ({after_baseline})")

    SqliteStore(db).close()  # a store of an earlier layout is moved to the current one here, untimed
    warm_db = args.dir / "warm.db"
    if not args.no_warm:
        shutil.copyfile(db, warm_db)
    store = SqliteStore(db)
    started = time.perf_counter()
    store.upsert([Post.from_dict(r) for r in held])
    ingest = time.perf_counter() - started
    # as the last tick left it: it started once the history was written (the margin reads back to then)
    store.set_cursor(CHECKPOINT, {"at": (written_at + MARGIN).isoformat()})
    store.close()
    print(f"new posts stored: {len(held):,} in {ingest:.2f}s ({len(held) / ingest:,.0f}/s)")

    load = model_load()
    tick, rss, out = monitor("detect", "--store", store_url)
    print(f"model load alone: {load:.1f}s")
    print(f"tick: monitor detect (incremental): {tick:.1f}s, {out[-1]}, peak {rss:,.0f} MB "
          f"(goal < {GOAL:.0f}s: {'met' if tick < GOAL else 'NOT met'}): {out[0]}")
    if baseline:
        print(f"tick / baseline: {tick / baseline:.3f} ({baseline / tick:.1f}x faster)")
    if not args.no_warm:
        warm, cpu, answer = warm_tick(warm_db, held, written_at)
        print(f"warm tick: the scheduler's detect worker: {warm:.1f}s, {cpu:.1f} CPU-s (goal < {GOAL:.0f}s: "
              f"{'met' if warm < GOAL else 'NOT met'}; warm / fresh {warm / tick:.2f}): {answer.summary}")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{warm_db}{suffix}").unlink(missing_ok=True)


def warm_tick(db: Path, held: list[dict[str, Any]], written_at: datetime) -> tuple[float, float, Any]:
    """The tick in the scheduler's detect worker, pinned to CPU 0, after one run with nothing new:
    wall seconds, the worker's CPU seconds, its answer."""
    from crawler.detect_worker import DetectWorker
    from indexer.schema import Post
    from indexer.sqlite.store import SqliteStore

    store = SqliteStore(db)
    store.set_cursor(CHECKPOINT, {"at": (written_at + MARGIN).isoformat()})
    store.close()
    worker = DetectWorker(["taskset", "-c", "0", sys.executable, "-m", "monitor", "detect", "--store",
                           f"sqlite:///{db}"], db.with_name("worker.log"))
    try:
        first = run_in(worker)
        if first.exit != 0:
            raise SystemExit(f"the detect worker failed: {first.lines}")
        store = SqliteStore(db)
        store.upsert([Post.from_dict(r) for r in held])
        # the same checkpoint as the fresh tick's, so both runs read the same posts
        store.set_cursor(CHECKPOINT, {"at": (written_at + MARGIN).isoformat()})
        store.close()
        assert worker.process is not None
        cpu, started = cpu_seconds(worker.process.pid), time.perf_counter()
        answer = run_in(worker)
        return time.perf_counter() - started, cpu_seconds(worker.process.pid) - cpu, answer
    finally:
        worker.close()


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_in(worker: Any) -> Any:
    worker.ask(time.monotonic())
    while (answer := worker.poll()) is None:
        time.sleep(0.01)
    return answer


if __name__ == "__main__":
    main()
