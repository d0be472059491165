"""``monitor check``: validate every file staff edit (the watchlist, sectors, routing, territories,
narratives, the rumour lexicon) and the references between them, and say, for each problem, the
file, the entry, the field and what was expected. Exit 0 when every file is valid (warnings are
shown), 2 when not. It loads no model, so it answers at once.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from monitor.common import add_settings, settings

if TYPE_CHECKING:
    from detector.staff.consistency import PlaceRefs
    from detector.staff.problems import Problem


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = sub.add_parser("check", help="validate the watchlist and the staff's YAML files")
    check.add_argument("--watchlist", help="watchlist YAML file (setting WATCHLIST)")
    check.add_argument("--sectors", action="store_true", help="also list the sectors: code, name, taxonomy groups")
    add_settings(check)
    check.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from detector.config import DetectorConfig
    from detector.staff.check import CheckReport, check_files
    from monitor.output import print_check, print_sectors

    config = settings(args)
    report = CheckReport()
    file, summary, problems, refs = _watchlist(config.get("WATCHLIST"))
    report.add(file, summary, problems)
    check_files(DetectorConfig.from_settings(config), [refs] if refs else [], report)
    print_check(report)
    if args.sectors:
        print_sectors(report.sectors)
    return 2 if report.errors else 0


def _watchlist(path: str | None) -> tuple[str, str | None, list[Problem], PlaceRefs | None]:
    """The watchlist's file, summary and problems, and the territories its sources name."""
    from importlib.resources import files

    from crawler.exceptions import WatchlistError
    from crawler.watchlist import load_watchlist
    from detector.staff.consistency import PlaceRefs
    from detector.staff.problems import TOP, Problem

    file = str(path or files("watchlists") / "demo.yml")
    try:
        watchlist = load_watchlist(file)
    except WatchlistError as exc:
        found = [Problem(file, where, field, message) for where, field, message in exc.problems]
        return file, None, found or [Problem(file, TOP, "", str(exc).removeprefix(f"{file}: "))], None
    refs = [(f"source {s.id!r} (#{n})", "territory", s.territory)
            for n, s in enumerate(watchlist.sources, 1) if s.territory]
    return file, f"{len(watchlist.sources)} sources", [], PlaceRefs(file, refs)
