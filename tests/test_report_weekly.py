"""The weekly report's figures: ISO weeks, answer times per body (an отписка is no answer), and a
week read from both stores (incidents before, in and after the week; the fact-check queue; crises)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from detector.exceptions import ReportError
from detector.reports import Week, answer_times, build_weekly
from indexer.elastic.store import ElasticsearchStore
from indexer.schema import Incident, Territory
from indexer.sqlite.store import SqliteStore
from indexer.store import IncidentQuery, Store
from tests.support.es_double import ElasticsearchDouble

WEEK = Week.parse("2026-W49")  # Monday 30 November to Monday 7 December 2026
NOW = WEEK.end + timedelta(hours=6)  # the Monday morning after
UK, ROADS, HEALTH = "УК «Приречье-Сервис»", "Дорожное агентство области", "Минздрав области"
NAMES = {"housing": "ЖКХ", "roads": "Дороги", "health": "Здравоохранение", "waste": "ТКО"}


def answer(at: datetime, quality: str) -> dict[str, Any]:
    return {"post_id": f"vk:-1:9:{at:%d%H%M}", "author": "Администрация", "at": at.isoformat(), "quality": quality,
            "markers": ["срок"] if quality == "substantive" else ["передано"]}


def complaint(number: int, opened: datetime, *, sector: str = "housing", district: str = "Заречный",
              body: str = UK, answers: tuple[tuple[float, str], ...] = (), posts: int = 1, sources: int = 1,
              deadline_hours: float = 24, status: str = "new", priority: str = "normal") -> Incident:
    """A routing incident with its official answers as the detector records them (hours after opening)."""
    found = [answer(opened + timedelta(hours=hours), quality) for hours, quality in answers]
    return Incident(id=f"inc-{number}", kind="complaint", queue="routing", opened_at=opened, status=status,
                    priority=priority, sector=sector, territory=Territory("Приреченск", district), body=body,
                    title=f"Жалоба {number}", deadline=opened + timedelta(hours=deadline_hours),
                    post_ids=[f"vk:-1:{number}:{k}" for k in range(posts)], sources=[f"s{k}" for k in range(sources)],
                    answers=found, answered_at=opened + timedelta(hours=answers[0][0]) if answers else None,
                    answer_quality=answers[0][1] if answers else None)


def crisis(number: int, opened: datetime) -> Incident:
    return Incident(id=f"crisis-{number}", kind="crisis", queue="routing", opened_at=opened, priority="high",
                    sector="housing", territory=Territory("Приреченск", "Заречный"), body=UK,
                    title="Всплеск: ЖКХ, Заречный — в 6 раз больше обычного", post_ids=["vk:-1:1", "vk:-1:2"],
                    evidence={"spike": {"count": 14, "baseline": 2.2},
                              "explanation": {"why": "14 сообщений за 3 ч при обычных 2,2",
                                              "new_words": ["вода", "авария", "речной"],
                                              "top_streets": [["ул. Речная", 9]],
                                              "examples": [{"text": "На Речной нет воды с утра"}]}})


def story(number: int, opened: datetime, verdict: str | None, debunk: str | None = None, **evidence: Any) -> Incident:
    review = {"verdict": verdict, "by": "Ольга", "at": opened.isoformat(), "debunk": debunk} if verdict else None
    return Incident(id=f"fc-{number}", kind="fake", queue="factcheck", opened_at=opened, title=f"Слух {number}",
                    verdict=verdict, review=review, post_ids=[f"tg:x:{number}"], evidence=dict(evidence))


def demo_week() -> list[Incident]:
    """A week of the demo region as the detector leaves it: complaints in three sectors and several
    districts, answered in time, late, by an отписка or never; stories with every verdict; a crisis;
    and the weeks around it (before: the trend; after: not in the report)."""
    start = WEEK.start
    incidents = [
        complaint(1, start + timedelta(hours=10), answers=((2, "substantive"),), posts=12, sources=4),
        complaint(2, start + timedelta(hours=30), answers=((1, "otpiska"), (30, "substantive")), posts=3),
        complaint(3, start + timedelta(days=2), answers=((4, "otpiska"),), posts=2),
        complaint(4, start + timedelta(days=3), district="Центральный", posts=5, sources=3, priority="high"),
        complaint(5, start + timedelta(days=1), sector="roads", district="Центральный", body=ROADS,
                  answers=((20, "substantive"),), posts=7, sources=2, deadline_hours=72),
        complaint(6, start + timedelta(days=4), sector="roads", district="Северный", body=ROADS,
                  answers=((50, "substantive"),), deadline_hours=72),
        complaint(7, start + timedelta(days=6, hours=20), sector="health", district="Северный", body=HEALTH),
        crisis(8, start + timedelta(days=2, hours=5)),
        story(1, start + timedelta(days=1), "fake", "https://prirechye.example/oproverzhenie", registry={"id": "n1"}),
        story(2, start + timedelta(days=2), "fake", spread={"sources": 5}),
        story(3, start + timedelta(days=3), "true"),
        story(4, start + timedelta(days=3), "unverified"),
        story(5, start + timedelta(days=5), None),
    ]
    for weeks_back, count in ((1, 4), (2, 2), (3, 1)):
        opened = start - timedelta(weeks=weeks_back) + timedelta(days=2)
        incidents += [complaint(100 * weeks_back + n, opened, sector="roads", body=ROADS) for n in range(count)]
    incidents += [complaint(900, WEEK.end + timedelta(hours=1)), story(900, WEEK.end + timedelta(hours=2), None)]
    return incidents


def sqlite_store(tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    return SqliteStore(tmp_path / "report.db")


def es_double_store(tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    double = ElasticsearchDouble().start()
    request.addfinalizer(double.stop)
    return ElasticsearchStore.from_url(double.url, {})


@pytest.fixture(params=[sqlite_store, es_double_store], ids=["sqlite", "elasticsearch-double"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    factory: Callable[[Path, pytest.FixtureRequest], Store] = request.param
    opened = factory(tmp_path, request)
    opened.upsert_incidents(demo_week())
    yield opened
    opened.close()


@pytest.mark.parametrize(("text", "start"), [
    ("2026-W49", datetime(2026, 11, 30, tzinfo=timezone.utc)),
    ("2026W01", datetime(2025, 12, 29, tzinfo=timezone.utc)),  # an ISO year starts on the Monday of its week 1
    ("2026-w53", datetime(2026, 12, 28, tzinfo=timezone.utc)),  # 2026 has 53 ISO weeks
])
def test_an_iso_week_runs_from_its_monday_to_the_next(text: str, start: datetime) -> None:
    week = Week.parse(text)
    assert (week.start, week.end - week.start) == (start, timedelta(days=7))


@pytest.mark.parametrize("text", ["2026-49", "W49", "2026-W00", "2027-W53", "2026-W49-1"])
def test_a_week_that_is_not_an_iso_week_is_refused_naming_it(text: str) -> None:
    with pytest.raises(ReportError, match=repr(text).replace("(", r"\(")):
        Week.parse(text)


@pytest.mark.parametrize(("now", "expected"), [
    (datetime(2026, 12, 7, 0, 30, tzinfo=timezone.utc), "2026-W49"),  # Monday just after midnight
    (datetime(2026, 12, 13, 23, 59, tzinfo=timezone.utc), "2026-W49"),  # the Sunday after
    (datetime(2026, 12, 6, 23, 59, tzinfo=timezone.utc), "2026-W48"),  # the week's own last minute
])
def test_the_default_week_is_the_last_one_that_has_ended(now: datetime, expected: str) -> None:
    assert Week.last_full(now).label == expected


def test_answer_times_count_only_answers_in_substance_and_judge_24_hours_only_when_a_day_has_passed() -> None:
    opened, now = WEEK.start + timedelta(days=1), WEEK.start + timedelta(days=4)
    levels = answer_times([
        complaint(1, opened, answers=((2, "substantive"),)),
        complaint(2, opened, answers=((1, "otpiska"), (30, "substantive"))),  # late: the отписка stops no clock
        complaint(3, opened, answers=((4, "otpiska"),)),  # only an отписка: unanswered, overdue
        complaint(4, opened),  # never answered: overdue
        complaint(5, opened, status="closed"),  # closed unanswered: not overdue now, still not within 24 h
        complaint(6, now - timedelta(hours=2)),  # too fresh to judge
        complaint(7, opened, body=ROADS, answers=((10, "substantive"),), deadline_hours=72),
    ], WEEK, now)
    uk, roads = levels.group("body")
    assert (uk.key, uk.incidents, uk.substantive, uk.judged, uk.overdue) == (UK, 6, 2, 5, 2)
    assert uk.share_in_target == pytest.approx(1 / 5)  # 1 of the 5 opened a day or more ago
    assert (uk.median_hours, uk.p90_hours) == (2.0, 30.0)  # nearest rank, as `monitor answers` gives them
    assert uk.share_otpiski == pytest.approx(2 / 3)  # of the three that got any answer, two got an отписка first
    assert (roads.share_in_target, roads.median_hours, roads.share_otpiski, roads.overdue) == (1.0, 10.0, 0.0, 0)
    assert levels.total.overdue == 2 and levels.total.share_in_target == pytest.approx(2 / 6)


def test_an_answer_recorded_only_as_the_first_answers_time_still_counts() -> None:
    opened = WEEK.start + timedelta(days=1)
    incident = Incident(id="old", kind="complaint", queue="routing", opened_at=opened, body=UK,
                        answered_at=opened + timedelta(hours=5), answer_quality="substantive")
    [row] = answer_times([incident], WEEK, opened + timedelta(days=2)).group("body")
    assert (row.substantive, row.median_hours, row.share_in_target) == (1, 5.0, 1.0)


def test_incidents_opened_in_a_week_are_found_by_since_and_until_on_both_stores(store: Store) -> None:
    found = store.find_incidents(IncidentQuery(since=WEEK.start, until=WEEK.end, limit=1000))
    assert len(found) == 13 and all(WEEK.start <= i.opened_at < WEEK.end for i in found)
    assert {i.id for i in store.find_incidents(IncidentQuery(until=WEEK.start, limit=1000))} == {
        f"inc-{n}" for n in (100, 101, 102, 103, 200, 201, 300)}


def test_the_week_holds_its_incidents_by_sector_and_territory_its_trend_answers_fakes_and_crises(
        store: Store) -> None:
    report = build_weekly(store, WEEK, NOW, sector_names=NAMES, trend_weeks=4, top=3)
    assert report.incidents == 8  # seven complaints and the crisis; the week after is left out
    assert report.sectors[0] == "ЖКХ" and set(report.sectors) == {"ЖКХ", "Дороги", "Здравоохранение"}
    assert report.grid[("ЖКХ", "Заречный")] == 4 and report.grid[("Дороги", "Северный")] == 1
    assert [(label, sum(counts.values())) for label, counts in report.trend] == [
        ("2026-W45", 0), ("2026-W46", 1), ("2026-W47", 2), ("2026-W48", 4), ("2026-W49", 8)]
    assert [t.id for t in report.top] == ["inc-1", "inc-5", "inc-4"]  # by posts, then sources
    assert [a.key for a in report.answers] == [UK, ROADS, HEALTH]  # the crisis is not an answer's
    assert report.fakes.found == 5 and report.fakes.verdicts == {"fake": 2, "true": 1, "unverified": 1, "waiting": 1}
    assert (report.fakes.debunked, report.fakes.known, report.fakes.spread) == (1, 1, 1)
    [found] = report.crises
    assert (found.count, found.why, found.streets) == (14, "14 сообщений за 3 ч при обычных 2,2", ["ул. Речная (9)"])
    headline = report.headline()
    assert (headline["crises"], headline["overdue"]) == (1, 2)
    assert headline["change"] == pytest.approx(8 / ((0 + 1 + 2 + 4) / 4) - 1)  # against the 4 weeks before
    assert headline["answered_within_24h"] == pytest.approx(2 / 6)  # inc-1 and inc-5, of the six a day old
