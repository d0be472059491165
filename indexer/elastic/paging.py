"""Reads of any size: hits through a point in time, buckets through a composite aggregation.

Elasticsearch answers at most ``index.max_result_window`` (10,000 by default) hits per search and
refuses a response of more than ``search.max_buckets`` (65,536) buckets. :func:`hits` reads one
page when that is all there is; past it, it opens a point in time (the indices as they were when
it opened, so writes made meanwhile neither repeat nor skip a hit), pages with ``search_after``
and the ``_shard_doc`` tiebreaker, and closes it when done or failed (a point in time left open
holds the indices' segments until ``KEEP_ALIVE`` passes). :func:`buckets` pages a composite
aggregation with ``after_key``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from elastic_transport import TransportError
from elasticsearch import ApiError

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

logger = logging.getLogger(__name__)

PAGE = 10_000  # hits or buckets per request: Elasticsearch's default index.max_result_window
KEEP_ALIVE = "2m"  # how long a point in time waits for the next page


def hits(client: Elasticsearch, index: str, *, query: dict[str, Any], sort: list[Any], limit: int | None,
         page_size: int = PAGE, **options: Any) -> list[dict[str, Any]]:
    """Up to ``limit`` hits (None: all) of ``query`` on ``index`` in ``sort`` order; ``options`` such as
    ``source`` go into every request."""
    first = client.search(index=index, query=query, sort=sort or None, track_total_hits=False,
                          size=page_size if limit is None else min(limit, page_size), **options)["hits"]["hits"]
    if len(first) < page_size or (limit is not None and limit <= page_size):
        return list(first)
    return _through_point_in_time(client, index, query=query, sort=[*sort, {"_shard_doc": "asc"}], limit=limit,
                                  page_size=page_size, **options)


def _through_point_in_time(client: Elasticsearch, index: str, *, query: dict[str, Any], sort: list[Any],
                           limit: int | None, page_size: int, **options: Any) -> list[dict[str, Any]]:
    pit = client.open_point_in_time(index=index, keep_alive=KEEP_ALIVE)["id"]
    found: list[dict[str, Any]] = []
    try:
        after: list[Any] | None = None
        while limit is None or len(found) < limit:
            size = page_size if limit is None else min(limit - len(found), page_size)
            answer = client.search(pit={"id": pit, "keep_alive": KEEP_ALIVE}, query=query, sort=sort, size=size,
                                   track_total_hits=False, search_after=after, **options)
            pit = answer.get("pit_id") or pit  # Elasticsearch may hand back a new id: use the latest
            page = answer["hits"]["hits"]
            found += page
            if len(page) < size:
                break
            after = page[-1]["sort"]
    finally:
        close(client, pit)
    return found


def close(client: Elasticsearch, pit: str) -> None:
    """Close a point in time; a failure to is logged, not raised (it expires by itself)."""
    try:
        client.options(ignore_status=404).close_point_in_time(id=pit)
    except (TransportError, ApiError) as exc:
        logger.warning("could not close a point in time (it expires in %s): %s", KEEP_ALIVE, exc)


def buckets(client: Elasticsearch, index: str, *, query: dict[str, Any], sources: list[dict[str, Any]],
            page_size: int = PAGE) -> list[dict[str, Any]]:
    """Every bucket of a composite aggregation over ``sources``, in key order, ``page_size`` a request."""
    found: list[dict[str, Any]] = []
    after: dict[str, Any] | None = None
    while True:
        composite: dict[str, Any] = {"sources": sources, "size": page_size}
        if after is not None:
            composite["after"] = after
        answer = client.search(index=index, size=0, query=query, track_total_hits=False,
                               aggs={"page": {"composite": composite}})["aggregations"]["page"]
        found += answer["buckets"]
        after = answer.get("after_key")
        if not answer["buckets"] or after is None:
            return found
