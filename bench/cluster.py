"""Near-duplicate clustering throughput and memory: our Clusterer vs datasketch's textbook recipe.

The corpus: the project's labelled texts (fakes and complaints), copied the ways stories spread
(a forwarding prefix, a town swapped, a typo, shortened, pasted inside a comment) up to ``--items``
posts from 300 "sources" over a week. Ours: ``Clusterer.add`` over all of them at once, as
``monitor detect`` does (batched MinHash with CRC32 of character 5-grams, 64 permutations, LSH).
The baseline, in the same process on the first ``--baseline`` items: the datasketch README recipe
(one ``MinHash(num_perm=128)`` per text, SHA-1 of each shingle, ``MinHashLSH(threshold=0.5)``,
query then insert). Memory: the peak of Python allocations while clustering (tracemalloc), in a
second run so that tracing does not slow the timed one.

    python bench/cluster.py [--items 100000] [--baseline 10000]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datasketch import MinHash, MinHashLSH  # noqa: E402

from detector.incidents.clusters import Clusterer, shingles  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PREFIXES = ["Перешлите всем!!! ", "Из чата дома: ", "Скопировано. ", "Пишут в родительском чате: ", ""]
TOWNS = ["Приреченске", "Светлоярске", "Твери", "Перми"]


def corpus(items: int, seed: int = 7) -> list[dict]:
    texts = []
    for name in ("fakes/train.jsonl", "fakes/dev.jsonl", "complaints/train.jsonl", "complaints/dev.jsonl"):
        with open(ROOT / "detector" / "data" / name, encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f if line.strip()]
    rng = random.Random(seed)
    start = datetime(2026, 11, 16, tzinfo=timezone.utc)
    records = []
    for n in range(items):
        text = rng.choice(texts)
        change = rng.random()
        if change < 0.3:
            text = rng.choice(PREFIXES) + text
        elif change < 0.4:
            text = text.replace("Приреченске", rng.choice(TOWNS))
        elif change < 0.5 and len(text) > 20:
            cut = rng.randrange(len(text) - 5)
            text = text[:cut] + text[cut + 1:]  # a typo
        elif change < 0.6:
            text = text[: max(40, len(text) * 2 // 3)]
        elif change < 0.7:
            text = "Ну вот, опять. " + text + " Кто-нибудь знает, правда это?"
        records.append({"id": f"p{n}", "text": text, "source_id": f"src{rng.randrange(300)}",
                         "created_at": (start + timedelta(seconds=rng.randrange(7 * 86400))).isoformat()})
    return records


def ours(records: list[dict]) -> tuple[float, int]:
    clusterer = Clusterer()
    started = time.perf_counter()
    clusterer.add(records)
    return time.perf_counter() - started, len(clusterer.clusters)


def baseline(records: list[dict]) -> float:
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    started = time.perf_counter()
    for record in records:
        m = MinHash(num_perm=128)
        for shingle in shingles(record["text"]):
            m.update(shingle)
        lsh.query(m)
        lsh.insert(record["id"], m)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=10_000)
    args = parser.parse_args()
    records = corpus(args.items)
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    seconds, clusters = ours(records)
    print(f"ours:     {len(records):,} posts in {seconds:.1f} s = {len(records) / seconds:,.0f} posts/s "
          f"({clusters:,} clusters)")
    small = records[: args.baseline]
    base = baseline(small)
    mine, _ = ours(small)
    print(f"baseline: {len(small):,} posts in {base:.1f} s = {len(small) / base:,.0f} posts/s; "
          f"ours on the same {len(small):,}: {len(small) / mine:,.0f} posts/s, ratio {base / mine:.1f}×")
    tracemalloc.start()
    ours(records)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"memory:   peak {peak / 2**20:,.0f} MiB of Python allocations for {len(records):,} posts "
          f"({peak / len(records) / 1024:.1f} KiB per post)")


if __name__ == "__main__":
    main()
