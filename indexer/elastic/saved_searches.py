"""The routing queues as Kibana saved searches: one ``monitor-routing-<code>`` per sector, open
incidents of that sector with the nearest deadline first, generated into the shipped
``kibana_objects.ndjson`` from the sectors' one definition (``detector.sectors``: code and name), so
the file cannot drift from ``watchlists/sectors.yml``. A test keeps the shipped file equal to what
this module generates; after editing the sectors, rewrite it:

    python -m indexer.elastic.saved_searches           # rewrite the shipped file
    python -m indexer.elastic.saved_searches --check   # exit 1 when it is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Iterable, Sequence

OBJECTS = Path(__file__).with_name("kibana_objects.ndjson")
PREFIX = "monitor-routing-"
COLUMNS = ["title", "territory.address", "body", "status", "deadline", "overdue", "posts_count"]


def routing_search(code: str, name: str) -> dict[str, Any]:
    """The saved search of one sector's routing queue."""
    query = f'queue : "routing" and sector : "{code}" and not status : "closed"'
    source = {"highlightAll": True, "version": True, "query": {"query": query, "language": "kuery"}, "filter": [],
              "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"}
    return {
        "attributes": {
            "columns": COLUMNS, "hits": 0, "sort": [["deadline", "asc"]], "version": 1,
            "description": f"Открытые инциденты сектора «{name}» в очереди маршрутизации, ближайший срок сверху.",
            "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source, ensure_ascii=False,
                                                                     separators=(",", ":"))},
            "title": f"Очередь маршрутизации: {name}"},
        "coreMigrationVersion": "8.8.0", "id": f"{PREFIX}{code}", "type": "search", "typeMigrationVersion": "7.9.3",
        "references": [{"id": "monitor-incidents", "name": "kibanaSavedObjectMeta.searchSourceJSON.index",
                        "type": "index-pattern"}]}


def with_routing_searches(ndjson: str, sectors: Iterable[tuple[str, str]]) -> str:
    """``ndjson`` with its routing searches replaced by one per (code, name), where the first was
    (after the other objects when there was none)."""
    lines = [line for line in ndjson.splitlines() if line.strip()]
    kept = [line for line in lines if not _is_routing_search(line)]
    at = next((n for n, line in enumerate(lines) if _is_routing_search(line)), len(kept))
    generated = [json.dumps(routing_search(code, name), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                 for code, name in sectors]
    return "\n".join(kept[:at] + generated + kept[at:]) + "\n"


def _is_routing_search(line: str) -> bool:
    obj = json.loads(line)
    return bool(obj.get("type") == "search" and str(obj.get("id", "")).startswith(PREFIX))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rewrite the routing queues of the Kibana objects from the sectors.")
    parser.add_argument("--check", action="store_true", help="only say whether the file is up to date (exit 1 if not)")
    args = parser.parse_args(argv)
    from detector.sectors import load_sectors  # the one definition of the sectors (watchlists/sectors.yml)

    current = OBJECTS.read_text(encoding="utf-8")
    wanted = with_routing_searches(current, [(s.code, s.name) for s in load_sectors()])
    if args.check:
        print(f"{OBJECTS}: {'up to date' if wanted == current else 'out of date with watchlists/sectors.yml'}")
        return 0 if wanted == current else 1
    OBJECTS.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
