"""``monitor queue``, ``incident`` and ``review``: the routing and fact-check queues as staff use them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.common import UsageError, add_settings, add_store, open_store, settings, store_name

if TYPE_CHECKING:
    from detector.config import DetectorConfig
    from indexer.schema import Incident
    from indexer.store import Store

STATUSES = ["new", "assigned", "answered", "closed"]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    queue = sub.add_parser("queue", help="list a queue's incidents, nearest deadline first")
    queue.add_argument("name", choices=["routing", "factcheck"])
    queue.add_argument("--sector", help="a sector code (monitor check --sectors lists them)")
    queue.add_argument("--territory", help="a town or a district")
    queue.add_argument("--status", nargs="+", default=["new", "assigned"], choices=STATUSES)
    queue.add_argument("--limit", type=int, default=50)
    queue.add_argument("--json", action="store_true", help="one incident per line as JSON")
    add_store(queue)
    add_settings(queue)
    queue.set_defaults(run=run_queue)

    incident = sub.add_parser("incident", help="move an incident on: assign it, record the answer, close it, "
                                               "reopen it with a reason, add a note; or show its history")
    incident.add_argument("id")
    incident.add_argument("--status", choices=STATUSES, help="new, assigned, answered or closed (back: with --reason)")
    incident.add_argument("--assignee", metavar="NAME", help="who works on it (a new incident becomes assigned)")
    incident.add_argument("--answer", metavar="TEXT", help="the official answer, or its link (marks it answered)")
    incident.add_argument("--note", metavar="TEXT", help="a note for colleagues")
    incident.add_argument("--reason", metavar="TEXT", help="why: required to move an incident back (reopen)")
    incident.add_argument("--merge", metavar="OTHER", help="take in incident OTHER (the same queue): its posts move "
                                                          "here and it is closed as merged")
    incident.add_argument("--split", metavar="POST_ID", help="move a post out into an incident of its own")
    incident.add_argument("--by", help="who changes it (default: $MONITOR_USER or the login name)")
    incident.add_argument("--history", action="store_true", help="show who changed what and when")
    add_store(incident)
    add_settings(incident)
    incident.set_defaults(run=run_incident)

    review = sub.add_parser("review", help="record a fact-checker's verdict on a fact-check item, or export "
                                           "the verdicts as labelled data")
    review.add_argument("id", nargs="?", help="the fact-check item (monitor queue factcheck)")
    review.add_argument("--verdict", choices=["fake", "true", "unverified"])
    review.add_argument("--debunk", metavar="URL", help="the answer to link; with --verdict fake the story joins "
                                                       "the debunk registry")
    review.add_argument("--note", default="")
    review.add_argument("--by", help="who decides (default: $MONITOR_USER or the login name)")
    review.add_argument("--export", type=Path, metavar="FILE",
                        help="write every decided item's posts as labelled JSON Lines (the fakes corpus format)")
    add_store(review)
    add_settings(review)
    review.set_defaults(run=run_review)


def run_queue(args: argparse.Namespace) -> int:
    from detector import DetectorConfig, list_queue
    from monitor.output import print_factcheck, print_incidents

    config = settings(args)
    detector_config = DetectorConfig.from_settings(config)
    if args.sector:
        _known_sector(args.sector, detector_config)
    store = open_store(config)
    try:
        incidents = list_queue(store, detector_config, args.name, status=tuple(args.status),
                               sector=args.sector, territory=args.territory, limit=args.limit)
    finally:
        store.close()
    if args.json:
        for incident in incidents:
            print(json.dumps(incident.to_dict(), ensure_ascii=False))
    elif args.name == "factcheck":
        print_factcheck(incidents, store_name(config))
    else:
        print_incidents(incidents, store_name(config))
    return 0


def _known_sector(code: str, config: DetectorConfig) -> None:
    """``--sector`` names a sector of sectors.yml: a typo would list an empty queue, not fail."""
    from detector.sectors import load_sectors

    codes = [sector.code for sector in load_sectors(config.sectors_file())]
    if code not in codes:
        raise UsageError(f"--sector {code!r}: expected a sector code of {config.sectors_file()}: {', '.join(codes)}")


def run_incident(args: argparse.Namespace) -> int:
    from detector import Change, change_incident
    from monitor.output import print_history

    changes = any((args.status, args.assignee, args.answer, args.note))
    if (args.merge or args.split) and (changes or (args.merge and args.split)):
        raise UsageError("--merge and --split are made alone: not with each other or with another change")
    config = settings(args)
    store = open_store(config)
    try:
        if args.merge or args.split:
            incident = _move(store, args)
        elif args.history and not changes:
            found = store.get_incident(args.id)
            if found is None:
                raise UsageError(f"no incident {args.id!r} in {store_name(config)}")
            incident = found
        else:
            change = Change(by=args.by or _user(), status=args.status, assignee=args.assignee, answer=args.answer,
                            note=args.note, reason=args.reason)
            incident = change_incident(store, args.id, change)
    finally:
        store.close()
    print(f"{incident.id}: {incident.status}" + (f", {incident.assignee}" if incident.assignee else ""))
    if args.history:
        print_history(incident)
    return 0


def _move(store: Store, args: argparse.Namespace) -> Incident:
    """``--merge`` or ``--split``: posts moved between incidents, both histories recording it."""
    from detector.jobs.moves import merge_incidents, split_post

    if args.merge:
        merged = merge_incidents(store, args.id, args.merge, by=args.by or _user())
        print(f"{args.merge} merged into {merged.id}: {len(merged.post_ids)} posts")
        return merged
    split = split_post(store, args.id, args.split, by=args.by or _user())
    print(f"{args.split} split out of {args.id} into {split.id}")
    return split


def _user() -> str:
    import getpass
    import os

    return os.environ.get("MONITOR_USER") or getpass.getuser()


def run_review(args: argparse.Namespace) -> int:
    from detector import export_reviews, record_verdict

    if bool(args.export) == bool(args.id):
        raise UsageError("give a fact-check item ID with --verdict, or --export FILE")
    if args.id and not args.verdict:
        raise UsageError("--verdict fake|true|unverified is required")
    config = settings(args)
    store = open_store(config)
    try:
        if args.export:
            count = export_reviews(store, args.export)
            print(f"{count} labelled items from reviewed fact-check items → {args.export}")
            return 0
        who = args.by or _user()
        incident = record_verdict(store, args.id, args.verdict, who, debunk=args.debunk, note=args.note)
    finally:
        store.close()
    joined = " (joins the debunk registry)" if args.verdict == "fake" and args.debunk else ""
    print(f"{incident.id}: {incident.verdict} by {who}, {incident.status}{joined}")
    return 0
