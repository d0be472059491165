"""Crawl throughput: our spiders through every pipeline into SQLite vs a bare Scrapy spider.

Both crawl the same replay pages (the demo region repeated ``--scale`` times, no faults) in one
process, one reactor, one after the other, in pairs, the order reversed every other round, after
one warm-up round that is not counted; each figure is the median over ``--rounds`` (a ratio: of
each round's pair). The clock runs from the crawl's start (opening the store, loading the models)
to its end. The bare spider parses with the same parsers, follows the same pages (walls and
comments, channel pages and discussion widgets) and drops every item; ours, as configured by
default, reads its sources' state, validates, de-duplicates, identifies the language and writes to
SQLite with its full-text index (the index writer thread's CPU is in the items/CPU-s column). Two
more runs show what the optional detector stage costs: ``DETECTOR_ENABLED`` with its default
worker process (whose CPU is not in that column), and in a thread (``DETECTOR_PROCESS`` off).
Printed per workload: items/s on the wall clock, items per CPU-second of this process, and the
ratio ours/bare (goals: ≥ 0.8 without the detector stage, ≥ 0.6 with it).

Left out: the network (the replay site is on loopback), politeness delays (lifted, as for the
demo), robots.txt, and the replay site's own CPU, which shares the machine with the crawl.

    python bench/crawl.py [--scale 30] [--rounds 2] [--only bare,ours]
    (BENCH_PROFILE=ours|detect|process profiles those runs with cProfile, the reactor thread only;
    BENCH_SORT=cumtime and BENCH_FILTER=<regex> shape the profile. py-spy sees every thread:
    py-spy record --gil --threads -f raw -o out.txt -- python bench/crawl.py --only ours)
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import platform
import pstats
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any, AsyncIterator, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scrapy import Request, Spider  # noqa: E402
from scrapy.crawler import CrawlerRunner  # noqa: E402
from scrapy.exceptions import DropItem  # noqa: E402
from scrapy.utils.log import configure_logging  # noqa: E402
from scrapy.utils.reactor import install_reactor  # noqa: E402

from crawler.parsers.telegram import parse_channel_page, parse_discussion  # noqa: E402
from crawler.parsers.vk import parse_comments, parse_wall  # noqa: E402
from crawler.process import project_settings  # noqa: E402
from crawler.spiders import TelegramChannelSpider, VkWallSpider  # noqa: E402
from replay.process import ReplayProcess  # noqa: E402

TOKENS = [f"bench-{i}" for i in range(8)]
WORKLOADS = {
    "vk": (VkWallSpider, "vk_podslushano,vk_online,vk_governor,vk_admin,vk_svetloyarsk"),
    "telegram": (TelegramChannelSpider, "tg_chp,tg_news,tg_minzdrav"),
}
TELEGRAM_CHANNELS = {"chp_prirechensk": True, "prirechensk_news": False, "minzdrav_prirechye": False}  # comments?
COMMON = {"LOG_LEVEL": "ERROR", "VK_TOKENS": TOKENS, "VK_REQUESTS_PER_SECOND": 0,
          "TELEGRAM_REQUESTS_PER_SECOND": 0, "CRAWLER_FIRST_CRAWL_DAYS": 10_000,
          "CRAWLER_MAX_PAGES": 10_000, "ROBOTSTXT_OBEY": False}


class DropAll:
    def process_item(self, item: Any) -> Any:
        raise DropItem("bench", log_level="DEBUG")


class BareVkSpider(Spider):
    """Reads the same walls and comments as VkWallSpider, with none of its bookkeeping."""

    name = "bare_vk"

    def __init__(self, api: str, domains: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api, self.domains = api, domains

    def _get(self, method: str, query: str, callback: Any, **meta: Any) -> Request:
        return Request(f"{self.api}{method}?{query}&v=5.199", callback=callback, meta={"download_slot": "vk", **meta},
                       headers={"Authorization": f"Bearer {TOKENS[0]}"})

    async def start(self) -> AsyncIterator[Request]:
        for domain in self.domains:
            yield self._get("wall.get", f"domain={domain}&offset=0&count=100&extended=1", self.parse, domain=domain, offset=0)

    def parse(self, response: Any) -> Iterator[Any]:
        import json

        page = parse_wall(json.loads(response.body)["response"], "bench")
        for entry in page.entries:
            yield entry.post
            if entry.comments:
                owner, number = entry.post.id.split(":")[1:3]
                yield self._get("wall.getComments", f"owner_id={owner}&post_id={number}&count=100&sort=asc"
                                "&need_likes=1&extended=1&thread_items_count=10&offset=0", self.parse_comments,
                                owner=int(owner), post=int(number))
        offset = response.meta["offset"] + len(page.entries)
        if page.entries and offset < page.total:
            yield self._get("wall.get", f"domain={response.meta['domain']}&offset={offset}&count=100&extended=1",
                            self.parse, domain=response.meta["domain"], offset=offset)

    def parse_comments(self, response: Any) -> Iterator[Any]:
        import json

        body = json.loads(response.body)["response"]
        yield from parse_comments(body, "bench", response.meta["owner"], response.meta["post"]).comments


class BareTelegramSpider(Spider):
    """Reads the same channel pages and discussion widgets as TelegramChannelSpider."""

    name = "bare_telegram"

    def __init__(self, base: str, channels: dict[str, bool], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base, self.channels = base, channels

    async def start(self) -> AsyncIterator[Request]:
        for channel in self.channels:
            yield Request(f"{self.base}s/{channel}", meta={"download_slot": "telegram", "channel": channel})

    def parse(self, response: Any) -> Iterator[Any]:
        channel = response.meta["channel"]
        page = parse_channel_page(response.text, channel, "bench")
        for post in page.posts:
            yield post
            if self.channels[channel] and page.comment_counts.get(post.id):
                number = post.id.split(":")[2]
                yield Request(f"{self.base}{channel}/{number}?embed=1&discussion=1&comments_limit=50",
                              callback=self.parse_discussion, meta={"download_slot": "telegram",
                                                                    "channel": channel, "post": int(number)})
        if page.before:
            yield Request(f"{self.base}s/{channel}?before={page.before}", meta=response.meta)

    def parse_discussion(self, response: Any) -> Iterator[Any]:
        meta = response.meta
        page = parse_discussion(response.text, meta["channel"], meta["post"], "bench")
        yield from page.comments
        if page.before and page.comments:
            yield Request(f"{self.base}{meta['channel']}/{meta['post']}?embed=1&discussion=1&comments_limit=50"
                          f"&before={page.before}", callback=self.parse_discussion, meta=meta)


async def measure(runner_settings: dict[str, Any], spider: type[Spider], **kwargs: Any) -> tuple[int, float, float]:
    """Items, wall seconds and CPU seconds of one crawl, from its start (components opening: the
    store, the models) to its end, as a `monitor crawl` run pays them."""
    settings = project_settings(runner_settings)
    runner = CrawlerRunner(settings)
    crawler = runner.create_crawler(spider)
    wall, cpu = time.perf_counter(), time.process_time()
    await runner.crawl(crawler, **kwargs)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    stats = crawler.stats.get_stats()
    items = stats.get("item_scraped_count", 0) + stats.get("item_dropped_count", 0)
    return items, wall, cpu


KINDS = ("bare", "ours", "detect", "thread")


async def workload(name: str, site: ReplayProcess, rounds: int, tmp: Path, kinds: list[str]) -> None:
    """Every kind once per round, the order reversed every other round (the VM's speed drifts), so
    each round pairs ours with a bare run beside it; the figures are medians over the rounds."""
    spider, sources = WORKLOADS[name]
    runs: dict[str, list[tuple[float, float, int]]] = {kind: [] for kind in kinds}
    for round_number in range(-1, rounds):  # round -1 warms up: imports, caches, the replay site
        for kind in kinds if round_number % 2 == 0 else kinds[::-1]:
            gc.collect()
            base = site.crawl_settings(f"sqlite:///{tmp / f'{name}-{round_number}-{kind}.db'}")
            base.update(COMMON, INDEXER_SPOOL_DIR=str(tmp / "spool"))
            if kind != "bare":
                base["DETECTOR_ENABLED"] = kind != "ours"
                base["DETECTOR_PROCESS"] = kind == "detect"
                profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") == kind else None
                if profile:
                    profile.enable()
                items, wall, cpu = await measure(base, spider, source=sources)
                if profile:
                    profile.disable()
                    stats = pstats.Stats(profile, stream=sys.stderr)
                    stats.sort_stats(os.environ.get("BENCH_SORT", "tottime"))
                    stats.print_stats(os.environ.get("BENCH_FILTER", ""), 30)
            else:
                base["ITEM_PIPELINES"] = {f"{__name__}.DropAll": 100}
                base["DOWNLOADER_MIDDLEWARES"] = {}
                cls, args = (BareVkSpider, {"api": f"{site.base}/vk/method/", "domains": [
                    "podslushano_prirechensk", "prirechensk_online", "gubernator_prirechye",
                    "admin_prirechensk", "svetloyarsk_life"]}) if name == "vk" else (
                    BareTelegramSpider, {"base": f"{site.base}/tg/", "channels": TELEGRAM_CHANNELS})
                spider_settings = dict(base)
                spider_settings["DOWNLOAD_SLOTS"] = {"vk": {"concurrency": len(TOKENS), "delay": 0},
                                                     "telegram": {"concurrency": 1, "delay": 0}}
                items, wall, cpu = await measure(spider_settings, cls, **args)
            if round_number >= 0:
                runs[kind].append((items / wall, items / cpu if cpu else 0.0, items))
    bare = runs.get("bare") or [(float("nan"), float("nan"), 0)] * rounds
    for kind, label in (("ours", name), ("detect", f"{name}, DETECTOR_ENABLED (worker process)"),
                        ("thread", f"{name}, DETECTOR_ENABLED, DETECTOR_PROCESS off (thread)")):
        if kind not in runs:
            continue
        ours = runs[kind]
        ratios = [o[0] / b[0] for o, b in zip(ours, bare, strict=True)]
        print(f"{label:<9} {ours[0][2]:>7} {median(b[0] for b in bare):>10.0f} {median(o[0] for o in ours):>10.0f}"
              f" {median(ratios):>7.2f} {median(b[1] for b in bare):>11.0f} {median(o[1] for o in ours):>11.0f}"
              f" {median(o[1] / b[1] for o, b in zip(ours, bare, strict=True)):>7.2f}"
              f"   {min(ratios):.2f}-{max(ratios):.2f}")


async def main_async(scale: int, rounds: int, kinds: list[str]) -> None:
    with ReplayProcess(faults=False, scale=scale) as site, tempfile.TemporaryDirectory() as tmp:
        print(f"replay site, demo region x{scale}; {platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} cores, Python {platform.python_version()}; medians of {rounds} rounds")
        print(f"{'workload':<9} {'items':>7} {'bare it/s':>10} {'ours it/s':>10} {'ratio':>7}"
              f" {'bare it/cpu':>11} {'ours it/cpu':>11} {'ratio':>7}   ratio's range")
        for name in WORKLOADS:
            await workload(name, site, rounds, Path(tmp), kinds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default=",".join(KINDS), help=f"comma-separated runs of {', '.join(KINDS)}")
    args = parser.parse_args()
    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    configure_logging({"LOG_LEVEL": "ERROR"})
    from twisted.internet import defer, reactor  # noqa: PLC0415

    def run() -> defer.Deferred:
        d = defer.ensureDeferred(main_async(args.scale, args.rounds, args.only.split(",")))
        d.addErrback(lambda f: f.printTraceback(file=sys.stderr))
        d.addBoth(lambda _: reactor.stop())
        return d

    reactor.callWhenRunning(run)
    reactor.run()


if __name__ == "__main__":
    main()
