"""Cut the hand-written official news and advice into train / dev / test (50 / 25 / 25) by a hash
of each text.

    python detector/training/corpus/official/split.py

``raw/official.txt``: one text a line under ``## <category>`` headings (official_news,
named_source, advice); every line is ordinary: plain news with a named source, a statement citing
a document, everyday advice. Each is read as a city group's or a local medium's repost (the page
kind alternates by the hash), since an official page's own words already weigh less. Re-running
gives the same files.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPLITS = {"train": range(0, 2), "dev": range(2, 3), "test": range(3, 4)}  # quarters of the hash


def main() -> None:
    splits: dict[str, list[dict[str, str]]] = {name: [] for name in SPLITS}
    category, n = "", 0
    for line in (HERE / "raw" / "official.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            category = line[3:].strip()
            continue
        if not line.strip() or line.startswith("#"):
            continue
        digest = int(hashlib.sha256(line.strip().encode("utf-8")).hexdigest()[:8], 16)
        split = next(name for name, quarters in SPLITS.items() if digest % 4 in quarters)
        splits[split].append({"id": f"o-{n:04d}", "text": line.strip(), "label": "ordinary", "category": category,
                              "platform": "vk", "kind": "post",
                              "source_kind": "media" if digest % 8 >= 4 else "city_group"})
        n += 1
    for name, members in splits.items():
        with (HERE / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in members)
        print(f"{name}: {len(members)} items")


if __name__ == "__main__":
    main()
