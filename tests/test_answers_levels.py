"""Answer quality, its figures, the watchlist's official accounts and the service levels: what
`monitor eval answers` and `monitor answers` print, on a real SQLite store."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from crawler.exceptions import WatchlistError
from crawler.watchlist import load_watchlist
from detector import DetectorConfig
from detector.answers import classify_answer
from detector.jobs.service_levels import service_levels
from detector.training.answers import evaluate_answers
from indexer.schema import Incident, Territory
from indexer.sqlite.store import SqliteStore

ROOT = Path(__file__).resolve().parent.parent
WEEK = datetime(2026, 11, 30, tzinfo=timezone.utc)  # Monday of 2026-W49
NOW = WEEK + timedelta(days=7)


@pytest.mark.parametrize(("text", "expected"), [
    ("Отремонтировали, спасибо за сигнал!", "substantive"),
    ("Бригада уже на месте.", "substantive"),
    ("Информация передана в Водоканал, бригада будет по адресу в течение 2 часов.", "substantive"),
    ("Здравствуйте! Ваше обращение передано в профильное ведомство.", "otpiska"),
    ("Информация принята к сведению.", "otpiska"),
    ("Ваш вопрос будет рассмотрен в установленном порядке.", "otpiska"),
    ("Ваше обращение будет рассмотрено до 20 декабря, ответ направим письменно.", "otpiska"),  # a date, no work
    ("Направлено для рассмотрения в администрацию района.", "otpiska"),
])
def test_an_answer_reads_as_substantive_or_otpiska_with_the_markers_that_fired(text: str, expected: str) -> None:
    quality = classify_answer(text)
    assert quality.label == expected
    assert quality.markers or expected == "otpiska"


def test_otpiska_detection_on_the_test_split_reaches_f1_085() -> None:
    report = evaluate_answers()[0]
    assert report.items == 95 and report.otpiski == 42
    assert report.f1 >= 0.85 and report.precision >= 0.85 and report.recall >= 0.85


def test_monitor_eval_answers_prints_precision_recall_and_f1() -> None:
    done = subprocess.run([sys.executable, "-m", "monitor", "eval", "answers", "--json"], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.splitlines()[0])
    assert figures["name"] == "detector/training/corpus/answers/test.jsonl" and figures["f1"] >= 0.85


def test_the_watchlist_names_official_accounts_and_refuses_a_malformed_one(tmp_path: Path) -> None:
    accounts = load_watchlist(None).answering_accounts()
    assert accounts["vk:-210004"] == "Администрация города Приреченска"  # an official page by its VK id
    assert accounts["telegram:7210004"] == "Администрация города Приреченска"
    bad = tmp_path / "w.yml"
    bad.write_text("sources: []\nofficial_accounts: [\"-210004\"]\n", encoding="utf-8")
    with pytest.raises(WatchlistError, match="official_accounts.0.account"):
        load_watchlist(bad)


def incident(number: int, body: str, hours_open: float, answered_after: float | None = None,
             quality: str = "substantive", deadline_hours: float = 48, status: str = "new") -> Incident:
    opened = WEEK + timedelta(hours=hours_open)
    answered = opened + timedelta(hours=answered_after) if answered_after is not None else None
    answers = [{"post_id": f"vk:-9:{number}:1", "at": answered.isoformat(), "quality": quality}] if answered else []
    return Incident(id=f"inc-{number}", kind="complaint", queue="routing", opened_at=opened, body=body,
                    sector="roads" if number % 2 else "housing", territory=Territory("Приреченск", "Заречный"),
                    deadline=opened + timedelta(hours=deadline_hours), post_ids=[f"vk:-1:{number}"], status=status,
                    answers=answers, answered_at=answered, answer_quality=quality if answered else None)


def test_service_levels_per_body_sector_and_territory(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "monitor.db")
    try:
        store.upsert_incidents([
            incident(1, "УДХ", 10, answered_after=2), incident(2, "УДХ", 20, answered_after=30, quality="otpiska"),
            incident(3, "УДХ", 30), incident(4, "Водоканал", 40, answered_after=5, quality="otpiska"),
            incident(5, "Водоканал", 50, status="closed"),
            incident(6, "УДХ", 24 * 7 + 1, answered_after=1),  # opened after the week: not counted
            incident(7, "Водоканал", 24 * 6 + 20),  # opened 4 h before now: not yet due
        ])
        levels = service_levels(store, DetectorConfig(), WEEK, WEEK + timedelta(days=7), NOW)
    finally:
        store.close()
    total = levels.total  # an отписка is no answer: inc-2 and inc-4 wait for one, inc-2 to inc-4 are overdue
    assert (total.incidents, total.judged, total.answered, total.in_target, total.otpiski, total.overdue) == (
        6, 5, 3, 1, 2, 3)  # inc-7, opened 4 h before now and unanswered, cannot be judged yet
    assert (total.share_in_target, total.any_in_target, total.median_hours, total.p90_hours) == (0.2, 2, 2.0, 2.0)
    udh = next(row for row in levels.group("body") if row.key == "УДХ")
    assert (udh.incidents, udh.answered, udh.share_in_target, udh.share_otpiski, udh.overdue) == (3, 2, 1 / 3, 0.5, 2)
    assert [row.key for row in levels.group("territory")] == ["Заречный"]
    assert {row.key for row in levels.group("sector")} == {"roads", "housing"}


def test_monitor_answers_prints_a_table_and_json_for_a_week(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "monitor.db")
    store.upsert_incidents([incident(1, "УДХ", 10, answered_after=2), incident(2, "Водоканал", 20)])
    store.close()
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    args = [sys.executable, "-m", "monitor", "answers", "--week", "2026-W49", "--store", url]
    table = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert table.returncode == 0, table.stderr
    assert "2026-11-30 00:00 – 2026-12-07 00:00" in table.stdout and "УДХ" in table.stdout
    data = json.loads(subprocess.run([*args, "--json"], capture_output=True, text=True, cwd=ROOT, timeout=120).stdout)
    assert data["total"]["incidents"] == 2 and data["total"]["answered"] == 1
    bad = subprocess.run([*args[:5], "2026-W60"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert bad.returncode == 2 and "expected an ISO week like 2026-W49" in bad.stderr
