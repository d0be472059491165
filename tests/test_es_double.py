"""The Elasticsearch double against Elasticsearch's own REST API test cases.

Each test plays the case of the YAML suite named in its docstring (``rest-api-spec/src/
yamlRestTest/resources/rest-api-spec/test/`` in elastic/elasticsearch) through the official
client: the same documents, requests and expected answers, so the double keeps the limits and
semantics the store relies on.
"""

from __future__ import annotations

import time
from typing import Any, Iterator

import pytest
from elasticsearch import ApiError, BadRequestError, ConflictError, Elasticsearch, NotFoundError

from tests.support.es_double import ElasticsearchDouble


@pytest.fixture
def double() -> Iterator[ElasticsearchDouble]:
    with ElasticsearchDouble() as es:
        yield es  # type: ignore[misc]


@pytest.fixture
def es(double: ElasticsearchDouble) -> Iterator[Elasticsearch]:
    client = Elasticsearch(double.url)
    yield client
    client.close()


def reason(exc: pytest.ExceptionInfo[ApiError]) -> str:
    return str(exc.value.body["error"]["root_cause"][0]["reason"])


def ids(found: Any) -> list[str]:
    return [hit["_id"] for hit in found["hits"]["hits"]]


def ages(es: Elasticsearch, index: str = "test") -> None:
    """The documents of search/90_search_after and search/350_point_in_time."""
    for doc_id, age in (("1", 18), ("42", 18), ("172", 24)):
        es.index(index=index, id=doc_id, document={"id": int(doc_id), "foo": "bar", "age": age})
    es.indices.refresh(index=index)


BY_AGE = [{"age": "desc"}, {"id": "desc"}]


# -- search/30_limits ---------------------------------------------------------------------------

def test_a_result_window_past_ten_thousand_is_refused(es: Elasticsearch) -> None:
    """search/30_limits: "Request window limits without scroll", "Request with negative from value"."""
    es.index(index="test_1", id="1", document={"foo": "bar"}, refresh=True)
    with pytest.raises(BadRequestError) as window:
        es.search(index="test_1", from_=10_000)
    assert reason(window).startswith("Result window is too large, from + size must be less than or equal to: "
                                     "[10000] but was [10010].")
    with pytest.raises(BadRequestError) as negative:
        es.search(index="test_1", from_=-2)
    assert "[from] parameter cannot be negative" in reason(negative)
    assert ids(es.search(index="test_1", from_=9_990, size=10)) == []


# -- search/90_search_after -----------------------------------------------------------------------

def test_search_after_pages_on_the_sort_values(es: Elasticsearch) -> None:
    """search/90_search_after: "search with search_after parameter"."""
    ages(es)
    pages, after = [], None
    while True:
        found = es.search(index="test", size=1, query={"match": {"foo": "bar"}}, sort=BY_AGE, search_after=after)
        if not found["hits"]["hits"]:
            break
        assert found["hits"]["total"]["value"] == 3
        hit = found["hits"]["hits"][0]
        pages.append((hit["_id"], hit["sort"]))
        after = hit["sort"]
    assert pages == [("172", [24, 172]), ("42", [18, 42]), ("1", [18, 1])]


def test_dates_sort_as_epoch_millis_and_search_after_takes_them_formatted(es: Elasticsearch) -> None:
    """search/90_search_after: "date"."""
    es.indices.create(index="test", mappings={"properties": {"timestamp": {"type": "date"}}})
    es.bulk(index="test", refresh=True, operations=[{"index": {}}, {"timestamp": "2019-10-21T00:30:04.828Z"},
                                                    {"index": {}}, {"timestamp": "2019-10-21T08:30:04.828Z"}])
    first = es.search(index="test", size=1, sort=[{"timestamp": "desc"}])["hits"]["hits"][0]
    assert first["sort"] == [1571646604828]
    for after in ([1571646604828], ["2019-10-21T08:30:04.828Z"]):
        second = es.search(index="test", size=1, sort=[{"timestamp": "desc"}], search_after=after)["hits"]["hits"]
        assert second[0]["sort"] == [1571617804828]


