"""Limits shared by crawl processes: per VK token and per download slot, over every `monitor crawl`
running at once, as the replay site sees the requests arrive."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from scrapy import Request
from scrapy.settings import Settings

from crawler.exceptions import LimitsError
from crawler.limits import open_limiter
from crawler.limits.files import BUSY_RETRY, FileLimiter
from crawler.limits.turns import Turns
from tests.conftest import DEMO_WATCHLIST, ROOT, Crawler

RATE = 5  # VK requests per second per token: 200 ms apart
TOKENS = ["shared-token-1", "shared-token-2"]
# A request leaves its process a moment after its turn (the reactor's next turn, a new connection)
# and the replay site stamps it when its own loop reads it: 1-2 ms as a rule, up to ~30 ms seen on
# a 2-core machine running three crawls and the site. Without the turns, gaps fall to ~0.
CLOCK = 0.04
STAGGER = 0.5  # seconds between the processes' starts, so that one's imports do not starve another
VK_PAGES = {"VK_TOKENS": TOKENS, "VK_REQUESTS_PER_SECOND": RATE, "VK_PAGE_SIZE": 2, "CRAWLER_MAX_PAGES": 6}


@pytest.fixture
def walls_only(tmp_path: Path) -> Path:
    """The demo watchlist without comments: many small pages, each light to serve and to parse."""
    doc = yaml.safe_load(DEMO_WATCHLIST.read_text(encoding="utf-8"))
    for source in doc["sources"]:
        source["comments"] = False
    path = tmp_path / "walls.yml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def in_parallel(crawl: Crawler, runs: list[tuple[str, ...]], stagger: float = 0.0, watchlist: Path = DEMO_WATCHLIST,
                **settings: Any) -> list[Any]:
    """Crawl each of ``runs`` in its own `monitor crawl`, all at once (``stagger`` seconds apart).
    vk_closed is private, so failing by design: these crawls are about pace, not sources' health."""
    settings.setdefault("SOURCES_FAIL_EXIT", False)

    def run(numbered: tuple[int, tuple[str, ...]]) -> Any:
        time.sleep(numbered[0] * stagger)
        return crawl(*numbered[1], watchlist=watchlist, **settings)

    with ThreadPoolExecutor(len(runs)) as pool:
        results = list(pool.map(run, enumerate(runs)))
    for result in results:
        assert result.returncode == 0, result.output
    return results


def gaps(prefix: str, arrivals: list[list[Any]], by: Callable[[str, str | None], str | None] = lambda *_: ""
         ) -> dict[str | None, list[float]]:
    """Seconds between consecutive requests whose path starts with ``prefix``, in groups ``by``."""
    times: dict[str | None, list[float]] = defaultdict(list)
    for arrived, path, token in arrivals:
        if path.startswith(prefix):
            times[by(path, token)].append(arrived)
    return {group: [b - a for a, b in itertools.pairwise(sorted(t))] for group, t in times.items()}


def by_token(path: str, token: str | None) -> str | None:
    return token


def keeps_the_rate(between: list[float], rate: float) -> bool:
    """Whether requests ``between`` seconds apart kept ``rate`` per second. A turn is taken when a
    request leaves; on a loaded machine one may reach the site late, so that one gap shrinks by
    what the next grows: every two gaps together still hold two turns, and none falls near zero."""
    pairs = [a + b for a, b in itertools.pairwise(between)]
    return min(pairs, default=2 / rate) >= 2 / rate - CLOCK and min(between, default=1 / rate) >= 1 / rate - 2 * CLOCK


# --- a crawl's requests, as the site sees them --------------------------------------------------

def test_three_processes_never_send_a_token_faster_than_its_rate(crawl, site, walls_only):
    runs = [("vk_podslushano", "vk_svetloyarsk"), ("vk_online", "vk_closed"), ("vk_governor", "vk_admin")]
    results = in_parallel(crawl, runs, STAGGER, watchlist=walls_only, **VK_PAGES)
    assert all(r.stat("limits/turns") >= 6 for r in results)
    tokens = gaps("/vk/", site.control("stats", arrivals=1)["arrivals"], by_token)
    assert set(tokens) == set(TOKENS) and sum(map(len, tokens.values())) > 25
    for token, between in tokens.items():
        assert keeps_the_rate(between, RATE), (token, between)


def test_without_shared_limits_the_same_processes_go_past_the_rate(crawl, site, walls_only):
    """The control: the check above sees what the turns prevent."""
    runs = [("vk_podslushano", "vk_svetloyarsk"), ("vk_online", "vk_closed"), ("vk_governor", "vk_admin")]
    in_parallel(crawl, runs, STAGGER, watchlist=walls_only, CRAWLER_LIMITS_ENABLED=False, **VK_PAGES)
    tokens = gaps("/vk/", site.control("stats", arrivals=1)["arrivals"], by_token)
    assert not all(keeps_the_rate(between, RATE) for between in tokens.values()), tokens


def test_two_processes_share_a_slot_delay(crawl, site):
    rate = 10  # Telegram's slot: 100 ms between two requests, whichever process sends them
    in_parallel(crawl, [("tg_news", "tg_minzdrav"), ("tg_chp",)], TELEGRAM_REQUESTS_PER_SECOND=rate,
                CRAWLER_MAX_PAGES=1)
    arrivals = site.control("stats", arrivals=1)["arrivals"]
    channels = {path.split("/")[3] for _, path, _ in arrivals if path.startswith("/tg/s/")}
    assert channels == {"prirechensk_news", "minzdrav_prirechye", "chp_prirechensk"}
    between = gaps("/tg/", arrivals)[""]
    assert len(between) >= 4 and keeps_the_rate(between, rate), between


