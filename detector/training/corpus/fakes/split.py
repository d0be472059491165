"""Split the raw labelled parts into train / dev / test (60 / 20 / 20) by story, with a fixed seed.

    python detector/training/corpus/fakes/split.py

Every variant of one story lands in the same split: a model that saw "хлор с вертолётов" in
training would otherwise meet its copies in test and look better than it is on a new story.
Stories and one-off posts are dealt out separately per (label, category), so every split has
every kind of fake and every kind of hard negative. Re-running gives the same files. Tune on dev;
test is for the figures only.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SEED = 20261123


def main() -> None:
    rows = [json.loads(line) for part in sorted((HERE / "raw").glob("*.jsonl"))
            for line in part.read_text(encoding="utf-8").splitlines() if line.strip()]
    units: dict[str, list[dict[str, Any]]] = defaultdict(list)  # a story, or a one-off post
    for row in rows:
        units[f"story:{row['story']}" if row.get("story") else f"post:{row['id']}"].append(row)
    strata: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for key, members in units.items():
        first = members[0]
        strata[(key.startswith("story:"), first["label"], first["category"])].append(key)
    splits: dict[str, list[dict[str, Any]]] = {"train": [], "dev": [], "test": []}
    rng = random.Random(SEED)
    for stratum in sorted(strata, key=str):
        keys = sorted(strata[stratum])
        rng.shuffle(keys)
        n = len(keys)
        dev, test = round(n * 0.2), round(n * 0.2)
        for name, chosen in (("test", keys[:test]), ("dev", keys[test:test + dev]), ("train", keys[test + dev:])):
            for key in chosen:
                splits[name] += units[key]
    for name, members in splits.items():
        members.sort(key=lambda r: r["id"])
        with (HERE / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            for row in members:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        fakes = sum(r["label"] == "fake" for r in members)
        stories = len({r["story"] for r in members if r.get("story")})
        print(f"{name}: {len(members)} items, {fakes} fake, {stories} stories")


if __name__ == "__main__":
    main()