def test_shard_doc_is_refused_without_a_point_in_time(es: Elasticsearch) -> None:
    """search/90_search_after: "_shard_doc sort"."""
    es.index(index="test", id="1", document={"id": 1, "foo": "bar", "age": 18}, refresh=True)
    with pytest.raises(BadRequestError) as refused:
        es.search(index="test", size=1, sort=["_shard_doc"], search_after=[0])
    assert "[_shard_doc] sort field cannot be used without [point in time]" in reason(refused)


# -- search/350_point_in_time --------------------------------------------------------------------

def test_a_point_in_time_keeps_the_view_it_opened_with(es: Elasticsearch) -> None:
    """search/350_point_in_time: "basic": a document indexed and refreshed after the point in time
    opened is not seen by it; searches name no index."""
    ages(es)
    es.index(index="test2", id="45", document={"id": 45, "foo": "bar", "age": 19}, refresh=True)
    pit = es.open_point_in_time(index="test", keep_alive="5m")["id"]
    pit_body = {"id": pit, "keep_alive": "1m"}
    first = es.search(size=1, query={"match": {"foo": "bar"}}, sort=BY_AGE, pit=pit_body)
    assert (first["hits"]["total"]["value"], ids(first), first["pit_id"]) == (3, ["172"], pit)
    assert first["hits"]["hits"][0]["sort"][:2] == [24, 172]
    es.index(index="test", id="100", document={"id": 100, "foo": "bar", "age": 23}, refresh=True)
    seen = []
    for after in ([24, 172], [18, 42], [18, 1]):
        found = es.search(size=1, query={"match": {"foo": "bar"}}, sort=BY_AGE, search_after=after, pit={"id": pit})
        assert found["hits"]["total"]["value"] == 3
        seen += ids(found)
    assert seen == ["42", "1"]
    assert ids(es.search(index="test", size=10, sort=BY_AGE)) == ["172", "100", "42", "1"]  # without it: new doc
    assert es.close_point_in_time(id=pit).body == {"succeeded": True, "num_freed": 1}


def test_a_point_in_time_over_a_pattern_sees_every_index(es: Elasticsearch) -> None:
    """search/350_point_in_time: "wildcard"."""
    ages(es)
    es.index(index="test2", id="45", document={"id": 45, "foo": "bar", "age": 19}, refresh=True)
    pit = es.open_point_in_time(index="t*", keep_alive="5m")["id"]
    found = es.search(size=2, query={"match": {"foo": "bar"}}, sort=BY_AGE, pit={"id": pit, "keep_alive": "1m"})
    assert found["hits"]["total"]["value"] == 4
    assert [(h["_index"], h["_id"]) for h in found["hits"]["hits"]] == [("test", "172"), ("test2", "45")]
    es.close_point_in_time(id=pit)


def test_the_implicit_shard_doc_tiebreaker_pages_through_ties(es: Elasticsearch) -> None:
    """A point in time with a sort adds ``_shard_doc`` (its value in each hit's sort), which pages
    through documents whose sort values tie."""
    es.bulk(index="test", refresh=True, operations=[x for n in range(7) for x in ({"index": {"_id": str(n)}},
                                                                                   {"age": 18})])
    pit = es.open_point_in_time(index="test", keep_alive="1m")["id"]
    seen, after = [], None
    while True:
        found = es.search(size=3, sort=[{"age": "asc"}], search_after=after, pit={"id": pit})["hits"]["hits"]
        if not found:
            break
        assert all(len(hit["sort"]) == 2 for hit in found)
        seen += [hit["_id"] for hit in found]
        after = found[-1]["sort"]
    assert sorted(seen) == [str(n) for n in range(7)] and len(seen) == 7
    es.close_point_in_time(id=pit)


def test_an_unknown_or_closed_point_in_time_is_not_found(es: Elasticsearch, double: ElasticsearchDouble) -> None:
    ages(es)
    pit = es.open_point_in_time(index="test", keep_alive="1m")["id"]
    with pytest.raises(BadRequestError) as with_index:
        es.search(index="test", pit={"id": pit})
    assert "[indices] cannot be used with point in time" in reason(with_index)
    assert es.close_point_in_time(id=pit)["num_freed"] == 1
    with pytest.raises(NotFoundError) as closed:
        es.search(pit={"id": pit}, sort=BY_AGE)
    assert closed.value.body["error"]["root_cause"][0]["type"] == "search_context_missing_exception"
    with pytest.raises(NotFoundError) as again:
        es.close_point_in_time(id=pit)
    assert again.value.body == {"succeeded": True, "num_freed": 0}
    with pytest.raises(BadRequestError, match="keep_alive"):
        es.perform_request("POST", "/test/_pit", headers={"accept": "application/json"})
    assert double.points_in_time == []


