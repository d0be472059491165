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


TALK = ["Сегодня пеку пироги с капустой", "Какой красивый закат над рекой", "Кто смотрел новый сериал? Я в восторге",
        "Опять проспала, бегу на пары", "Купила котику новый домик, не заходит 😂", "Всех с пятницей, друзья!"]


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def test_chatter_teaches_a_relevance_model_and_the_probability_is_calibrated_on_dev(tmp_path: Path) -> None:
    from detector.complaints.model import ComplaintModel
    from detector.config import DetectorConfig
    from detector.scoring import Detector
    from detector.training.complaints import train_complaints
    from detector.training.data import corpus, read_jsonl

    detector = Detector.from_config(DetectorConfig(), with_model=False)
    train = _jsonl(tmp_path / "train.jsonl", read_jsonl(corpus("complaints", "train"))[:300])
    dev = _jsonl(tmp_path / "dev.jsonl", read_jsonl(corpus("complaints", "dev"))[:120])
    talk = _jsonl(tmp_path / "talk.jsonl", [{"id": f"t{n}", "text": f"{TALK[n % len(TALK)]} {n}"} for n in range(400)])
    train_complaints(detector, [train, dev], tmp_path / "m.npz", chatter=talk, calibration=[dev])
    model = ComplaintModel.load(tmp_path / "m.npz")
    card = json.loads((tmp_path / "m.card.json").read_text(encoding="utf-8"))
    assert model.relevance is not None and set(model.meta["calibration"]) == {"slope", "intercept"}
    assert card["calibration"]["items"] == 120 + len(chatter_split(read_jsonl(talk), "dev"))
    assert card["chatter"]["used"].startswith("the train split")
    detector.model = model
    scored = detector.score_many([{"id": "a", "text": TALK[0]}, {"id": "b", "text": TALK[4]},
                                  {"id": "c", "text": "Третий день нет горячей воды на Речной 14, УК не отвечает"}])
    assert [s["is_complaint"] for s in scored] == [False, False, True]


def test_real_appeals_are_told_from_chatter_with_a_calibration_table(tmp_path: Path) -> None:
    from detector.config import DetectorConfig
    from detector.scoring import Detector
    from detector.training.complaints import evaluate_complaints

    appeals = _jsonl(tmp_path / "appeals.jsonl", [
        {"id": str(n), "text": f"Во дворе дома {n} не убирают мусор, контейнеры переполнены", "sector": "waste"}
        for n in range(40)])
    talk = _jsonl(tmp_path / "talk.jsonl", [{"id": f"t{n}", "text": TALK[n % len(TALK)]} for n in range(200)])
    reports = evaluate_complaints(Detector.from_config(DetectorConfig()), [], real_appeals=appeals, chatter=talk)
    hinted, plain, combined = reports
    assert "no platform field" in plain.name and plain.sector_macro_f1 is not None
    assert combined.complaint is not None and combined.complaint[2] > 0.9
    assert sum(n for _, _, n, _, _ in combined.calibration) == combined.items
    assert any(line.strip().startswith("calibration") for line in combined.lines())


def test_cross_validation_learns_the_chatter_and_scores_its_dev_split(tmp_path: Path) -> None:
    from detector.config import DetectorConfig
    from detector.scoring import Detector
    from detector.training.crossval import cross_validate
    from detector.training.data import corpus, read_jsonl

    data = _jsonl(tmp_path / "some.jsonl", read_jsonl(corpus("complaints", "train"))[:200])
    talk = _jsonl(tmp_path / "talk.jsonl", [{"id": f"t{n}", "text": f"{TALK[n % len(TALK)]} {n}"} for n in range(300)])
    appeals = _jsonl(tmp_path / "appeals.jsonl", [
        {"id": str(n), "text": f"Во дворе дома {n} не убирают мусор, контейнеры переполнены", "sector": "waste"}
        for n in range(60)])
    reports = cross_validate(Detector.from_config(DetectorConfig(), with_model=False), [data], real_appeals=appeals,
                             chatter=talk, folds=2)
    posts, hinted, plain, chatter, combined = reports
    assert posts.items == 200 and hinted.items == plain.items == 2 * 9  # 20% of the earlier 70%, by both folds
    assert chatter.items == 2 * len(chatter_split(read_jsonl(talk), "dev")) and chatter.complaint_flagged is not None
    assert combined.complaint is not None
