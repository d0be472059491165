"""Sources' health through real crawls of the replay site: a source that starts answering 404, one
whose VK wall starts answering a platform error, one whose pages lose their dates, one whose page
goes empty. Each is reported in the crawl's summary with a non-zero exit, an alert reaches a local
webhook and Telegram after SOURCES_ALERT_AFTER bad crawls (once per outage, and a note when it is
good again), and ``monitor sources`` lists them; the judgement's thresholds are tested directly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from crawler.health.record import HealthConfig, Outcome, SourceHealth, alert_due, judge
from tests.conftest import DEMO_WATCHLIST, ROOT, Crawler
from tests.support.http_double import HttpDouble, Request, Response

SOURCES = ("tg_news", "tg_chp", "tg_minzdrav", "vk_svetloyarsk", "vk_admin")
BROKEN = {"tg_news": "failing", "tg_chp": "degraded", "vk_svetloyarsk": "failing"}
NOW = datetime(2026, 12, 7, 12, tzinfo=timezone.utc)


class Receiver(HttpDouble):
    """Stands in for the sources' webhook and the Telegram Bot API; keeps what each got."""

    def __init__(self) -> None:
        super().__init__()
        self.got: list[tuple[str, Any]] = []

    def handle(self, request: Request) -> Response:
        self.got.append((request.path, request.json()))
        return Response(200, {"ok": True})

    def hooks(self) -> list[dict[str, Any]]:
        return [body for path, body in self.got if path == "/hook"]

    def messages(self) -> list[str]:
        return [body["text"] for path, body in self.got if path.endswith("/sendMessage")]


def alerting(receiver: Receiver, tmp_path: Path) -> dict[str, Any]:
    return {"SOURCES_ALERT_AFTER": 2, "SOURCES_WEBHOOK_URL": f"{receiver.url}/hook",
            "SOURCES_OUTBOX": str(tmp_path / "outbox" / "sources.jsonl"),
            "SOURCES_TELEGRAM_OUTBOX": str(tmp_path / "outbox" / "sources-telegram.jsonl"),
            "SPIKES_TELEGRAM_API_URL": receiver.url, "SPIKES_TELEGRAM_TOKEN": "123:secret",
            "SPIKES_TELEGRAM_CHAT_ID": "42"}


def rows(output: str) -> dict[str, list[str]]:
    """The crawl summary's rows by source: platform, posts, comments, health, errors..."""
    return {line.split()[0]: line.split()[1:] for line in output.splitlines()
            if line.split() and line.split()[0] in SOURCES and len(line.split()) >= 5}


def said(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("monitor crawl: source ")]


