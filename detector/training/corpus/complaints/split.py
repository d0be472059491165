"""Split the raw labelled parts into train / dev / test (60 / 20 / 20), stratified, with a fixed seed.

    python detector/training/corpus/complaints/split.py

Stratified by (is_complaint, sector, negative type) so every split has every sector and every
kind of hard negative. Re-running gives the same files. Choose by cross-validation over train and
dev (``monitor eval complaints --cv 5``); test is for the figures only.

Parts written after the first split (``TRAIN_ONLY``: ``part_d``, more roads, amenities and other
complaints and their hard negatives; ``part_e``, winter: snow and ice in yards, on pavements and
roads, icicles, stops and bins under snow, and winter's hard negatives; ``part_f`` and ``part_g``,
appeals in the style of a city portal (``"platform": "portal"``, labelled by the portal's own
filing as the real appeals' training months show it, each with the portal ``reason`` it was written
for): the portal's winter, and the signs and boards at public-transport stops, with their
neighbours; ``part_h``, posts that teach where the sectors meet: a yard's asphalt is amenities and
the carriageway's roads, snow left on a street amenities and a sign it hides roads, a stairwell
and the lamp over its door housing, graffiti outside amenities, litter waste) go to ``extra.jsonl``, for training only, so train, dev and test keep exactly their
items. Likewise an item relabelled later is stratified by the label it had at the first split
(``FIRST_LABEL``), so a correction never moves items between splits.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SEED = 20261123
TRAIN_ONLY = {"part_d.jsonl", "part_e.jsonl", "part_f.jsonl", "part_g.jsonl", "part_h.jsonl"}
# Relabelled after the first split: parking on lawns is amenities by the sector definitions
# (watchlists/sectors.yml), as b-0494 and part_d already had it; snow and ice left on the
# carriageway is amenities (winter cleaning of every outdoor territory, as the city portals and
# most of the centres' snow topics file it), no longer roads.
FIRST_LABEL = {"a-0046": "other", "a-0189": "other", "c-0362": "other",
               **dict.fromkeys(["b-0009", "b-0162", "b-0164", "b-0166", "b-0267", "b-0429", "b-0430", "b-0524",
                                "b-0569", "b-0643"], "roads")}


def main() -> None:
    parts = sorted((HERE / "raw").glob("*.jsonl"))
    rows = [row for part in parts if part.name not in TRAIN_ONLY for row in _read(part)]
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["is_complaint"], FIRST_LABEL.get(row["id"], row["sector"]), row.get("negative"))].append(row)
    splits: dict[str, list[dict[str, Any]]] = {"train": [], "dev": [], "test": [], "extra": []}
    rng = random.Random(SEED)
    for key in sorted(groups, key=str):
        members = groups[key]
        rng.shuffle(members)
        n = len(members)
        dev, test = round(n * 0.2), round(n * 0.2)
        splits["test"] += members[:test]
        splits["dev"] += members[test:test + dev]
        splits["train"] += members[test + dev:]
    splits["extra"] += [row for part in parts if part.name in TRAIN_ONLY for row in _read(part)]
    for name, members in splits.items():
        members.sort(key=lambda r: r["id"])
        with (HERE / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            for row in members:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        complaints = sum(r["is_complaint"] for r in members)
        print(f"{name}: {len(members)} items, {complaints} complaints")


def _read(part: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in part.read_text(encoding="utf-8").splitlines() if line.strip()]


if __name__ == "__main__":
    main()
