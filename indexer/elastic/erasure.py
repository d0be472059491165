"""Erasure and retention on Elasticsearch: which documents a selector or an age names, and their
deletion by query.

``_delete_by_query`` deletes what a search sees, each document only if it has not changed since
(a crawl re-writing it meanwhile is a version conflict): so the posts alias is refreshed first,
conflicts are let through (``conflicts=proceed``) and the query is run again until none is left,
a few times at most. Each run refreshes, so a search right after sees the deletions.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from elasticsearch import NotFoundError

from indexer.erasure import Selector
from indexer.exceptions import StoreUnavailable

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

ROUNDS = 5  # delete-by-query runs while documents keep changing under it


def selector_query(selector: Selector) -> dict[str, Any]:
    """The posts and comments ``selector`` names."""
    if selector.kind == "author":
        platform, author_id = selector.platform_and_author
        return {"bool": {"filter": [{"term": {"platform": platform}}, {"term": {"author.id": author_id}}]}}
    if selector.kind == "post":
        return {"ids": {"values": [selector.value]}}
    raise ValueError(f"forget: a selector of kind author or post, not {selector.kind!r}")


def origin_query(selector: Selector) -> dict[str, Any]:
    """Others' reposts and forwards of what ``selector`` names."""
    if selector.kind == "author":
        platform, author_id = selector.platform_and_author
        return {"bool": {"filter": [{"term": {"platform": platform}}, {"term": {"origin.author.id": author_id}}]}}
    return {"term": {"origin.id": selector.value}}


def older_posts(before: datetime, kind: str) -> dict[str, Any]:
    """Posts (or comments) created before ``before``; undated ones crawled before it."""
    moment = before.isoformat()
    undated = {"bool": {"must_not": [{"exists": {"field": "created_at"}}],
                        "filter": [{"range": {"crawled_at": {"lt": moment}}}]}}
    return {"bool": {"filter": [{"term": {"kind": kind}}], "minimum_should_match": 1,
                     "should": [{"range": {"created_at": {"lt": moment}}}, undated]}}


def closed_incidents(before: datetime) -> dict[str, Any]:
    """Incidents closed before ``before`` (by their closing time, else their last status change)."""
    moment = before.isoformat()
    no_close_time = {"bool": {"must_not": [{"exists": {"field": "closed_at"}}],
                              "filter": [{"range": {"status_at": {"lt": moment}}}]}}
    return {"bool": {"filter": [{"term": {"status": "closed"}}], "minimum_should_match": 1,
                     "should": [{"range": {"closed_at": {"lt": moment}}}, no_close_time]}}


def delete_matching(client: Elasticsearch, index: str, query: dict[str, Any]) -> int:
    """Delete every document of ``index`` that ``query`` matches; how many went."""
    deleted = 0
    for _ in range(ROUNDS):
        try:
            done = client.delete_by_query(index=index, query=query, conflicts="proceed", refresh=True)
        except NotFoundError:  # no such index yet: nothing to delete
            return deleted
        deleted += int(done["deleted"])
        if not done["version_conflicts"]:
            return deleted
    raise StoreUnavailable(f"{index}: documents kept changing while being deleted ({ROUNDS} runs); "
                           f"{deleted} deleted, run it again")
