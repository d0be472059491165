"""Spikes: what the detector must find, what it must leave alone, and the evaluation's figures."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from detector import DetectorConfig, run_spikes
from detector.crises import Counts, SeriesKey, SpikeConfig, SpikeDetector
from detector.crises.alerts import store_counts
from detector.crises.evaluation import evaluate
from detector.crises.rules import ksigma_rule, meltwater_rule
from detector.crises.series import growing_stories, parse_bucket, territory_name
from detector.crises.stream import SAMPLE_PER_DAY, SeriesStream
from detector.crises.synthetic import LOCAL_HOURS, WEEKDAYS, generate
from detector.crises.weekly import weekly_alerts
from detector.exceptions import DataError
from detector.jobs.spikes import read_scored
from detector.training.data import read_jsonl
from indexer.backends import open_store
from indexer.schema import Post, Territory
from indexer.store import IncidentQuery
from monitor.cli import main
from tests.support.http_double import HttpDouble, Request, Response

START = datetime(2026, 9, 7, tzinfo=timezone.utc)  # a Monday
WEEKS = 5
HOURS = WEEKS * 7 * 24


def background(daily: float, seed: int = 7, series: int = 1) -> np.ndarray:
    """Posts per hour with the evening peak and busy Mondays of ``synthetic`` (UTC+3)."""
    rng = np.random.default_rng(seed)
    hours = np.arange(HOURS)
    rate = daily / 24 * LOCAL_HOURS[(hours + 3) % 24] / LOCAL_HOURS.mean() * WEEKDAYS[(hours // 24) % 7] / WEEKDAYS.mean()
    return rng.poisson(np.tile(rate, (series, 1)))


def counts(matrix: np.ndarray) -> Counts:
    keys = [SeriesKey("housing", f"район {n}") for n in range(matrix.shape[0])]
    return Counts(keys, START, timedelta(hours=1), matrix)


def test_a_burst_in_a_quiet_district_is_found_within_two_hours() -> None:
    matrix = background(daily=2.0)
    start = HOURS - 5 * 24 + 15  # a Thursday, 18 h local time
    matrix[0, start:start + 6] += [3, 4, 3, 2, 2, 1]  # "no water" in a district that writes 2 posts a day
    alerts = SpikeDetector().detect(counts(matrix))
    assert [a.index for a in alerts if a.index >= start - 24] and \
        min(a.index for a in alerts if a.index >= start - 24) - start <= 2


def test_a_monday_evening_peak_is_not_an_alert() -> None:
    """Mondays at 19-22 h bring twice the average hour in a busy district, every week."""
    matrix = background(daily=60.0, seed=3)
    alerts = SpikeDetector().detect(counts(matrix), report_from=3 * 7 * 24)
    assert alerts == []
    monday_evenings = [week * 7 * 24 + h for week in range(WEEKS) for h in range(16, 20)]  # 19-22 h local
    assert matrix[0, monday_evenings].mean() > 1.8 * matrix[0].mean()  # the peak is there


def test_cooldown_makes_one_event_one_alert() -> None:
    matrix = background(daily=10.0)
    start = HOURS - 4 * 24
    matrix[0, start:start + 36] += 6  # a story that keeps going for a day and a half
    found = SpikeDetector().detect(counts(matrix), report_from=start - 24)
    assert len(found) == 1 and start <= found[0].index <= start + 2
    again = SpikeDetector(SpikeConfig(cooldown_hours=0)).detect(counts(matrix), report_from=start - 24)
    assert len(again) > 1  # without the cooldown the same event alerts hour after hour


def test_a_wave_after_a_small_alert_is_not_silenced_by_the_cooldown() -> None:
    matrix = background(daily=10.0)
    start = HOURS - 4 * 24
    matrix[0, start] += 6  # a blip: alerts, and starts the cooldown
    matrix[0, start + 4:start + 8] += 30  # four hours later, the real wave
    found = SpikeDetector().detect(counts(matrix), report_from=start - 24)
    assert [a.index for a in found] == [start, start + 4]


@pytest.mark.parametrize("posts, alerts", [(3, 0), (4, 1), (5, 1)])  # SPIKES_MIN_COUNT = 4
def test_a_silent_series_needs_the_minimum_count(posts: int, alerts: int) -> None:
    matrix = np.zeros((1, 24 * 30), dtype=np.int64)
    matrix[0, 24 * 29 + 12] = posts
    assert len(SpikeDetector().detect(counts(matrix))) == alerts


def test_the_vendor_rules_fire_on_a_plain_jump_and_not_on_steady_counts() -> None:
    steady = np.full((1, 24 * 21), 5, dtype=np.int64)
    jump = steady.copy()
    jump[0, -3] = 40
    for rule in (meltwater_rule, ksigma_rule):
        assert rule(counts(steady)) == []
        assert [a.index for a in rule(counts(jump))] == [24 * 21 - 3]


def test_the_evaluation_is_reproducible_with_a_seed_and_ours_wins() -> None:
    first, scores = evaluate(seed=4, series=120)
    again, same = evaluate(seed=4, series=120)
    assert first.bursts == again.bursts and [s.as_dict() for s in scores] == [s.as_dict() for s in same]
    budgeted, ours, meltwater, ksigma = scores
    assert ours.recall >= max(meltwater.recall, ksigma.recall)
    assert ours.false_per_series_week < min(meltwater.false_per_series_week, ksigma.false_per_series_week) / 3
    # The alert budget trades a few bursts for a fraction of the false alarms.
    assert budgeted.false_per_series_week < ours.false_per_series_week / 2
    assert budgeted.recall >= 0.7
    # Half the bursts are known sooner with ours, and from the second hour on ours has found more;
    # in the first hour Meltwater's one-hour test and ours are within a burst or two of each other.
    assert ours.median_to_find <= min(meltwater.median_to_find, ksigma.median_to_find)
    assert all(ours.found_by(d) > max(meltwater.found_by(d), ksigma.found_by(d)) for d in (1, 3, 6))
    assert ours.found_by(0) >= meltwater.found_by(0) - 2 / ours.bursts
    assert ours.common_delay <= min(meltwater.common_delay, ksigma.common_delay) + 1  # within the hour


def test_the_generator_follows_the_domain_volumes() -> None:
    data = generate(seed=1, series=60, weeks=4)
    per_day = data.counts.matrix[:, :data.warmup].sum(axis=1) / (data.warmup / 24)
    assert 0.3 < per_day.min() and per_day.max() < 120
    hours = data.counts.matrix[:, :data.warmup].sum(axis=0).reshape(-1, 24).sum(axis=0)
    assert hours[(19 - 3) % 24] > 3 * hours[(4 - 3) % 24]  # evening against 4 a.m. local time


@pytest.mark.parametrize("territory, name", [({"district": "Заречный", "street": "ул. Речная"}, "Заречный"),
                                             ({"street": "ул. Речная"}, "ул. Речная"), ("Светлоярск", "Светлоярск"),
                                             (None, None)])
def test_series_are_keyed_by_district_else_town_else_street(territory: object, name: str | None) -> None:
    assert territory_name(territory) == name


def test_buckets_must_divide_a_day() -> None:
    assert parse_bucket("1d") == timedelta(days=1) and parse_bucket("30m") == timedelta(minutes=30)
    with pytest.raises(ValueError):
        parse_bucket("7h")


def test_from_jsonl_prints_one_explained_line_per_alert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = []
    for day in range(21):
        for n in range(2):
            when = START + timedelta(days=day, hours=9 + 5 * n)
            lines.append({"id": f"b{day}-{n}", "created_at": when.isoformat(), "sector": "amenities",
                          "territory": {"district": "Центральный", "street": "ул. Ленина"}, "text": "Яма во дворе"})
    burst = START + timedelta(days=20, hours=15)
    for n in range(9):
        lines.append({"id": f"d{n}", "created_at": (burst + timedelta(minutes=5 * n)).isoformat(),
                      "sector": "amenities", "territory": {"district": "Центральный", "street": "ул. Набережная"},
                      "text": "Пыль от ремонта набережной, дышать нечем"})
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    assert main(["spikes", "--from-jsonl", str(path)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == 1
    alert = out[0]
    assert alert["series"] == "amenities:Центральный" and alert["bucket_start"] == burst.isoformat()
    assert alert["count"] == 9 and alert["baseline"] < 1 and alert["significance"] > 3
    assert {"пыль", "набережная"} <= set(alert["explanation"]["new_words"])
    assert alert["explanation"]["top_streets"] == [["ул. Набережная", 9]]
    assert main(["spikes", "--from-jsonl", str(path), "--bucket", "1d"]) == 0
    daily = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [a["bucket_start"][:10] for a in daily] == [burst.isoformat()[:10]]


class Receiver(HttpDouble):
    """Stands in for both the crisis webhook and the Telegram Bot API."""

    def __init__(self) -> None:
        super().__init__()
        self.got: list[tuple[str, dict]] = []

    def handle(self, request: Request) -> Response:
        self.got.append((request.path, request.json()))
        return Response(200, {"ok": True})


def stored_complaint(number: int, when: datetime, district: str, text: str, street: str) -> Post:
    return Post(id=f"vk:-1:{number}", platform="vk", source_id="vk_podslushano", kind="post", text=text,
                created_at=when, complaint=0.9, is_complaint=True, sector="housing",
                territory=Territory("Приреченск", district, street, None, None, None, "text"))


def test_a_crisis_in_the_store_goes_to_the_routing_queue_and_to_telegram_and_the_webhook(tmp_path: Path) -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
    posts = [stored_complaint(n, now - timedelta(days=20) + timedelta(hours=11 * n), "Заречный",
                              "Батарея еле тёплая", "ул. Мира") for n in range(40)]
    posts += [stored_complaint(100 + n, now - timedelta(minutes=50 - 5 * n), "Заречный",
                               "На Речной нет воды, краны шипят", "ул. Речная") for n in range(8)]
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = open_store(url)
    store.upsert(posts)
    store.close()
    with Receiver() as receiver:
        config = DetectorConfig.from_settings({
            "SPIKES_WEBHOOK_URL": receiver.url + "/hook", "SPIKES_OUTBOX": str(tmp_path / "crises.jsonl"),
            "SPIKES_TELEGRAM_API_URL": receiver.url + "/tg/", "SPIKES_TELEGRAM_TOKEN": "123:secret",
            "SPIKES_TELEGRAM_CHAT_ID": "-100500", "SPIKES_TELEGRAM_OUTBOX": str(tmp_path / "telegram.jsonl")})
        store = open_store(url)
        try:
            first = run_spikes(store, config, now - timedelta(hours=6), until=now)
            again = run_spikes(store, config, now - timedelta(hours=6), until=now).new
        finally:
            store.close()
    assert len(first.new) == 1 and again == []  # found again on the next run: the same crisis, not a new one
    store = open_store(url)
    queued = store.find_incidents(IncidentQuery(queue="routing"))
    store.close()
    assert [(i.kind, i.priority, i.sector, i.territory.district) for i in queued] == [("crisis", "high", "housing",
                                                                                     "Заречный")]
    crisis = queued[0]
    assert crisis.body and set(crisis.post_ids) == {f"vk:-1:{100 + n}" for n in range(8)}
    assert {"вода", "речной"} <= set(crisis.evidence["explanation"]["new_words"])
    assert crisis.evidence["explanation"]["top_streets"] == [["ул. Речная", 8]]
    paths = [path for path, _ in receiver.got]
    assert paths == ["/hook", "/tg/bot123:secret/sendMessage"]
    message = receiver.got[1][1]
    assert message["chat_id"] == "-100500" and "Заречный" in message["text"] and "вода" in message["text"]
    assert "secret" not in repr(first.deliveries) + repr(config)  # the bot token is never shown


def clumpy(series: int, seed: int = 5) -> np.ndarray:
    """Quiet series whose posts come in clumps (one person files several appeals at once): the
    clumps follow the daily rhythm, their sizes are geometric (mean 2.5); no event anywhere."""
    rng = np.random.default_rng(seed)
    hours = np.arange(HOURS)
    rate = rng.uniform(0.5, 4, size=(series, 1)) / 24 * LOCAL_HOURS[(hours + 3) % 24] / LOCAL_HOURS.mean()
    clumps = rng.poisson(rate / 2.5)
    sizes = np.zeros_like(clumps)
    for s, t in zip(*np.nonzero(clumps), strict=True):
        sizes[s, t] = rng.geometric(0.4, size=clumps[s, t]).sum()
    return sizes


def test_many_clumpy_series_raise_about_the_alert_budget_not_dozens() -> None:
    many = counts(clumpy(60))
    last_week = HOURS - 7 * 24
    alone = SpikeDetector(SpikeConfig(alerts_per_week=0)).detect(many, report_from=last_week)
    budgeted = SpikeDetector(SpikeConfig(alerts_per_week=1)).detect(many, report_from=last_week)
    assert len(alone) > 20  # the negative binomial alone takes every clump at night for an event
    assert len(budgeted) <= 3


def test_the_alert_budget_leaves_a_clean_series_its_model_thresholds() -> None:
    detector = SpikeDetector()
    detector.detect(counts(background(daily=10.0, series=5)))
    assert detector.thresholds == (1.0, 1.0)


def test_a_thousand_clusters_of_one_post_are_no_series_and_a_growing_story_is(tmp_path: Path) -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
    posts = [replace(stored_complaint(n, now - timedelta(minutes=4 * n), "Заречный", f"Жалоба номер {n}",
                                      "ул. Мира"), cluster_id=f"c{n}") for n in range(1000)]
    posts += [replace(stored_complaint(5000 + n, now - timedelta(minutes=10 * n + 1), "Заречный",
                                       "Прорвало трубу на Речной", "ул. Речная"), cluster_id="story") for n in range(12)]
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    store.upsert(posts)
    try:
        keys = store_counts(store, SpikeConfig(), now - timedelta(hours=6), now).keys
        none = store_counts(store, SpikeConfig(stories=0), now - timedelta(hours=6), now).keys
    finally:
        store.close()
    assert [k for k in keys if k.cluster] == [SeriesKey(cluster="story")]
    assert none == [SeriesKey("housing", "Заречный")]


def test_growing_stories_keep_the_busiest_that_grow() -> None:
    now = START + timedelta(days=3)
    cells = [(SeriesKey(cluster="steady"), now - timedelta(hours=h), 2) for h in range(1, 24)]  # not growing
    cells += [(SeriesKey(cluster=f"new{n}"), now - timedelta(hours=1), 4 + n) for n in range(5)]
    chosen = growing_stories(cells, now, hours=24, stories=3, min_count=4)
    assert sorted({str(k) for k, _, _ in chosen}) == ["cluster:new2", "cluster:new3", "cluster:new4"]


def test_from_jsonl_reads_each_post_once_and_keeps_a_bounded_sample() -> None:
    read = []

    def once() -> Iterator[dict[str, object]]:
        for n in range(5000):
            read.append(n)
            yield {"id": str(n), "created_at": (START + timedelta(seconds=n)).isoformat(), "sector": "roads",
                   "territory": "Центральный", "text": "Яма", "cluster_id": f"c{n}"}

    stream = SeriesStream(timedelta(hours=1)).add_all(once())
    assert read == list(range(5000))
    key = SeriesKey("roads", "Центральный")
    assert len(stream.sample(key, START, START + timedelta(days=1))) == SAMPLE_PER_DAY
    assert sum(n for k, _, n in stream.cells() if k == key) == 5000
    assert stream.story_cells() == []  # clusters of one post are no stories


def test_a_line_without_a_sector_is_passed_over_and_a_broken_one_is_named() -> None:
    good = b'{"id": "1", "created_at": "2026-11-01T10:00:00", "sector": "roads"}\n'
    quiet = b'{"id": "2", "created_at": "2026-11-01T10:00:00", "sector": null}\n'
    assert [r["id"] for r in read_scored(io.BytesIO(good + quiet + b"\n" + good), "posts.jsonl")] == ["1", "1"]
    with pytest.raises(DataError, match=r"posts\.jsonl:2: not JSON"):
        list(read_scored(io.BytesIO(good + b'{"id": "3", "sector": null, "text": "cut\n'), "posts.jsonl"))
    with pytest.raises(DataError, match=r"posts\.jsonl:1: expected a JSON object, got list"):
        list(read_scored(io.BytesIO(b'[1, 2]\n'), "posts.jsonl"))


AUTUMN = next((p for p in (Path(__file__).resolve().parents[n] / "shared" / "data" / "spb_series_autumn2020.jsonl"
                           for n in (2, 3)) if p.exists()), None)


@pytest.mark.skipif(AUTUMN is None, reason="the real St Petersburg series (../shared/data) is not on this machine")
def test_the_real_autumn_series_raise_at_most_three_alerts_a_week_out_of_sample() -> None:
    assert AUTUMN is not None
    _, weeks = weekly_alerts(read_jsonl(AUTUMN), SpikeConfig())
    reported = [w for w in weeks if not w.decide]
    assert reported and sum(len(w.alerts) for w in reported) * 7 / sum(w.days for w in reported) <= 3


def test_from_jsonl_names_a_post_whose_time_is_not_a_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text('{"id": "p1", "created_at": "вчера", "sector": "roads"}\n', encoding="utf-8")
    assert main(["spikes", "--from-jsonl", str(path)]) == 2
    err = capsys.readouterr().err
    assert "'p1'" in err and "вчера" in err and "Traceback" not in err
