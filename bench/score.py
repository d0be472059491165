"""Scoring throughput: posts/s through the detector (what `monitor score` runs), next to the
lemmatiser's own throughput on the same texts, on one core.

The texts are the project's labelled corpus (1,950 posts and comments). "cold" is the first pass
of a fresh process (every word form is new to the lemmatiser's cache); "warm" is the best of the
next passes, the steady state of a crawl that has seen the region's vocabulary.

    python bench/score.py [--passes 4] [--batch 256]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from detector import DetectorConfig  # noqa: E402
from detector.scoring import Detector  # noqa: E402
from detector.text.lemmas import Lemmatizer  # noqa: E402
from detector.training.data import corpus, read_jsonl, unlabelled  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passes", type=int, default=4)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    records = [unlabelled(r) for name in ("train", "dev", "test")
               for r in read_jsonl(corpus("complaints", name))]
    texts = [r["text"] for r in records]
    words = sum(len(t.split()) for t in texts)
    print(f"{len(texts)} texts, {words / len(texts):.0f} words each on average; "
          f"{platform.processor() or platform.machine()}, one core, Python {platform.python_version()}")

    lemmatizer = Lemmatizer()
    lemma_rates = []
    for _ in range(args.passes):
        started = time.perf_counter()
        for text in texts:
            lemmatizer.tokens(text)
        lemma_rates.append(len(texts) / (time.perf_counter() - started))

    started = time.perf_counter()
    detector = Detector.from_config(DetectorConfig())  # what `monitor score` loads: fakes included
    load = time.perf_counter() - started
    score_rates = _rates(detector, records, args)
    detector.fakes = None
    without_fakes = _rates(detector, records, args)  # warm from the start: "cold" here means little

    print(f"{'':<34} {'cold posts/s':>12} {'warm posts/s':>12}")
    print(f"{'lemmatiser alone (pymorphy3+cache)':<34} {lemma_rates[0]:>12.0f} {max(lemma_rates[1:]):>12.0f}")
    print(f"{'detector, complaints part only':<34} {without_fakes[0]:>12.0f} {max(without_fakes[1:]):>12.0f}")
    print(f"{'detector: score_many (all parts)':<34} {score_rates[0]:>12.0f} {max(score_rates[1:]):>12.0f}")
    print(f"detector load time {load:.1f}s (lexicons, gazetteer, both models); goal ≥ 2,000 posts/s warm")


def _rates(detector: Detector, records: list[dict], args: argparse.Namespace) -> list[float]:
    rates = []
    for _ in range(args.passes):
        started = time.perf_counter()
        for start in range(0, len(records), args.batch):
            detector.score_many(records[start:start + args.batch])
        rates.append(len(records) / (time.perf_counter() - started))
    return rates


if __name__ == "__main__":
    main()
