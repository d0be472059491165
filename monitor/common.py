"""What the commands share: the store and setting arguments, ages like ``24h``, opening the store."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from monitor.settings import ProjectSettings, load_settings

if TYPE_CHECKING:
    from indexer.store import Store


class UsageError(Exception):
    """A command line that cannot be run as given (exit code 2)."""


def add_store(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", help="store URL, e.g. sqlite:///var/monitor.db or https://es:9200 "
                                        "(setting INDEXER_STORE_URL, environment MONITOR_STORE_URL)")


def add_settings(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="override a setting (repeatable)")


def since(value: str) -> datetime:
    """``--since``: an ISO date or time, or an age like 24h, 7d, 30m."""
    units = {"h": "hours", "d": "days", "m": "minutes"}
    if value[:-1].isdigit() and value[-1:] in units:
        return datetime.now(timezone.utc) - timedelta(**{units[value[-1]]: int(value[:-1])})
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected an ISO date or an age like 24h, got {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """``-s NAME=VALUE``, ``--watchlist`` and ``--store`` as setting overrides."""
    values: dict[str, Any] = {}
    for pair in getattr(args, "settings", None) or []:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"-s expects NAME=VALUE, got {pair!r}")
        values[name] = value
    if getattr(args, "watchlist", None):
        values["WATCHLIST"] = args.watchlist
    if getattr(args, "store", None):
        values["INDEXER_STORE_URL"] = args.store
    return values


def settings(args: argparse.Namespace) -> ProjectSettings:
    return load_settings(overrides(args))


def open_store(settings: ProjectSettings) -> Store:
    from indexer.backends import open_store as _open

    return _open(settings["INDEXER_STORE_URL"], settings)


def store_name(settings: ProjectSettings) -> str:
    from indexer.store import safe_url

    return safe_url(str(settings["INDEXER_STORE_URL"]))