def monitor_sources(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", "sources", "--store", f"sqlite:///{store}",
                           "--watchlist", str(DEMO_WATCHLIST), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def test_a_404_a_platform_error_and_pages_without_dates_fail_the_crawl_and_alert_once_per_outage(
        crawl: Crawler, site, tmp_path: Path) -> None:
    with Receiver() as receiver:
        settings = alerting(receiver, tmp_path)
        first = crawl(*SOURCES, **settings)
        assert first.returncode == 0, first.output
        assert {row[3] for row in rows(first.output).values()} == {"ok"} and not said(first.output)

        site.control("break", page="tg_news", status=404)
        site.control("break", page="vk_svetloyarsk", vk_error=18)
        site.control("break", page="tg_chp", drop="date")
        bad = []
        for _ in range(3):
            site.control("advance", minutes=6 * 60)
            bad.append(crawl(*SOURCES, **settings))
            if len(bad) == 1:
                assert receiver.got == []  # one bad crawl: SOURCES_ALERT_AFTER is 2
        for result in bad:
            assert result.returncode == 1, result.output
            assert "Traceback" not in result.output
            table = rows(result.output)
            assert {source: row[3] for source, row in table.items()} == {
                **dict.fromkeys(SOURCES, "ok"), **BROKEN}
            assert "http_404 1" in " ".join(table["tg_news"]) and "vk_error_18 1" in " ".join(table["vk_svetloyarsk"])
            lines = said(result.output)
            assert "monitor crawl: source tg_news failing: http_404 ×1" in lines
            assert "monitor crawl: source vk_svetloyarsk failing: vk_error_18 ×1" in lines
            assert any(line.startswith("monitor crawl: source tg_chp degraded: created_at missing in") for line in lines)
            assert len(lines) == 3
        assert result.stat("source/tg_news/errors/http_404") == 1

        down = receiver.hooks()  # after the second bad crawl, and not again after the third
        assert sorted((a["source_id"], a["state"], a["event"], a["bad_crawls"]) for a in down) == [
            ("tg_chp", "degraded", "down", 2), ("tg_news", "failing", "down", 2),
            ("vk_svetloyarsk", "failing", "down", 2)]
        assert all(a["kind"] == "source_health" and a["last_good_at"] for a in down)
        messages = receiver.messages()
        assert len(messages) == 3 and any("tg_news (telegram) не отвечает" in m for m in messages)
        assert any("tg_chp (telegram) теряет поля" in m and "created_at missing" in m for m in messages)

        listed = monitor_sources(crawl.store_path, "--json")
        assert listed.returncode == 0, listed.stderr
        health = {row["source_id"]: row for row in map(json.loads, listed.stdout.splitlines())}
        assert {s: health[s]["health"] for s in SOURCES} == {**dict.fromkeys(SOURCES, "ok"), **BROKEN}
        assert health["tg_news"]["bad_crawls"] == 3 and health["tg_news"]["last_good_at"] < health["tg_news"]["last_crawl_at"]
        assert health["tg_minzdrav"]["crawls"] == 4 and health["tg_minzdrav"]["last_status"] == "2xx"
        assert health["rss_gov"]["health"] == "unknown"  # watched, never crawled here
        table = monitor_sources(crawl.store_path)
        assert table.returncode == 0 and "tg_news" in table.stdout and "http_404 ×1" in table.stdout
        assert table.stdout.splitlines()[-1].endswith(": 2 failing, 1 degraded, 2 ok, 9 unknown")

        site.control("reset")  # the pages answer as before
        again = crawl(*SOURCES, **settings)
        assert again.returncode == 0, again.output
        recovered = receiver.hooks()[len(down):]
        assert sorted((a["source_id"], a["event"], a["state"]) for a in recovered) == [
            ("tg_chp", "recovered", "ok"), ("tg_news", "recovered", "ok"), ("vk_svetloyarsk", "recovered", "ok")]
        assert len(receiver.messages()) == 6


def test_a_page_that_answers_with_no_posts_where_it_had_them_is_silent_until_posts_come_back(
        crawl: Crawler, site) -> None:
    for _ in range(2):
        assert crawl("tg_minzdrav", SOURCES_SILENT_AFTER=2).returncode == 0
    site.control("break", page="tg_minzdrav", drop="posts")
    told = crawl("tg_minzdrav", SOURCES_SILENT_AFTER=2, SOURCES_FAIL_EXIT=False)
    assert told.returncode == 0, told.output  # said, not failed, when SOURCES_FAIL_EXIT is off
    assert rows(told.output)["tg_minzdrav"][3] == "silent"
    assert said(told.output) == ["monitor crawl: source tg_minzdrav silent: pages answered 2xx with no posts; "
                                 "the 2 ok crawls before saw 8, 8"]
    still = crawl("tg_minzdrav", SOURCES_SILENT_AFTER=2)
    assert still.returncode == 1 and rows(still.output)["tg_minzdrav"][3] == "silent"
    site.control("reset")
    assert crawl("tg_minzdrav", SOURCES_SILENT_AFTER=2).returncode == 0


@pytest.mark.parametrize("setting, value", [("SOURCES_ALERT_AFTER", 0), ("SOURCES_FIELD_SHARE", 1.5)])
def test_a_threshold_out_of_range_stops_the_crawl_naming_the_setting(crawl: Crawler, setting: str,
                                                                     value: float) -> None:
    result = crawl("tg_minzdrav", **{setting: value})
    assert result.returncode == 2, result.output
    assert f"monitor crawl: {setting}" in result.output and "Traceback" not in result.output


# --- the judgement, at its thresholds ----------------------------------------------------------

CONFIG = HealthConfig(alert_after=3, silent_after=3, baseline_posts=20, field_share=0.95)


def outcome(seen: int = 10, statuses: dict[str, int] | None = None, **extra: Any) -> Outcome:
    return Outcome(NOW, {"2xx": 1} if statuses is None else statuses, seen, **extra)


def history(*outcomes: Outcome) -> SourceHealth:
    health = SourceHealth("tg_x", "telegram")
    for each in outcomes:
        health = judge(health, each, CONFIG)
    return health


@pytest.mark.parametrize("got, state", [
    (outcome(statuses={"4xx": 1}, errors={"http_404": 1}), "failing"),
    (outcome(statuses={"4xx": 1}, errors={"http_410": 1}), "failing"),
    (outcome(statuses={}, errors={"vk_error_30": 1}), "failing"),
    (outcome(statuses={}, errors={"TimeoutError": 3}), "failing"),
    (outcome(statuses={"5xx": 4}), "failing"),
    (outcome(statuses={"2xx": 3, "4xx": 1}, errors={"http_404": 1}), "ok"),  # one comment page gone, the rest answer
    (outcome(statuses={"2xx": 1}, errors={"vk_error_212": 1}), "ok"),  # comments closed: the wall is fine
])
def test_a_source_fails_when_none_of_its_requests_is_answered(got: Outcome, state: str) -> None:
    assert judge(history(), got, CONFIG).state == state


@pytest.mark.parametrize("ok_crawls, state", [(2, "ok"), (3, "silent"), (4, "silent")])
def test_no_posts_is_silence_only_after_silent_after_crawls_that_had_posts(ok_crawls: int, state: str) -> None:
    assert judge(history(*[outcome(seen=5)] * ok_crawls), outcome(seen=0), CONFIG).state == state


def test_a_source_that_never_had_posts_is_not_silent() -> None:
    assert judge(history(*[outcome(seen=0)] * 5), outcome(seen=0), CONFIG).state == "ok"


@pytest.mark.parametrize("baseline_posts, missing, state", [
    (19, 10, "ok"),  # the baseline is too small to know the field is always there
    (20, 10, "degraded"),
    (20, 5, "ok"),  # missing from half: not "most"
    (20, 6, "degraded"),
])
def test_a_field_the_posts_always_had_missing_from_most_of_them_is_degradation(
        baseline_posts: int, missing: int, state: str) -> None:
    before = history(outcome(seen=baseline_posts))
    now = judge(before, outcome(seen=10, missing={"created_at": missing}), CONFIG)
    assert now.state == state
    if state == "degraded":
        assert now.reasons == [f"created_at missing in {missing} of 10 posts (before: in {baseline_posts} of "
                               f"{baseline_posts})"]


def test_a_field_often_missing_before_is_no_degradation() -> None:
    before = history(outcome(seen=40, missing={"author": 4}))  # 90% had it: under SOURCES_FIELD_SHARE
    assert judge(before, outcome(seen=10, missing={"author": 10}), CONFIG).state == "ok"


def test_a_degraded_crawl_does_not_teach_the_baseline() -> None:
    health = history(outcome(seen=20), *[outcome(seen=10, missing={"created_at": 10})] * 5)
    assert health.state == "degraded" and health.baseline["created_at"] == [20, 20]


def test_one_alert_per_outage_after_alert_after_bad_crawls_and_one_when_it_recovers() -> None:
    events = []
    health = history(outcome())
    for got in [outcome(statuses={"4xx": 1}, errors={"http_404": 1})] * 4 + [outcome()] * 2:
        after = judge(health, got, CONFIG)
        events.append(alert_due(health, after, CONFIG))
        health = after
    assert events == [None, None, "down", None, "recovered", None]
    assert health.bad_crawls == 0 and health.last_good_at == NOW.isoformat()
