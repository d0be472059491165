"""``monitor demo``: the replay site plays the demo region, the crawler reads all of it into a fresh
store, and the detector finds its complaints, fakes and crises; the commands to explore them are
printed with the store they read."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.common import UsageError

if TYPE_CHECKING:
    from detector import DetectorConfig
    from indexer.store import Store

DEMO_STORE = "sqlite:///var/monitor.db"  # the embedded default: what the other commands read


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser("demo", help="start the replay site and crawl the demo region into a fresh store")
    demo.add_argument("--port", type=int, default=8765, help="replay site port (0 = any free port)")
    demo.add_argument("--store", default=DEMO_STORE,
                      help="a SQLite store to (re)create (default %(default)s, where the other commands read)")
    demo.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from crawler.process import project_settings, run_crawl
    from crawler.watchlist import load_watchlist
    from detector import DetectorConfig, run_detect
    from detector.answers.finding import OfficialAccounts
    from indexer.backends import open_store
    from indexer.store import IncidentQuery, Query
    from monitor.output import print_crawl_report, print_factcheck, print_incidents
    from replay.process import ReplayProcess

    watchlist = load_watchlist(None)  # a broken demo file should fail before anything starts
    store_url = args.store
    _fresh_store(store_url, {s.id for s in watchlist.sources})
    hint = "" if store_url == DEMO_STORE else f" --store {store_url}"
    with ReplayProcess(port=args.port) as site:
        print(f"replay site playing the demo region at {site.base}")
        settings = project_settings({**site.crawl_settings(store_url), "INDEXER_SPOOL_DIR": "var/demo-spool"})
        report = run_crawl(settings)
    print_crawl_report(report, store_url)
    config = DetectorConfig.from_settings(settings)
    store = open_store(store_url)
    try:
        total = store.count(Query())
        example = store.count(Query(text="вода"))
        print(f"\n{total} posts and comments stored in {store_url}. Search them, e.g.:")
        print(f"  monitor search вода{hint}        ({example} found: вода, воды, водой ...)")
        print(f"  monitor search \"нет света\" --since 7d{hint}")
        print("\nThe detector groups the complaints into incidents for the routing queue:")
        print(run_detect(store, config, sources={s.id: s for s in watchlist.sources},
                         accounts=OfficialAccounts(watchlist.answering_accounts())).summary())
        incidents = store.find_incidents(IncidentQuery(queue="routing", status=("new", "assigned"), limit=100_000))
        biggest = sorted(incidents, key=lambda i: (-len(i.post_ids), i.deadline or i.opened_at))[:5]
        print(f"{len(incidents)} incidents in the routing queue; the largest:")
        print_incidents(biggest)
        print(f"  monitor queue routing{hint} [--sector roads] [--territory Заречный]")
        _show_answers(store, config, hint)
        factcheck = store.find_incidents(IncidentQuery(queue="factcheck", status=("new", "assigned"), limit=1000))
        print(f"\n{len(factcheck)} stories in the fact-check queue; the most spread:")
        print_factcheck(sorted(factcheck, key=lambda i: (-len(i.sources), -len(i.post_ids)))[:3])
        print(f"  monitor queue factcheck{hint}")
        print(f"  monitor review <ID> --verdict fake --debunk <URL>{hint}")
        _show_crisis(store, config, hint)
        _write_report(store, config, settings, hint)
    finally:
        store.close()
    _show_workspace(settings, hint)
    return 0


def _show_answers(store: Store, config: DetectorConfig, hint: str) -> None:
    """The official answers found in the threads: how many, how soon, how many отписки."""
    from datetime import datetime, timezone

    from detector.jobs.service_levels import service_levels
    from indexer.store import IncidentQuery

    now = datetime.now(timezone.utc)
    total = service_levels(store, config, now - timedelta(days=30), now, now).total
    print(f"\nOfficial answers in the threads: {total.answered} of {total.incidents} routing incidents answered, "
          f"{total.in_target} in substance within {config.answers_target_hours:g} h (median {total.median_hours} h, "
          f"p90 {total.p90_hours} h), {total.otpiski} first answers are отписки; {total.overdue} overdue now.")
    answered = [i for i in store.find_incidents(IncidentQuery(queue="routing", limit=100_000)) if i.answered_at]
    for incident in sorted(answered, key=lambda i: i.opened_at)[:3]:
        first = incident.answers[0]
        hours = (incident.answered_at - incident.opened_at).total_seconds() / 3600 if incident.answered_at else 0
        print(f"  {incident.id}  через {hours:.1f} ч  {first['quality']:<11}  {first['body']}: {first['text'][:70]}")
    print(f"  monitor answers{hint} [--week 2026-W49] [--json]")


def _show_workspace(settings: Any, hint: str) -> None:
    """A demo account with a new random password, printed this once: the demo never ships a
    password that would also open a workspace someone forgot to take down."""
    import secrets

    from web.accounts import Accounts

    password = secrets.token_urlsafe(12)
    accounts = Accounts(settings["WEB_USERS_FILE"])
    try:
        accounts.add_user("demo", "supervisor", password)
    finally:
        accounts.close()
    print(f"\nThe staff workspace: monitor web{hint}, then open http://{settings['WEB_HOST']}:{settings['WEB_PORT']}/")
    print(f"  sign in as demo, password {password}  (a supervisor; shown once, new at each demo run)")


def _fresh_store(store_url: str, demo_sources: set[str]) -> None:
    """Remove the store file, unless it holds crawls of other sources than the demo's."""
    if not store_url.startswith("sqlite:///"):
        raise UsageError(f"the demo writes a SQLite store it may erase; --store {store_url} is not one")
    path = Path(store_url.removeprefix("sqlite:///"))
    if path.exists():
        import sqlite3

        db = sqlite3.connect(path)
        try:
            crawled = {row[0] for row in db.execute("SELECT source_id FROM cursors")}
        except sqlite3.Error:
            crawled = set()
        finally:
            db.close()
        others = sorted(s for s in crawled - demo_sources if not s.startswith("~"))  # "~detect": the detector's
        if others:
            raise UsageError(f"{path} holds crawls of sources that are not the demo's ({', '.join(others[:5])}); "
                             f"the demo would erase them: give it another store, e.g. --store sqlite:///var/demo.db")
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _show_crisis(store: object, config: object, hint: str) -> None:
    """Spike detection over the demo week; the most significant crisis, explained."""
    from detector.jobs.spikes import run_spikes
    from indexer.schema import utcnow
    from monitor.output import print_crises

    print("\nSpikes per sector × district (emerging crises) over the demo week:")
    report = run_spikes(store, config, utcnow() - timedelta(days=8))  # type: ignore[arg-type]
    print(report.summary())
    if report.new:
        top = max(report.new, key=lambda i: i.evidence["spike"]["significance"])
        print("the most significant:")
        print_crises([top])
    print(f"  monitor spikes --since 7d{hint}        (crises also join the routing queue)")


def _write_report(store: object, config: object, settings: object, hint: str) -> None:
    """The weekly report of the week holding most of the demo's days (its middle), with the PDF."""
    from detector.reports.config import ReportConfig
    from detector.reports.job import run_report
    from detector.reports.weeks import Week
    from indexer.schema import utcnow

    week = Week.of(utcnow() - timedelta(days=3.5))
    done = run_report(store, config, ReportConfig.from_settings(settings), week=week, pdf=True)  # type: ignore[arg-type]
    print(f"\nThe weekly report of {week} (the week holding most of the demo's days):")
    print(done.summary())
    print(f"  open {done.files.html} in a browser;  monitor report --week {week} --pdf{hint}")
