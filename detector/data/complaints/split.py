"""Split the raw labelled parts into train / dev / test (60 / 20 / 20), stratified, with a fixed seed.

    python detector/data/complaints/split.py

Stratified by (is_complaint, sector, negative type) so every split has every sector and every
kind of hard negative. Re-running gives the same files. Tune on dev; test is for the figures only.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261123


def main() -> None:
    rows = [json.loads(line) for part in sorted((HERE / "raw").glob("*.jsonl"))
            for line in part.read_text(encoding="utf-8").splitlines() if line.strip()]
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        groups[(row["is_complaint"], row["sector"], row.get("negative"))].append(row)
    splits: dict[str, list[dict]] = {"train": [], "dev": [], "test": []}
    rng = random.Random(SEED)
    for key in sorted(groups, key=str):
        members = groups[key]
        rng.shuffle(members)
        n = len(members)
        dev, test = round(n * 0.2), round(n * 0.2)
        splits["test"] += members[:test]
        splits["dev"] += members[test:test + dev]
        splits["train"] += members[test + dev:]
    for name, members in splits.items():
        members.sort(key=lambda r: r["id"])
        with (HERE / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            for row in members:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        complaints = sum(r["is_complaint"] for r in members)
        print(f"{name}: {len(members)} items, {complaints} complaints")


if __name__ == "__main__":
    main()
