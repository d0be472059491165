"""``monitor crawl`` and ``monitor schedule``: read the watchlist's sources into the store, once or
forever at each source's interval."""

from __future__ import annotations

import argparse
import json
import sys

from monitor.common import add_settings, add_store, overrides, since


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    crawl = sub.add_parser("crawl", help="crawl the watchlist's sources into the store")
    crawl.add_argument("--watchlist", help="watchlist YAML file (setting WATCHLIST; default: the demo region's)")
    crawl.add_argument("--source", nargs="+", default=None, metavar="ID", help="only these source ids")
    add_store(crawl)
    crawl.add_argument("--stats", metavar="FILE", help="write each spider's Scrapy stats to FILE as JSON")
    crawl.add_argument("--since", type=since, metavar="DATE",
                       help="backfill: read every post since DATE (ISO date, or an age like 30d), whatever the "
                            "cursor (setting CRAWLER_BACKFILL_SINCE)")
    add_settings(crawl)
    crawl.set_defaults(run=run_crawl)

    schedule = sub.add_parser("schedule", help="crawl every source forever at its priority's interval")
    schedule.add_argument("--watchlist", help="watchlist YAML file (re-read when it changes)")
    add_store(schedule)
    add_settings(schedule)
    schedule.set_defaults(run=run_schedule)


def run_crawl(args: argparse.Namespace) -> int:
    """Exit code 1 when anything collected is not in the store at the end (left in the spool,
    neither stored nor spooled, a spool file moved aside), or when a source failed, went silent or
    lost a field (unless ``SOURCES_FAIL_EXIT`` is off): each says why in one line on stderr."""
    from crawler.process import project_settings, run_crawl
    from monitor.output import print_crawl_report

    settings = project_settings({**overrides(args), **({"CRAWLER_BACKFILL_SINCE": args.since.isoformat()}
                                                        if args.since is not None else {})})
    report = run_crawl(settings, args.source)
    print_crawl_report(report, settings.get("INDEXER_STORE_URL"))
    if args.stats:
        with open(args.stats, "w", encoding="utf-8") as f:
            json.dump(report.stats, f, ensure_ascii=False, indent=1, default=str)
    for problem in report.problems():
        print(f"monitor crawl: {problem}", file=sys.stderr)
    for source in report.unhealthy():
        print(f"monitor crawl: source {source.source.id} {source.health}: {'; '.join(source.reasons)}",
              file=sys.stderr)
    failed_sources = bool(report.unhealthy()) and settings.getbool("SOURCES_FAIL_EXIT")
    return 1 if report.problems() or failed_sources else 0


def run_schedule(args: argparse.Namespace) -> int:
    import logging

    from crawler.process import project_settings
    from crawler.scheduler import Scheduler

    settings = project_settings(overrides(args))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    crawl_args = [arg for pair in args.settings for arg in ("-s", pair)]
    if args.store:
        crawl_args += ["--store", args.store]
    return Scheduler(settings, crawl_args).run()
