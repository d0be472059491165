"""Cut the hand-written official answers into train / dev / test (50 / 25 / 25) by a hash of each text.

    python detector/training/corpus/answers/split.py

``raw/answers.txt``: one answer a line under ``## <label> <style>`` headings; ``label`` is
``substantive`` or ``otpiska``, ``style`` who writes it and about what (``gospublic``, ``zhkh``,
``roads``, ``admin``, ``health``, ``transport``, ``ecology``, ``education``, ``short``; ``hard``:
a polite отписка with a date, a substantive answer in an отписка's words). Re-running gives the
same files.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPLITS = {"train": range(0, 2), "dev": range(2, 3), "test": range(3, 4)}  # quarters of the hash


def main() -> None:
    splits: dict[str, list[dict[str, object]]] = {name: [] for name in SPLITS}
    label, style, n = "", "", 0
    for line in (HERE / "raw" / "answers.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            label, style = line[3:].split()
            style = style.rstrip("0123456789")
            continue
        if not line.strip() or line.startswith("#"):
            continue
        digest = int(hashlib.sha256(line.strip().encode("utf-8")).hexdigest()[:8], 16)
        split = next(name for name, quarters in SPLITS.items() if digest % 4 in quarters)
        splits[split].append({"id": f"a-{n:04d}", "text": line.strip(), "label": label, "style": style,
                              "hard": style == "hard"})
        n += 1
    for name, members in splits.items():
        with (HERE / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in members)
        print(f"{name}: {len(members)} items, otpiska {sum(r['label'] == 'otpiska' for r in members)}")


if __name__ == "__main__":
    main()
