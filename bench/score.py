"""Scoring throughput on distinct texts shaped like real posts: posts/s through what ``monitor
score`` and ``monitor detect`` call, against the lemmatiser alone in the same run, on one core.

Two sets of texts, each shuffled once (fixed seed) and cut in three: the project's labelled corpus
(``detector/training/corpus/complaints``: train, dev, test, extra; 2,878 posts and comments) and,
when ``../shared/data/rusentitweet_train.jsonl`` is there, 10,510 real everyday tweets (the train
split only). Each measurement is a fresh process: it loads (timed: the lemmatiser's dictionaries,
or ``Detector.from_config`` with the lexicons, the gazetteer, the word vectors and both models),
scores the first ``--cold`` texts ("cold": every word form new to the lemmatiser's and the
hasher's caches), then the middle of the set (warming the caches on other texts), then the last
``--held-out`` texts, which it has not seen ("warm": new posts once the region's vocabulary is
known). No text is scored twice, so the per-word caches help only as much as real vocabulary
repeats.

Rows: the lemmatiser alone (``Lemmatizer.tokens``, the baseline); the detector's complaints part
(``score_many`` without the fake score); ``monitor detect``'s scoring (``score_many`` in batches of
512, all parts); ``monitor score`` (``score_stream``: JSON Lines in and out, batches of 256, all
parts). Rates are posts per CPU-second of the measuring process (other work on a shared machine
does not count against it; the warm rate on the wall clock is printed too); ratios are each
round's rate over the lemmatiser's rate in the same round.

    python bench/score.py [--rounds 3] [--cold 512] [--held-out 512]

Left out: the rest of ``monitor detect`` (reading the store, clustering, incident grouping,
writing back: see bench/spikes.py and bench/cluster.py for two of them); the crawl's own scoring
stage (bench/crawl.py); more than one core.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from bench.limits import Outcome, run_limited, span  # noqa: E402
from bench.posts import read_lines, shared_file  # noqa: E402

ROWS = {
    "lemmatiser": "lemmatiser alone (pymorphy3 + form cache)",
    "complaints": "detector, complaints part only",
    "detect": "monitor detect: score_many by 512, all parts",
    "score": "monitor score: score_stream, all parts",
}


def texts() -> dict[str, list[dict[str, Any]]]:
    """The sets of records to score, each shuffled once."""
    from detector.training.data import corpus, read_jsonl, unlabelled

    sets = {"corpus": [unlabelled(r) for name in ("train", "dev", "test", "extra")
                       for r in read_jsonl(corpus("complaints", name))]}
    tweets = shared_file("rusentitweet_train.jsonl")
    if tweets is not None:
        sets["tweets"] = [{"id": r["id"], "text": r["text"], "kind": "post"} for r in read_lines(tweets)]
    for records in sets.values():
        random.Random(5).shuffle(records)
    return sets


def measure(row: str, name: str, cold: int, held_out: int) -> dict[str, Any]:
    """In a fresh process: load, then posts/s on the cold, warming and held-out parts of a set."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    records = texts()[name]
    parts = {"cold": records[:cold], "warming": records[cold:-held_out], "warm": records[-held_out:]}
    import detector.jobs.score  # noqa: F401  (imports are not load time)
    import detector.scoring  # noqa: F401
    import monitor.settings  # noqa: F401

    started = time.perf_counter()
    score = _scorer(row)
    result: dict[str, Any] = {"load": time.perf_counter() - started}
    for part, chunk in parts.items():
        started, cpu = time.perf_counter(), time.process_time()
        score(chunk)
        result[part] = len(chunk) / (time.process_time() - cpu)
        result[f"{part} wall"] = len(chunk) / (time.perf_counter() - started)
    return result


def _scorer(row: str) -> Any:
    if row == "lemmatiser":
        from detector.text.lemmas import Lemmatizer

        lemmatizer = Lemmatizer()
        return lambda records: [lemmatizer.tokens(r["text"]) for r in records]
    from detector import DetectorConfig
    from detector.jobs.score import score_stream
    from detector.scoring import Detector
    from monitor.settings import load_settings

    # What `monitor score` loads: the project's settings, the fake score included.
    detector = Detector.from_config(DetectorConfig.from_settings(load_settings()))
    if row == "complaints":
        detector.fakes = None
    if row == "score":
        def stream(records: list[dict[str, Any]]) -> None:
            lines = io.StringIO("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
            with open(os.devnull, "w", encoding="utf-8") as out:
                score_stream(detector, lines, out)
        return stream
    batch = 512 if row == "detect" else 256
    return lambda records: [detector.score_many(records[n:n + batch]) for n in range(0, len(records), batch)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cold", type=int, default=512, help="texts scored first after loading")
    parser.add_argument("--held-out", type=int, default=512, help="texts kept back for the warm figure")
    parser.add_argument("--max-gb", type=float, default=4.0)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    args = parser.parse_args()
    sets = texts()
    print(f"{platform.processor() or platform.machine()}, one core, Python {platform.python_version()}; "
          f"each figure a fresh process, {args.rounds} rounds, ranges shown")
    if "tweets" not in sets:
        print("rusentitweet_train.jsonl not found in ../shared/data: the tweets rows are skipped")
    results: dict[tuple[str, str], list[Outcome]] = {}
    for _ in range(args.rounds):
        for name in sets:
            for row in ROWS:
                outcome = run_limited(measure, row, name, args.cold, args.held_out,
                                      max_gb=args.max_gb, max_seconds=args.max_seconds)
                results.setdefault((name, row), []).append(outcome)
    for name, records in sets.items():
        _table(name, records, results, args)
    print("\nLeft out: the rest of `monitor detect` (store reads, clustering, incidents, write-back); the crawl's "
          "scoring stage (bench/crawl.py); more than one core.")


def _table(name: str, records: list[dict[str, Any]], results: dict[tuple[str, str], list[Outcome]],
           args: argparse.Namespace) -> None:
    words = sum(len(r["text"].split()) for r in records) / len(records)
    warming = len(records) - args.cold - args.held_out
    print(f"\n{name}: {len(records):,} distinct texts, {words:.0f} words each on average; cold = the first "
          f"{args.cold}, warm = the last {args.held_out} after {warming:,} others")
    print(f"  {'posts per CPU-second':<45} {'cold':>13} {'× lemm.':>11} {'warm':>13} {'× lemm.':>11} "
          f"{'warm, wall':>13} {'load s':>9} {'peak MB':>8}")
    base = results[name, "lemmatiser"]
    for row, label in ROWS.items():
        outcomes = results[name, row]
        stopped = [o.stopped for o in outcomes if not o.finished]
        if stopped:
            print(f"  {label:<45} {stopped[0]}")
            continue
        cells = []
        for part in ("cold", "warm"):
            rates = [o.result[part] for o in outcomes]
            ratios = [o.result[part] / b.result[part] for o, b in zip(outcomes, base, strict=True) if b.finished]
            cells += [span(rates), span(ratios, 2)]
        wall = span([o.result["warm wall"] for o in outcomes])
        load = span([o.result["load"] for o in outcomes], 1)
        peak = max(o.peak_mb for o in outcomes)
        print(f"  {label:<45} {cells[0]:>13} {cells[1]:>11} {cells[2]:>13} {cells[3]:>11} {wall:>13} {load:>9} "
              f"{peak:>8,.0f}")


if __name__ == "__main__":
    main()
