"""``monitor``: crawl public pages into the store, find complaints, fakes and crises, work the queues.

    monitor demo [--port N] [--store URL]
    monitor crawl [--watchlist FILE] [--source ID ...] [--store URL] [-s NAME=VALUE ...]
    monitor schedule [--watchlist FILE] [--store URL] [-s NAME=VALUE ...]
    monitor sources [--watchlist FILE] [--json] [--store URL]
    monitor search QUERY [--platform P] [--source ID] [--since DATE] [--limit N] [--store URL]
    monitor detect [--since DATE] [--store URL]
    monitor queue routing|factcheck [--sector S] [--territory T] [--status S ...] [--limit N] [--store URL]
    monitor incident ID --status assigned|answered|closed [--store URL]
    monitor review ID --verdict fake|true|unverified [--debunk URL] [--note TEXT] [--by NAME]
    monitor review --export FILE
    monitor spikes [--since DATE] [--store URL] | --from-jsonl FILE [--bucket 1h|1d]
    monitor answers [--since DATE] [--until DATE] [--week 2026-W49] [--json] [--store URL]
    monitor report [--week 2026-W49] [--out DIR] [--pdf] [--send] [--store URL]
    monitor score [--in FILE] [--out FILE] [--threshold X]
    monitor train [complaints|fakes] --out MODEL [--data FILE ...] [--real-appeals FILE]
    monitor eval complaints|fakes|spikes|answers [--data FILE ...] [--real-appeals FILE] [--cv K]
    monitor check [--watchlist FILE] [--sectors]
    monitor setup [--store URL] [--no-kibana] [--wait SECONDS]
    monitor forget --author PLATFORM:ID | --post ID --reason TEXT [--by NAME] | --list | --expired
    monitor users add NAME --role operator|fact-checker|supervisor|admin   (password asked, or on stdin)
    monitor web [--host H] [--port N] [--store URL]

Exit codes: 0 done, 1 a service failed (the store, Elasticsearch, Kibana; a crawl that left what it
collected out of the store, or found a source failing, silent or degraded), 2 bad input (a watchlist, a staff file, a setting, an argument or a
store URL that cannot be used). Expected failures are one line on stderr, never a traceback. A
reader that closes the output early (``monitor search ... | head -1``) ends the command quietly,
with exit code 0: it has what it wanted.

Each command lives in its own module and imports what it needs only when it runs, so ``monitor
--help`` and the commands that only read a store start at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module
from typing import Sequence

COMMANDS = ("monitor.demo", "monitor.crawl", "monitor.search", "monitor.detection", "monitor.queues",
            "monitor.spikes", "monitor.check", "monitor.setup", "monitor.gazetteer", "monitor.sources",
            "monitor.answers", "monitor.forget", "monitor.report", "monitor.users", "monitor.web")


def main(argv: Sequence[str] | None = None) -> int:
    from monitor.output import clean_streams

    clean_streams()  # crawled names and texts carry no escape sequence to the terminal
    os.umask(0o077)  # the store, spool, outboxes, state and logs hold personal data: this user's only
    args = build_parser().parse_args(argv)
    try:
        done = int(args.run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return done
    except BrokenPipeError:  # `monitor search ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        code = exit_code(exc)
        if code is None:
            raise
        print(f"monitor {args.command}: {exc}", file=sys.stderr)
        return code


def exit_code(exc: Exception) -> int | None:
    """The exit code of an expected failure; None for a bug (its traceback is shown)."""
    from crawler.exceptions import CrawlerError
    from detector.exceptions import DetectorError
    from indexer.exceptions import StoreConfigError, StoreUnavailable
    from monitor.common import UsageError

    if isinstance(exc, StoreUnavailable):
        return 1
    if isinstance(exc, (UsageError, CrawlerError, DetectorError, StoreConfigError)):
        return 2
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="monitor", description=(__doc__ or "").split("\n\n")[0],
                                     epilog="`monitor COMMAND --help` tells more of each command.")
    sub = parser.add_subparsers(required=True, metavar="COMMAND", dest="command")
    for name in COMMANDS:
        import_module(name).add_parsers(sub)
    return parser


if __name__ == "__main__":
    sys.exit(main())
