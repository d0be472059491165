"""Near-duplicate clustering as ``monitor detect`` runs it: posts/s and peak RSS of our Clusterer,
against datasketch's textbook recipe on the same posts in the same run.

The posts are shaped like a region's window of posts (``bench/posts.py``): real texts (the corpus,
the St Petersburg appeals, RuSentiTweet's train split; word salad in the same words once those run
out, so no two singletons are copies), most of them posts of their own, 10% copies of stories (the
corpus' fakes and longer complaints, copied the ways stories spread: a forwarding prefix, another
town, a typo, shortened, pasted inside a comment) over 30 days from 1,000 sources. Ours: a
``Clusterer`` built from ``DetectorConfig`` as ``run_detect`` builds it, ``add`` over the whole
window at once (batched MinHash of character 5-grams, 64 permutations, LSH), the posts carrying no
cluster id yet (a first run). The baseline, on the first ``--baseline`` posts: the datasketch README
recipe (one ``MinHash(num_perm=128)`` per text, SHA-1 of each shingle, ``MinHashLSH(threshold=0.5)``,
query then insert). Each run is a fresh process: printed are its RSS before clustering (the
interpreter and the posts), what clustering added to it (what the clusterer holds) and its peak
(``getrusage``; building the posts may be what set it). Purity against the stories the posts were copied from says
the clusters are right as well as fast.

    python bench/cluster.py [--sizes 10000,100000] [--large] [--baseline 10000] [--rounds 2]

Left out: scoring, the fact-check and incident grouping that read the clusters, and the store
reads and writes around them (``monitor detect`` does all of that; bench/score.py times the
scoring); re-runs over posts that already carry a cluster id (they skip the look-up).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.limits import Outcome, rss_mb, run_limited, span  # noqa: E402
from bench.posts import PostMaker, Shape  # noqa: E402

UNTIL = datetime(2026, 11, 23, 21, 0, tzinfo=timezone.utc)


def posts(size: int, seed: int) -> tuple[list[dict[str, Any]], list[str], int]:
    """Records without their cluster ids, the story each belongs to (its given cluster id), and
    how many texts are word salad."""
    maker = PostMaker(seed)
    records = list(maker.records(size, UNTIL, Shape()))
    stories = [r.pop("cluster_id") for r in records]
    return records, stories, maker.salad


def ours(size: int, seed: int) -> dict[str, Any]:
    from detector import DetectorConfig
    from detector.incidents.clusters import Clusterer, purity
    from monitor.settings import load_settings

    records, stories, salad = posts(size, seed)
    config = DetectorConfig.from_settings(load_settings())
    before = rss_mb()
    clusterer = Clusterer(threshold=config.clusters_threshold, containment=config.clusters_containment)
    started = time.perf_counter()
    found = clusterer.add(records)
    seconds = time.perf_counter() - started
    held = rss_mb() - before
    pure, inverse = purity(found, stories)
    return {"seconds": seconds, "clusters": len(clusterer.clusters), "stories": len(set(stories)),
            "purity": pure, "inverse": inverse, "salad": salad, "rss_before": before, "held": held}


def baseline(size: int, seed: int) -> dict[str, Any]:
    from datasketch import MinHash, MinHashLSH

    from detector.incidents.clusters import shingles

    records, _, _ = posts(size, seed)
    before = rss_mb()
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    started = time.perf_counter()
    for record in records:
        m = MinHash(num_perm=128)
        for shingle in shingles(record["text"]):
            m.update(shingle)
        lsh.query(m)
        lsh.insert(record["id"], m)
    return {"seconds": time.perf_counter() - started, "rss_before": before, "held": rss_mb() - before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="posts in the window, comma-separated")
    parser.add_argument("--large", action="store_true", help="also 200,000 posts (DETECTOR_MAX_POSTS)")
    parser.add_argument("--baseline", type=int, default=10_000, help="posts the textbook recipe clusters")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--max-gb", type=float, default=6.0)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s] + ([200_000] if args.large else [])
    limits = {"max_gb": args.max_gb, "max_seconds": args.max_seconds}
    print(f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}; each run a fresh process, {args.rounds} rounds, ranges shown")
    runs: dict[str, list[Outcome]] = {}
    for _ in range(args.rounds):
        runs.setdefault("baseline", []).append(run_limited(baseline, args.baseline, args.seed, **limits))
        for size in sizes:
            runs.setdefault(str(size), []).append(run_limited(ours, size, args.seed, **limits))
    base = [args.baseline / o.result["seconds"] if o.finished else None for o in runs["baseline"]]
    print(f"\n{'':<46} {'posts/s':>15} {'× recipe':>10} {'RSS before MB':>14} {'held MB':>9} {'peak MB':>8}")
    for name, outcomes in runs.items():
        size = args.baseline if name == "baseline" else int(name)
        label = f"datasketch recipe, {size:,} posts" if name == "baseline" else f"ours: Clusterer.add, {size:,} posts"
        finished = [o for o in outcomes if o.finished]
        for outcome in outcomes:
            if not outcome.finished:
                print(f"{label:<46} {outcome.stopped}")
        if not finished:
            continue
        rates = [size / o.result["seconds"] for o in finished]
        ratio = span([size / o.result["seconds"] / b for o, b in zip(outcomes, base, strict=True)
                      if o.finished and b], 1)
        before = span([o.result["rss_before"] for o in finished])
        held = span([o.result["held"] for o in finished])
        print(f"{label:<46} {span(rates):>15} {ratio:>10} {before:>14} {held:>9} "
              f"{max(o.peak_mb for o in finished):>8,.0f}")
    for name, outcomes in runs.items():
        done = [o.result for o in outcomes if o.finished]
        if name != "baseline" and done:
            r = done[0]
            print(f"{int(name):,} posts: {r['clusters']:,} clusters for {r['stories']:,} stories and posts of their "
                  f"own; purity {r['purity']:.3f}, inverse purity {r['inverse']:.3f}; {r['salad']:,} texts are "
                  "word salad (the real ones ran out)")
    print("(Purity is against the stories the posts were copied from: the real appeals hold near-copies of "
          "their own, repeated and templated appeals, which those stories do not know.)")
    print("\nLeft out: scoring, the fact-check and incident grouping, the store reads and writes of `monitor detect`; "
          "re-runs over posts that already carry a cluster id.")


if __name__ == "__main__":
    main()
