"""Cut the hand-written threats corpus into dev / test (50 / 50) by a hash of each text.

    python detector/training/corpus/threats/split.py

``raw/*.txt``: one text a line under ``## <form>`` headings; ``threats.txt`` holds threats,
``not_threats.txt`` emergency reports, rumours and everyday violent words (the heading is the
label). The recogniser is a grammar, not a learnt model: dev is where it was tuned, test is read
for the figures only. Re-running gives the same files.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
LABELS = {"threats.txt": "threat"}  # in the other files the heading is the label


def rows() -> list[dict[str, str]]:
    found = []
    for part in sorted((HERE / "raw").glob("*.txt")):
        heading = ""
        for line in part.read_text(encoding="utf-8").splitlines():
            if line.startswith("## "):
                heading = line[3:].strip()
            elif line.strip() and not line.startswith("#"):
                label = LABELS.get(part.name, heading)
                found.append({"text": line.strip(), "label": label, "form": heading})
    return found


def main() -> None:
    splits: dict[str, list[dict[str, str]]] = {"dev": [], "test": []}
    for n, row in enumerate(rows()):
        digest = hashlib.sha256(row["text"].encode("utf-8")).hexdigest()
        split = "dev" if int(digest[:8], 16) % 2 == 0 else "test"
        splits[split].append({"id": f"t-{n:04d}", **row, "platform": "vk", "kind": "post",
                              "source_kind": "city_group"})
    for name, members in splits.items():
        with (HERE / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in members)
        threats = sum(r["label"] == "threat" for r in members)
        print(f"{name}: {len(members)} items, {threats} threats")


if __name__ == "__main__":
    main()