def test_a_point_in_time_expires_after_its_keep_alive(es: Elasticsearch, double: ElasticsearchDouble) -> None:
    ages(es)
    pit = es.open_point_in_time(index="test", keep_alive="1ms")["id"]
    time.sleep(0.01)
    assert double.points_in_time == []
    with pytest.raises(NotFoundError):
        es.search(pit={"id": pit})


# -- search.aggregation/230_composite and 240_max_buckets ---------------------------------------

@pytest.fixture
def composite_docs(es: Elasticsearch) -> Elasticsearch:
    """The documents of search.aggregation/230_composite's setup (those of index ``test``)."""
    es.indices.create(index="test", mappings={"properties": {
        "date": {"type": "date"}, "keyword": {"type": "keyword"}, "long": {"type": "long"}}})
    for doc_id, doc in enumerate([{"keyword": "foo", "long": [10, 20]}, {"keyword": ["foo", "bar"]},
                                  {"keyword": "bar", "long": [100, 0]}, {"keyword": "bar", "long": [1000, 0]},
                                  {"date": "2017-10-20T03:08:45"}, {"date": "2017-10-21T07:00:00"}], start=1):
        es.index(index="test", id=str(doc_id), document=doc)
    es.indices.refresh(index="test")
    return es


def composite(es: Elasticsearch, **spec: Any) -> dict[str, Any]:
    found = es.search(index="test", size=0, aggs={"test": {"composite": spec}})
    return dict(found["aggregations"]["test"])


def keys(agg: dict[str, Any]) -> list[tuple[Any, int]]:
    return [(tuple(b["key"].values()), b["doc_count"]) for b in agg["buckets"]]


KW = {"kw": {"terms": {"field": "keyword"}}}
LONG_KW = [{"long": {"terms": {"field": "long"}}}, KW]


def test_composite_buckets_come_in_key_order_with_an_after_key(composite_docs: Elasticsearch) -> None:
    """230_composite: "Simple Composite aggregation", "Nested Composite aggregation",
    "Composite aggregation with after_key in the response"."""
    simple = composite(composite_docs, sources=[KW])
    assert keys(simple) == [(("bar",), 3), (("foo",), 2)] and simple["after_key"] == {"kw": "foo"}
    nested = composite(composite_docs, sources=LONG_KW)
    assert keys(nested) == [((0, "bar"), 2), ((10, "foo"), 1), ((20, "foo"), 1), ((100, "bar"), 1),
                            ((1000, "bar"), 1)]


def test_composite_after_starts_past_a_key_present_or_not(composite_docs: Elasticsearch) -> None:
    """230_composite: "Aggregate After", "Aggregate After Missing"."""
    after = composite(composite_docs, sources=LONG_KW, after={"long": 20, "kw": "foo"})
    assert keys(after) == [((100, "bar"), 1), ((1000, "bar"), 1)]
    assert keys(composite(composite_docs, sources=[KW], after={"kw": "delta"})) == [(("foo",), 2)]


def test_composite_pages_end_with_no_buckets_and_no_after_key(composite_docs: Elasticsearch) -> None:
    pages, after = [], None
    while True:
        page = composite(composite_docs, sources=LONG_KW, size=2, **({"after": after} if after else {}))
        if not page["buckets"]:
            assert "after_key" not in page
            break
        pages.append(keys(page))
        after = page["after_key"]
    assert [len(p) for p in pages] == [2, 2, 1]


