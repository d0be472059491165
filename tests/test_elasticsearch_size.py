"""The Elasticsearch store at any size, against the double with its limits lowered so a few documents
pass them: reads past the result window through a point in time (closed afterwards, also on
errors, and blind to writes made meanwhile), counts from composite aggregations under the bucket
limit, bulk requests under the body limit and documents too large for any request refused for good.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest

from indexer.elastic.store import ElasticsearchStore
from indexer.exceptions import StoreUnavailable
from indexer.schema import Incident, Post, Territory
from indexer.store import IncidentQuery, Query
from tests.support.es_double import ElasticsearchDouble

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
FAST = {"INDEXER_ES_INITIAL_BACKOFF": 0.01, "INDEXER_ES_MAX_BACKOFF": 0.05}
PAGE = 4  # hits or buckets a request, in these tests


@pytest.fixture
def es() -> Iterator[ElasticsearchDouble]:
    with ElasticsearchDouble() as double:
        double.max_result_window = PAGE
        yield double  # type: ignore[misc]


@pytest.fixture
def store(es: ElasticsearchDouble) -> Iterator[ElasticsearchStore]:
    opened = ElasticsearchStore.from_url(es.url, FAST)
    opened.page_size = PAGE
    yield opened
    opened.close()


def post(number: int, minutes_ago: float = 0, text: str = "Третий день нет воды", *, comment_on: int | None = None,
         sector: str | None = "housing", district: str | None = "Заречный") -> Post:
    root = f"vk:-210001:{comment_on}" if comment_on else None
    return Post(id=f"vk:-210001:{number}", platform="vk", source_id="vk_podslushano",
                kind="comment" if comment_on else "post", text=text, parent_id=root, thread_root=root,
                created_at=NOW - timedelta(minutes=minutes_ago), is_complaint=True, sector=sector,
                territory=Territory("Приреченск", district, None, None, None, None, "text"))


def incident(number: int, deadline_hours: float | None) -> Incident:
    return Incident(id=f"inc-{number}", kind="complaint", queue="routing", sector="housing",
                    opened_at=NOW - timedelta(hours=number),
                    deadline=NOW + timedelta(hours=deadline_hours) if deadline_hours is not None else None)


def newest_first(posts: list[Post]) -> list[str]:
    return [p.id for p in sorted(posts, key=lambda p: (-p.created_at.timestamp(), p.id))]  # type: ignore[union-attr]


# -- hits past the result window ---------------------------------------------------------------

def test_a_search_past_the_result_window_reads_through_a_point_in_time_and_closes_it(
        es: ElasticsearchDouble, store: ElasticsearchStore) -> None:
    posts = [post(n, minutes_ago=n % 3) for n in range(1, 11)]  # ties in time: the id breaks them
    store.upsert(posts)
    found = store.search(Query(limit=100))
    assert [p.id for p in found] == newest_first(posts)
    assert len(es.sent("POST", "/monitor-posts/_pit")) == 1
    pages = [r.json() for r in es.sent("POST", "/_search")]
    assert len(pages) == 3 and all(page["size"] <= PAGE and "pit" in page for page in pages)
    assert pages[0]["sort"][-1] == {"_shard_doc": "asc"} and "search_after" in pages[1]
    assert len(es.sent("DELETE", "/_pit")) == 1 and es.points_in_time == []


def test_a_search_that_fits_one_page_is_one_request(es: ElasticsearchDouble, store: ElasticsearchStore) -> None:
    store.upsert([post(n) for n in range(1, 4)])
    before = len(es.requests)
    assert len(store.search(Query(limit=200_000))) == 3
    assert [r.path for r in es.requests[before:]] == ["/monitor-posts/_search"]


def test_writes_made_between_pages_neither_repeat_nor_skip_a_post(es: ElasticsearchDouble,
                                                                  store: ElasticsearchStore) -> None:
    posts = [post(n, minutes_ago=10 * n) for n in range(1, 13)]
    store.upsert(posts)

    def someone_writes() -> None:  # the oldest post edited to be the newest, the newest to be the oldest, one new
        moved = {"vk:-210001:12": NOW, "vk:-210001:1": NOW - timedelta(days=1)}
        index = "monitor-posts-v1-2026.11"
        current = es.docs(index)
        es.load(index, [(pid, {**current[pid], "created_at": when.isoformat()}) for pid, when in moved.items()])
        es.load(index, [(p.id, p.to_dict()) for p in [post(99, minutes_ago=-5)]])

    es.before("POST", "/_search", someone_writes, after=1)  # after the first page of the point in time
    found = store.search(Query(limit=100))
    assert [p.id for p in found] == newest_first(posts)  # as the store was when the read began


def test_the_point_in_time_is_closed_when_a_page_fails(es: ElasticsearchDouble, store: ElasticsearchStore) -> None:
    store.upsert([post(n) for n in range(1, 11)])
    es.fail("POST", "/_search", 503, after=1)
    with pytest.raises(StoreUnavailable, match="503"):
        store.search(Query(limit=100))
    assert len(es.sent("DELETE", "/_pit")) == 1 and es.points_in_time == []


def test_a_point_in_time_gone_mid_read_fails_the_read_instead_of_cutting_it_short(
        es: ElasticsearchDouble, store: ElasticsearchStore) -> None:
    store.upsert([post(n) for n in range(1, 11)])
    es.before("POST", "/_search", es.pits.clear, after=1)  # expired: keep_alive passed between two pages
    with pytest.raises(StoreUnavailable, match="404 search_phase_execution_exception"):
        store.search(Query(limit=100))


def test_incidents_past_the_result_window_come_nearest_deadline_first(es: ElasticsearchDouble,
                                                                      store: ElasticsearchStore) -> None:
    incidents = [incident(n, None if n % 4 == 0 else 100 - n % 5) for n in range(1, 12)]
    store.upsert_incidents(incidents)
    found = [i.id for i in store.find_incidents(IncidentQuery(limit=100_000))]
    dated = sorted((i for i in incidents if i.deadline), key=lambda i: (i.deadline, -i.opened_at.timestamp()))
    undated = sorted((i for i in incidents if not i.deadline), key=lambda i: -i.opened_at.timestamp())
    assert found == [i.id for i in dated + undated]
    assert [i.id for i in store.find_incidents(IncidentQuery(limit=6))] == found[:6]
    assert es.points_in_time == []


def test_comment_counts_of_more_posts_than_a_page(es: ElasticsearchDouble, store: ElasticsearchStore) -> None:
    es.max_buckets = PAGE
    posts = [post(n, minutes_ago=n) for n in range(1, 11)]
    comments = [post(100 + n, comment_on=n % 7 + 1) for n in range(20)]
    store.upsert(posts + comments)
    counts = store.comment_counts("vk_podslushano", NOW - timedelta(hours=1))
    expected = {p.id: sum(1 for c in comments if c.thread_root == p.id) for p in posts}
    assert counts == expected and es.points_in_time == []


# -- buckets under search.max_buckets ----------------------------------------------------------

def test_count_buckets_pages_a_composite_aggregation_under_the_bucket_limit(es: ElasticsearchDouble,
                                                                           store: ElasticsearchStore) -> None:
    es.max_buckets = PAGE
    sectors, districts = ["housing", "roads", None], ["Заречный", "Северный", None]
    posts = [post(n, minutes_ago=50 * n, sector=sectors[n % 3], district=districts[n // 3 % 3]) for n in range(18)]
    store.upsert(posts)
    rows = store.count_buckets(NOW - timedelta(days=1), NOW + timedelta(hours=1), timedelta(hours=1))
    expected: dict[tuple[object, ...], int] = {}
    for p in posts:
        start = p.created_at.replace(minute=0, second=0, microsecond=0)  # type: ignore[union-attr]
        key = (p.sector, "Приреченск", p.territory.district, start)  # type: ignore[union-attr]
        expected[key] = expected.get(key, 0) + 1
    assert {(*r.key, r.start): r.count for r in rows} == expected and len(rows) > PAGE
    bodies = [r.json() for r in es.sent("POST", "/monitor-posts/_search")]
    composites = [b["aggs"]["page"]["composite"] for b in bodies if "aggs" in b]
    assert all(c["size"] == PAGE for c in composites) and "after" in composites[-1]
    assert composites[0]["sources"][1] == {"k0": {"terms": {"field": "sector", "missing_bucket": True}}}


# -- bulk requests under http.max_content_length ----------------------------------------------

def test_bulk_requests_stay_under_the_chunk_byte_limit(es: ElasticsearchDouble) -> None:
    store = ElasticsearchStore.from_url(es.url, {**FAST, "INDEXER_ES_MAX_CHUNK_BYTES": 4000})
    result = store.upsert([post(n, text="Нет воды " * 40) for n in range(1, 31)])
    assert result.new == 30
    bulks = es.sent("PUT", "/_bulk")
    assert len(bulks) > 3 and all(len(r.body) <= 4000 for r in bulks)


def test_a_post_too_large_for_any_request_is_refused_for_good_without_being_sent(
        es: ElasticsearchDouble, caplog: pytest.LogCaptureFixture) -> None:
    store = ElasticsearchStore.from_url(es.url, {**FAST, "INDEXER_ES_MAX_CHUNK_BYTES": 4000})
    huge = post(2, text="Нет воды " * 1000)
    with caplog.at_level(logging.ERROR):
        result = store.upsert([post(1), huge, post(3)])
    assert (result.new, result.transient) == (2, [])
    assert [(p.id, reason) for p, reason in result.rejected] == [(huge.id, "document_too_large")]
    assert "INDEXER_ES_MAX_CHUNK_BYTES=4000" in caplog.text
    assert all(b"vk:-210001:2" not in r.body for r in es.sent("PUT", "/_bulk"))


def test_a_cluster_with_a_lower_body_limit_gets_the_documents_one_by_one(
        es: ElasticsearchDouble, store: ElasticsearchStore, caplog: pytest.LogCaptureFixture) -> None:
    es.max_content_length = 3000  # lower than INDEXER_ES_MAX_CHUNK_BYTES: the cluster answers 413
    huge = post(99, text="Нет воды " * 300)
    with caplog.at_level(logging.WARNING):
        result = store.upsert([post(n) for n in range(1, 21)] + [huge])
    assert result.new == 20 and result.transient == []
    assert [(p.id, reason) for p, reason in result.rejected] == [(huge.id, "request_entity_too_large")]
    assert "http.max_content_length" in caplog.text
    assert sorted(es.docs("monitor-posts")) == sorted(f"vk:-210001:{n}" for n in range(1, 21))


def test_an_incident_too_large_for_any_request_fails_the_write_naming_it(es: ElasticsearchDouble) -> None:
    store = ElasticsearchStore.from_url(es.url, {**FAST, "INDEXER_ES_MAX_CHUNK_BYTES": 4000})
    large = incident(2, 24)
    large.post_ids = [f"vk:-210001:{n}" for n in range(400)]
    with pytest.raises(StoreUnavailable, match="1 incidents refused, first inc-2 .*document_too_large"):
        store.upsert_incidents([incident(1, 24), large, incident(3, 24)])
    assert sorted(es.docs("monitor-incidents")) == ["inc-1", "inc-3"]


def test_bulk_bodies_are_the_documents_json(es: ElasticsearchDouble, store: ElasticsearchStore) -> None:
    one = post(1)
    store.upsert([one])
    lines = [json.loads(line) for line in es.sent("PUT", "/_bulk")[0].body.splitlines()]
    action, source = lines
    assert action == {"index": {"_index": "monitor-posts-v3-2026.11", "_id": one.id}}
    assert source.pop("changed_at") and source == one.to_dict()
