"""``monitor sources``: each watched source's health as its crawls recorded it (``crawler/health``):
ok, failing, silent or degraded, why, its last good crawl and what its last crawl got."""

from __future__ import annotations

import argparse
import json
from typing import Any

from monitor.common import add_settings, add_store, open_store, settings, store_name

ORDER = ("failing", "silent", "degraded", "ok", "unknown")  # worst first


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sources = sub.add_parser("sources", help="each watched source's health: ok, failing, silent, degraded")
    sources.add_argument("--watchlist", help="watchlist YAML file (setting WATCHLIST; default: the demo region's)")
    sources.add_argument("--json", action="store_true", help="one JSON object per source and line")
    add_store(sources)
    add_settings(sources)
    sources.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from crawler.watchlist import load_watchlist

    config = settings(args)
    watched = load_watchlist(config.get("WATCHLIST")).select()
    store = open_store(config)
    try:
        health = store.source_health([s.id for s in watched])
    finally:
        store.close()
    rows = [_row(s.id, s.platform, health.get(s.id)) for s in watched]
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    else:
        _print(rows, store_name(config))
    return 0


def _row(source_id: str, platform: str, health: dict[str, Any] | None) -> dict[str, Any]:
    """One source as listed; a source no crawl has judged yet is "unknown"."""
    health = health or {}
    last = health.get("last") or {}
    return {"source_id": source_id, "platform": platform, "health": health.get("state") or "unknown",
            "reasons": health.get("reasons") or [], "last_good_at": health.get("last_good_at"),
            "last_crawl_at": health.get("last_crawl_at"), "bad_crawls": health.get("bad_crawls", 0),
            "crawls": health.get("crawls", 0), "last_status": last.get("status"), "last_seen": last.get("seen"),
            "last_items": last.get("items"), "last_new_items": last.get("new_items"),
            "last_errors": last.get("errors") or {}}


def _print(rows: list[dict[str, Any]], store: str) -> None:
    width = max([len(r["source_id"]) for r in rows] + [6])
    print(f"{'source':<{width}}  {'platform':<9} {'health':<9} {'last good crawl':<20} {'last crawl':<20} "
          f"{'status':<6} {'seen':>5} {'items':>6} {'new':>5} {'bad':>4}  why")
    for r in rows:
        print(f"{r['source_id']:<{width}}  {r['platform']:<9} {r['health']:<9} {_when(r['last_good_at']):<20} "
              f"{_when(r['last_crawl_at']):<20} {r['last_status'] or '-':<6} {_n(r['last_seen']):>5} "
              f"{_n(r['last_items']):>6} {_n(r['last_new_items']):>5} {r['bad_crawls']:>4}  "
              f"{'; '.join(r['reasons']) or '-'}")
    counts = {state: sum(r["health"] == state for r in rows) for state in ORDER}
    print(f"{len(rows)} sources in {store}: " + ", ".join(f"{n} {state}" for state, n in counts.items() if n))


def _when(value: str | None) -> str:
    return value[:19].replace("T", " ") if value else "-"


def _n(value: int | None) -> str:
    return "-" if value is None else str(value)
