"""``monitor forget``: erase a person's posts and comments on request, list the erasures, apply retention."""

from __future__ import annotations

import argparse
import getpass
import json
from typing import TYPE_CHECKING

from monitor.common import UsageError, add_settings, add_store, open_store, settings

if TYPE_CHECKING:
    from indexer.erasure import ErasureRecord

FORGET_CONTRACT = """Erase a person's data on request, and keep it from being collected again.

--author PLATFORM:ID (vk:12345: the platform and the author's id on it, as `monitor search --json`
shows a post's author) deletes every post and comment of that author; --post ID one post or
comment. Both stores' posts, the incidents and fact-check items that held them (their ids taken
out, any title, summary or evidence quoting them replaced; an incident left with no post is
closed, its staff history kept), the spool (waiting, rejected/, quarantine/) and the webhook and
Telegram outboxes. The erasure log keeps who asked (--by), why (--reason), when, the selector and
how many items of each kind went, never the items; its selectors are the exclusion list the crawl
drops items by.

--list shows the erasure log. --expired applies retention (INDEXER_RETENTION_DAYS for posts,
RETENTION_INCIDENTS_DAYS for closed incidents, RETENTION_SPOOL_DAYS, RETENTION_OUTBOX_DAYS), as
`monitor schedule` does once a day. See docs/PRIVACY.md.
"""


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    forget = sub.add_parser("forget", help="erase a person's posts on request; the erasure log; retention",
                            formatter_class=argparse.RawDescriptionHelpFormatter, description=FORGET_CONTRACT)
    forget.add_argument("--author", action="append", default=[], metavar="PLATFORM:ID",
                        help="erase this author's posts and comments (repeatable)")
    forget.add_argument("--post", action="append", default=[], metavar="ID", help="erase this post (repeatable)")
    forget.add_argument("--reason", help="why (the request's reference): kept in the erasure log")
    forget.add_argument("--by", default=None, help="who asked or did it (default: the login name)")
    forget.add_argument("--list", action="store_true", help="show the erasure log")
    forget.add_argument("--expired", action="store_true", help="delete what is older than the retention settings")
    forget.add_argument("--json", action="store_true", help="with --list: one JSON object a line")
    add_store(forget)
    add_settings(forget)
    forget.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from detector.jobs.forget import Places, Retention, expire, forget
    from indexer.erasure import Selector
    from indexer.exceptions import SelectorError

    chosen = [bool(args.author or args.post), args.list, args.expired]
    if sum(chosen) != 1:
        raise UsageError("give --author/--post, or --list, or --expired (one of them)")
    try:
        selectors = [Selector.author(a) for a in args.author] + [Selector.post(p) for p in args.post]
    except SelectorError as exc:
        raise UsageError(str(exc)) from None
    if selectors and not (args.reason or "").strip():
        raise UsageError("--reason is required: the erasure log keeps why (the request's reference)")
    project = settings(args)
    places = Places.from_settings(project.get)
    retention = Retention.from_settings(project.get) if args.expired else None
    store = open_store(project)
    try:
        if args.list:
            return _list(store.erasures(), args.json)
        if retention is not None:
            _print(expire(store, retention, places))
            return 0
        by = args.by or getpass.getuser()
        for selector in selectors:
            _print(forget(store, selector, places, by=by, reason=args.reason.strip()))
    finally:
        store.close()
    return 0


def _print(record: ErasureRecord) -> None:
    counts = ", ".join(f"{name} {value}" for name, value in record.counts.items())
    print(f"{record.selector.kind} {record.selector.value}: {counts}")


def _list(records: list[ErasureRecord], as_json: bool) -> int:
    for record in records:
        if as_json:
            print(json.dumps(record.to_dict(), ensure_ascii=False))
            continue
        counts = ", ".join(f"{name} {value}" for name, value in record.counts.items() if value)
        print(f"{record.at:%Y-%m-%d %H:%M} {record.selector.kind} {record.selector.value} by {record.by}"
              f" ({record.reason}): {counts or 'nothing found'}")
    if not records and not as_json:
        print("no erasures recorded")
    return 0
