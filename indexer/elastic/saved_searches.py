"""The routing queues as Kibana saved searches: one ``monitor-routing-<code>`` per sector, open
incidents of that sector with the nearest deadline first.

``monitor setup`` imports them made from the deployment's own sectors (code and name, which the
caller reads from its one definition), so a region with other sectors gets its own queues; the
shipped ``kibana_objects.ndjson`` holds the demo region's, and a test keeps them equal to what this
module makes of ``watchlists/sectors.yml``.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

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