def test_composite_missing_bucket_puts_documents_without_a_value_first(composite_docs: Elasticsearch) -> None:
    """Documents without the field are left out, or with ``missing_bucket`` get a null key, first in
    ascending order (``missing_order`` default) and usable as ``after``."""
    assert sum(n for _, n in keys(composite(composite_docs, sources=[KW]))) == 5  # "foo" and "bar" share doc 2
    missing = composite(composite_docs, sources=[{"kw": {"terms": {"field": "keyword", "missing_bucket": True}}}])
    assert keys(missing) == [((None,), 2), (("bar",), 3), (("foo",), 2)]
    after_null = composite(composite_docs, sources=[{"kw": {"terms": {"field": "keyword", "missing_bucket": True}}}],
                           after={"kw": None})
    assert keys(after_null) == [(("bar",), 3), (("foo",), 2)]


def test_a_composite_date_histogram_keys_buckets_by_epoch_millis(composite_docs: Elasticsearch) -> None:
    """230_composite: "Composite aggregation with format and calendar_interval" (keys unformatted)."""
    days = composite(composite_docs, sources=[{"date": {"date_histogram": {"field": "date",
                                                                           "calendar_interval": "1d"}}}])
    assert keys(days) == [((1508457600000,), 1), ((1508544000000,), 1)]
    after = composite(composite_docs, after={"date": 1508457600000},
                      sources=[{"date": {"date_histogram": {"field": "date", "fixed_interval": "86400s"}}}])
    assert keys(after) == [((1508544000000,), 1)]


def test_composite_refuses_what_elasticsearch_refuses(composite_docs: Elasticsearch) -> None:
    """230_composite: "Composite aggregation and array size", "Invalid Composite aggregation",
    "Missing source", "Duplicate sources"."""
    cases = [({"test": {"composite": {"size": 1_000_000_000, "sources": [KW]}}}, "Trying to create too many buckets"),
             ({"test": {"terms": {"field": "long"}, "aggs": {"invalid_child": {"composite": {"sources": [KW]}}}}},
              "[composite] aggregation cannot be used with a parent aggregation"),
             ({"test": {"composite": {"sources": []}}}, "Composite [sources] cannot be null or empty"),
             ({"test": {"composite": {"sources": [KW, KW]}}},
              "Composite source names must be unique, found duplicates: [kw]")]
    for aggs, message in cases:
        with pytest.raises(BadRequestError) as refused:
            composite_docs.search(index="test", size=0, aggs=aggs)
        assert message in reason(refused)


def test_more_buckets_than_search_max_buckets_is_refused(es: Elasticsearch, double: ElasticsearchDouble) -> None:
    """search.aggregation/240_max_buckets: "Max bucket" (the limit lowered to 3, then 6)."""
    es.indices.create(index="test", mappings={"properties": {"keyword": {"type": "keyword"},
                                                             "date": {"type": "date"}}})
    words = ["dgx", "dfs", "foobar", "foo", "bar", "baz", "qux", "quux"]
    for n, word in enumerate(words, start=1):
        es.index(index="test", id=str(n), document={"date": f"{2013 + n}-03-03T00:00:00", "keyword": word})
    es.indices.refresh(index="test")
    double.max_buckets = 3
    with pytest.raises(BadRequestError) as flat:
        es.search(index="test", aggs={"test": {"terms": {"field": "keyword"}}})
    assert flat.value.body["error"]["root_cause"][0]["type"] == "too_many_buckets_exception"
    assert "Trying to create too many buckets. Must be less than or equal to: [3]" in reason(flat)
    double.max_buckets = 6
    with pytest.raises(BadRequestError) as nested:
        es.search(index="test", aggs={"test": {"terms": {"field": "keyword"},
                                               "aggs": {"2": {"terms": {"field": "date"}}}}})
    assert nested.value.body["error"]["caused_by"]["max_buckets"] == 6
    assert len(composite(es, size=6, sources=[KW | {"kw": {"terms": {"field": "keyword"}}}])["buckets"]) == 6


# -- index/30_cas, bulk/80_cas, update/35_if_seq_no -------------------------------------------------

def test_compare_and_swap_on_sequence_numbers(es: Elasticsearch) -> None:
    """index/30_cas: "Compare And Swap Sequence Numbers"."""
    written = es.index(index="test_1", id="1", document={"foo": "bar"})
    assert (written["_version"], written["_seq_no"], written["_primary_term"]) == (1, 0, 1)
    got = es.get(index="test_1", id="1")
    assert (got["_seq_no"], got["_primary_term"]) == (0, 1)
    for seq_no, term in ((10_000, 1), (0, 1000)):
        with pytest.raises(ConflictError) as conflict:
            es.index(index="test_1", id="1", document={"foo": "bar2"}, if_seq_no=seq_no, if_primary_term=term)
        assert conflict.value.body["error"]["type"] == "version_conflict_engine_exception"
    assert es.index(index="test_1", id="1", document={"foo": "bar2"}, if_seq_no=0, if_primary_term=1)["_version"] == 2


