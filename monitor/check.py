"""``monitor check``: validate every file staff edit (the watchlist, sectors, routing, territories,
narratives, the rumour lexicon) and say, for each problem, the file, the field and what was expected."""

from __future__ import annotations

import argparse

from monitor.common import add_settings, settings


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = sub.add_parser("check", help="validate the watchlist and the staff's YAML files")
    check.add_argument("--watchlist", help="watchlist YAML file (setting WATCHLIST)")
    check.add_argument("--sectors", action="store_true", help="also list the sectors: code, name, groups")
    add_settings(check)
    check.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from detector.validation import check_files
    from monitor.output import print_problems

    config = settings(args)
    report = check_files(config)
    print_problems(report)
    if args.sectors:
        for sector in report.sectors:
            print(f"  {sector.code:<10} {sector.name}  ({', '.join(sector.groups)})")
    return 0 if not report.problems else 2