def test_two_processes_share_a_hosts_download_delay(crawl, site):
    delay = 1.0  # the feeds' host has no slot of its own: DOWNLOAD_DELAY holds for it
    in_parallel(crawl, [("rss_gov",), ("atom_mchs",)], DOWNLOAD_DELAY=delay, DOWNLOAD_DELAY_JITTER=0)
    feeds = ("/robots.txt", "/gov/news.rss", "/mchs/warnings.atom")
    between = gaps("/", site.control("stats", arrivals=1)["arrivals"],
                   lambda path, _: "feeds" if path in feeds else None)["feeds"]
    assert len(between) == 3  # each process: robots.txt, then its feed
    assert min(between) >= delay - CLOCK, between


def test_a_folder_that_cannot_be_written_stops_the_crawl_with_its_setting_named(crawl, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = crawl("tg_news", CRAWLER_LIMITS_DIR=str(blocker / "limits"))
    assert result.returncode == 2
    assert "CRAWLER_LIMITS_DIR" in result.output and "Traceback" not in result.output
    assert result.stat("downloader/request_count") == 0


# --- the turns themselves ---------------------------------------------------------------------

def test_a_turn_is_shared_by_two_limiters_on_one_folder(tmp_path):
    first, second = FileLimiter(tmp_path), FileLimiter(tmp_path)
    assert first.take_now("slot-t.me", 10.0) == 0.0
    assert 9.0 < second.take_now("slot-t.me", 10.0) <= 10.0
    assert second.take_now("slot-other", 10.0) == 0.0


def test_a_time_further_ahead_than_one_interval_is_stale(tmp_path):
    limiter = FileLimiter(tmp_path)
    limiter.take_now("slot-t.me", 3600.0)  # a run with an hour's delay, or a clock set back
    assert limiter.take_now("slot-t.me", 0.5) == 0.0


def test_a_killed_process_holding_a_key_leaves_it_free(tmp_path):
    limiter = FileLimiter(tmp_path)
    limiter.take_now("slot-t.me", 0.001)
    [path] = [p for p in tmp_path.iterdir() if p.name.startswith("slot-t.me")]
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR); "
         "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)", str(path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert limiter.take_now("slot-t.me", 0.001) == BUSY_RETRY  # asked again, never blocked on
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        holder.stdout.close()
    assert limiter.take_now("slot-t.me", 0.001) == 0.0


def test_a_folder_that_cannot_be_created_is_an_error_naming_the_setting(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(LimitsError, match="CRAWLER_LIMITS_DIR .* is not a writable folder"):
        open_limiter(str(tmp_path / "a-file" / "limits"), None)


def test_redis_url_without_the_redis_package_is_a_clear_error(tmp_path):
    code = ("import sys; sys.modules['redis'] = None\n"
            "from crawler.limits import open_limiter\n"
            "open_limiter('unused', 'redis://127.0.0.1:1/0')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert "LimitsError: REDIS_URL is set, but the redis package is not installed" in proc.stderr


def test_each_request_waits_for_its_token_or_its_slot():
    settings = Settings({"VK_TOKENS": TOKENS, "VK_REQUESTS_PER_SECOND": 4, "DOWNLOAD_DELAY": 0.5,
                         "DOWNLOAD_SLOTS": {"telegram": {"delay": 1.0}}})
    turns = Turns.from_settings(settings)
    vk = Request("https://api.vk.com/method/wall.get", meta={"vk_token_index": 1, "download_slot": "vk"})
    key, interval = turns.of(vk, "vk")
    assert interval == 0.25 and key.startswith("vk-token-") and TOKENS[1] not in key
    assert turns.of(vk, "vk") != turns.of(Request("https://x", meta={"vk_token_index": 0}), "vk")
    assert turns.of(Request("https://t.me/s/news"), "telegram") == ("slot-telegram", 1.0)
    assert turns.of(Request("https://city.ru/forum/"), "city.ru") == ("slot-city.ru", 0.5)


# --- across machines: Redis --------------------------------------------------------------------

@pytest.fixture
def redis_url(tmp_path: Path) -> Any:
    pytest.importorskip("redis", reason="the redis extra is not installed")
    server = "/usr/bin/redis-server"
    if not Path(server).exists():
        pytest.skip("redis-server missing: `make test` installs Debian's redis-server")
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([server, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis

        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                asyncio.run(asyncio.sleep(0.05))
        client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_redis_turns_hold_across_limiters(redis_url):
    async def takes() -> tuple[float, float, float]:
        first, second = open_limiter("unused", redis_url), open_limiter("unused", redis_url)
        try:
            return (await first.take("slot-t.me", 10.0), await second.take("slot-t.me", 10.0),
                    await second.take("slot-other", 10.0))
        finally:
            await first.close()
            await second.close()

    taken, busy, other = asyncio.run(takes())
    assert taken == 0.0 and 9.0 < busy <= 10.0 and other == 0.0


def test_processes_sharing_redis_never_send_a_token_faster_than_its_rate(crawl, site, walls_only, redis_url):
    runs = [("vk_podslushano", "vk_svetloyarsk"), ("vk_governor", "vk_admin")]
    in_parallel(crawl, runs, STAGGER, watchlist=walls_only, REDIS_URL=redis_url, **VK_PAGES)
    tokens = gaps("/vk/", site.control("stats", arrivals=1)["arrivals"], by_token)
    assert set(tokens) == set(TOKENS) and sum(map(len, tokens.values())) > 18
    for token, between in tokens.items():
        assert keeps_the_rate(between, RATE), (token, between)