def test_compare_and_swap_in_a_bulk_request(es: Elasticsearch) -> None:
    """bulk/80_cas: "Compare And Swap Sequence Numbers"."""
    written = es.index(index="test_1", id="1", document={"foo": "bar"})
    stale = es.bulk(operations=[{"index": {"_index": "test_1", "_id": "1", "if_seq_no": 10_000,
                                           "if_primary_term": written["_primary_term"]}}, {"foo": "bar2"}])
    item = stale["items"][0]["index"]
    assert stale["errors"] and (item["status"], item["error"]["type"]) == (409, "version_conflict_engine_exception")
    fresh = es.bulk(operations=[{"index": {"_index": "test_1", "_id": "1", "if_seq_no": written["_seq_no"],
                                           "if_primary_term": written["_primary_term"]}}, {"foo": "bar2"}])
    assert not fresh["errors"] and fresh["items"][0]["index"]["status"] == 200


def test_a_conditional_update(es: Elasticsearch) -> None:
    """update/35_if_seq_no: "Update with if_seq_no"."""
    with pytest.raises(NotFoundError):
        es.update(index="test_1", id="1", if_seq_no=1, if_primary_term=1, doc={"foo": "baz"})
    es.index(index="test_1", id="1", document={"foo": "baz"})
    with pytest.raises(ConflictError):
        es.update(index="test_1", id="1", if_seq_no=234, if_primary_term=1, doc={"foo": "baz"})
    es.update(index="test_1", id="1", if_seq_no=0, if_primary_term=1, doc={"foo": "bar"})
    assert es.get(index="test_1", id="1")["_source"] == {"foo": "bar"}
    stale = es.bulk(operations=[{"update": {"_index": "test_1", "_id": "1", "if_seq_no": 100, "if_primary_term": 200}},
                                {"doc": {"foo": "baz"}}])
    assert stale["errors"] and stale["items"][0]["update"]["status"] == 409


# -- update/10_doc, 16_noop, 22_doc_as_upsert; search/300_sequence_numbers ---------------------------

def test_a_partial_update_merges_objects(es: Elasticsearch) -> None:
    """update/10_doc: "Partial document"."""
    es.index(index="test_1", id="1", document={"foo": "bar", "count": 1, "nested": {"one": 1, "two": 2}})
    updated = es.update(index="test_1", id="1", doc={"foo": "baz", "nested": {"one": 3}})
    assert (updated["_index"], updated["_id"], updated["_version"]) == ("test_1", "1", 2)
    assert es.get(index="test_1", id="1")["_source"] == {"foo": "baz", "count": 1, "nested": {"one": 3, "two": 2}}


def test_an_update_that_changes_nothing_is_a_noop(es: Elasticsearch) -> None:
    """update/16_noop: "Noop"."""
    es.index(index="test_1", id="1", document={"foo": "bar"})
    noop = es.update(index="test_1", id="1", doc={"foo": "bar"})
    assert (noop["result"], noop["_seq_no"], noop["_version"]) == ("noop", 0, 1)
    forced = es.update(index="test_1", id="1", doc={"foo": "bar"}, detect_noop=False)
    assert (forced["result"], forced["_seq_no"], forced["_version"]) == ("updated", 1, 2)


def test_doc_as_upsert_creates_then_merges(es: Elasticsearch) -> None:
    """update/22_doc_as_upsert: "Doc as upsert"; and bulk ``update`` actions the same way."""
    es.update(index="test_1", id="1", doc={"foo": "bar", "count": 1}, doc_as_upsert=True)
    assert es.get(index="test_1", id="1")["_source"] == {"foo": "bar", "count": 1}
    es.update(index="test_1", id="1", doc={"count": 2}, doc_as_upsert=True)
    assert es.get(index="test_1", id="1")["_source"] == {"foo": "bar", "count": 2}
    done = es.bulk(operations=[{"update": {"_index": "test_1", "_id": "2"}}, {"doc": {"a": 1}, "doc_as_upsert": True},
                               {"update": {"_index": "test_1", "_id": "1"}}, {"doc": {"count": 3}},
                               {"update": {"_index": "test_1", "_id": "3"}}, {"doc": {"a": 1}}])
    assert [i["update"]["status"] for i in done["items"]] == [201, 200, 404]
    assert done["items"][2]["update"]["error"]["type"] == "document_missing_exception"


