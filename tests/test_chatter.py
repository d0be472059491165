"""Real everyday chatter: one split for every model and report, and the share the detector flags."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from detector.training.chatter import chatter_split, split_of


def test_an_item_falls_in_the_same_split_on_every_machine() -> None:
    assert [split_of(f"rstw{n}") for n in range(6)] == [split_of(f"rstw{n}") for n in range(6)]
    assert split_of("rstw1282311169534038016") == split_of("rstw1282311169534038016")


def test_the_splits_are_disjoint_and_cut_sixty_ten_thirty() -> None:
    rows = [{"id": f"item{n}", "text": "x"} for n in range(5000)]
    parts = {name: {row["id"] for row in chatter_split(rows, name)} for name in ("train", "dev", "test")}
    assert not parts["train"] & parts["test"] and not parts["dev"] & parts["test"]
    assert sum(len(ids) for ids in parts.values()) == len(rows)
    shares = Counter({name: len(ids) / len(rows) for name, ids in parts.items()})
    assert abs(shares["train"] - 0.6) < 0.03 and abs(shares["dev"] - 0.1) < 0.02 and abs(shares["test"] - 0.3) < 0.03


def test_monitor_eval_chatter_counts_what_the_detector_flags(tmp_path: Path) -> None:
    lines = ["Помойму я вкрашилась в Чимина", "Сегодня пеку пироги с капустой", "Какой красивый закат",
             "Во дворе на Лесной третью неделю нет горячей воды, управляющая компания не отвечает"]
    rows = [{"id": f"c{n}-{i}", "text": text, "civic_words": i == 3} for n in range(40) for i, text in enumerate(lines)]
    data = tmp_path / "chatter.jsonl"
    data.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "monitor", "eval", "chatter", "--data", str(data), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["items"] == len(chatter_split(rows, "test")) and report["civic"] > 0
    assert report["complaints"] >= report["civic"] - 2  # the civic one is a real complaint
    assert report["complaints_not_civic"] <= report["items"] // 4


def test_monitor_eval_chatter_without_data_says_what_it_needs() -> None:
    done = subprocess.run([sys.executable, "-m", "monitor", "eval", "chatter"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and "--data FILE" in done.stderr and "Traceback" not in done.stderr