def test_searches_return_sequence_numbers_when_asked(es: Elasticsearch) -> None:
    """search/300_sequence_numbers."""
    es.index(index="test_1", id="1", document={"foo": "foo"})
    es.index(index="test_1", id="1", document={"foo": "bar"})
    es.indices.refresh(index="test_1")
    hit = es.search(index="_all", query={"match": {"foo": "bar"}}, seq_no_primary_term=True)["hits"]["hits"][0]
    assert (hit["_seq_no"], hit["_primary_term"]) == (1, 1)
    plain = es.search(index="_all", query={"match": {"foo": "bar"}})["hits"]["hits"][0]
    assert "_seq_no" not in plain and "_primary_term" not in plain


# -- index/60_refresh, update/60_refresh ----------------------------------------------------------

def test_writes_become_searchable_on_refresh_and_gets_are_real_time() -> None:
    """index/60_refresh and update/60_refresh: "Refresh", "refresh=wait_for waits until changes are
    visible in search" (the double near-real-time, like an index with refresh_interval -1)."""
    with ElasticsearchDouble(near_real_time=True) as double:
        es = Elasticsearch(double.url)
        es.index(index="test_1", id="1", document={"foo": "bar"})
        assert ids(es.search(index="test_1", query={"ids": {"values": ["1"]}})) == []
        assert es.get(index="test_1", id="1")["found"]
        forced = es.index(index="test_1", id="2", document={"foo": "bar"}, refresh=True)
        assert forced["forced_refresh"] is True
        assert ids(es.search(index="test_1", query={"ids": {"values": ["2"]}})) == ["2"]
        es.update(index="test_1", id="2", doc={"cat": "dog"})
        assert ids(es.search(index="test_1", query={"term": {"cat": "dog"}})) == []  # the old version still
        waited = es.update(index="test_1", id="2", doc={"test": "asdf"}, refresh="wait_for")
        assert "forced_refresh" not in waited
        assert ids(es.search(index="test_1", query={"term": {"cat": "dog"}})) == ["2"]
        es.close()


# -- http.max_content_length, track_total_hits, index.max_terms_count ------------------------------

def test_a_body_over_http_max_content_length_is_413(es: Elasticsearch, double: ElasticsearchDouble) -> None:
    double.max_content_length = 1000
    with pytest.raises(ApiError) as refused:
        es.bulk(operations=[x for n in range(50) for x in ({"index": {"_index": "test", "_id": str(n)}}, {"n": n})])
    assert refused.value.status_code == 413 and double.docs("test*") == {}
    assert es.index(index="test", id="1", document={"n": 1})["result"] == "created"


def test_total_hits_are_exact_up_to_ten_thousand(es: Elasticsearch, double: ElasticsearchDouble) -> None:
    es.indices.create(index="test")
    double.load("test", ((str(n), {"n": n}) for n in range(10_001)))
    assert es.search(index="test", size=0)["hits"]["total"] == {"value": 10_000, "relation": "gte"}
    assert es.search(index="test", size=0, track_total_hits=True)["hits"]["total"]["value"] == 10_001
    assert "total" not in es.search(index="test", size=0, track_total_hits=False)["hits"]


def test_a_terms_query_takes_at_most_max_terms_count_values(es: Elasticsearch) -> None:
    es.index(index="test", id="1", document={"k": "a"}, refresh=True)
    assert ids(es.search(index="test", query={"terms": {"k": ["a"] * 65_536}})) == ["1"]
    with pytest.raises(BadRequestError) as refused:
        es.search(index="test", query={"terms": {"k": ["a"] * 65_537}})
    assert "exceeded the allowed maximum of [65536]" in reason(refused)
