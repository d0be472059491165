"""The Elasticsearch store and `monitor setup`, through the official client, against the local double.

What is asserted is what went over the wire (templates, bulk bodies, queries) and what the store
did with the answers (retried, refused, spooled, replayed, counted).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest

from indexer.elastic.layout import Layout, install
from indexer.elastic.store import ElasticsearchStore
from indexer.exceptions import StoreUnavailable
from indexer.schema import Post
from indexer.spool import Spool
from indexer.store import Query
from tests.support.es_double import ElasticsearchDouble
from tests.support.kibana_double import KibanaDouble

ROOT = Path(__file__).resolve().parent.parent
FAST = {"INDEXER_ES_INITIAL_BACKOFF": 0.01, "INDEXER_ES_MAX_BACKOFF": 0.05}


@pytest.fixture
def es() -> Iterator[ElasticsearchDouble]:
    with ElasticsearchDouble() as double:
        yield double  # type: ignore[misc]


@pytest.fixture
def store(es: ElasticsearchDouble) -> Iterator[ElasticsearchStore]:
    opened = ElasticsearchStore.from_url(es.url, FAST)
    yield opened
    opened.close()


def post(number: int, text: str = "Третий день нет воды", month: int = 11) -> Post:
    return Post(id=f"vk:-210001:{number}", platform="vk", source_id="vk_podslushano", kind="post",
                text=text, created_at=datetime(2026, month, 20, 12, tzinfo=timezone.utc))


def bulk_lines(es: ElasticsearchDouble) -> list[dict]:
    return [json.loads(line) for r in es.sent("PUT|POST", r"/_bulk") for line in r.body.splitlines() if line]


# -- what is sent -----------------------------------------------------------------------------

def test_setup_installs_russian_analysis_retention_and_aliases(es: ElasticsearchDouble) -> None:
    report = install(ElasticsearchStore.from_url(es.url, {}).client, Layout(retention_days=90))
    analysis = es.component_templates["monitor-analysis"]["template"]["settings"]["analysis"]
    assert analysis["analyzer"]["ru_text"]["filter"] == ["lowercase", "russian_stop", "russian_keywords",
                                                         "russian_stemmer"]
    assert analysis["char_filter"]["yo_to_ye"]["mappings"] == ["ё => е", "Ё => Е"]
    posts = es.templates["monitor-posts-v3"]
    assert posts["index_patterns"] == ["monitor-posts-v3-*"]
    assert posts["template"]["aliases"] == {"monitor-posts": {}}
    assert posts["template"]["settings"]["index.lifecycle.name"] == "monitor-posts"
    properties = posts["template"]["mappings"]["properties"]
    assert properties["text"]["fields"]["keyword"]["type"] == "keyword"
    assert properties["created_at"]["type"] == "date"
    territory = es.component_templates["monitor-territory"]["template"]["mappings"]["properties"]["territory"]
    assert territory["properties"]["geo"]["type"] == "geo_point"
    assert es.ilm_policies["monitor-posts"]["policy"]["phases"]["delete"]["min_age"] == "90d"
    assert "index.lifecycle.name" not in json.dumps(es.templates["monitor-incidents-v3"])  # incidents kept
    assert sorted(report.created) == ["monitor-erasures-v3", "monitor-incidents-v3", "monitor-sources-v3",
                                      "monitor-state-v3"]


def test_setup_twice_changes_nothing(es: ElasticsearchDouble) -> None:
    client = ElasticsearchStore.from_url(es.url, {}).client
    install(client, Layout())
    templates, indices = json.dumps(es.templates, sort_keys=True), sorted(es.indices)
    again = install(client, Layout())
    assert (again.created, again.migrated) == ([], [])
    assert json.dumps(es.templates, sort_keys=True) == templates and sorted(es.indices) == indices


def test_posts_go_to_monthly_indices_by_id_with_index_operations(es: ElasticsearchDouble,
                                                                 store: ElasticsearchStore) -> None:
    store.upsert([post(1, month=10), post(2, month=11)])
    actions = bulk_lines(es)[0::2]
    assert actions == [{"index": {"_index": "monitor-posts-v3-2026.10", "_id": "vk:-210001:1"}},
                       {"index": {"_index": "monitor-posts-v3-2026.11", "_id": "vk:-210001:2"}}]
    assert es.indices["monitor-posts-v3-2026.10"].aliases == {"monitor-posts"}


def test_an_update_goes_to_the_index_the_item_lives_in(es: ElasticsearchDouble,
                                                      store: ElasticsearchStore) -> None:
    store.upsert([post(1)])
    moved = post(1, text="Воду дали")
    moved.created_at = None  # say the platform stopped showing the date: its month is unknown now
    result = store.upsert([moved])
    assert (result.new, result.updated) == (0, 1)
    assert list(es.docs("monitor-posts")) == ["vk:-210001:1"]
    assert es.docs("monitor-posts-v3-2026.11")["vk:-210001:1"]["text"] == "Воду дали"


def test_search_sends_a_russian_match_with_filters(es: ElasticsearchDouble, store: ElasticsearchStore) -> None:
    store.upsert([post(1, "Нет воды на Ленина"), post(2, "Гора мусора")])
    since = datetime(2026, 11, 1, tzinfo=timezone.utc)
    found = store.search(Query(text="вода", platform="vk", since=since))
    assert [p.id for p in found] == ["vk:-210001:1"]
    body = es.sent("POST", r"/monitor-posts/_search")[-1].json()
    assert body["query"]["bool"]["must"] == [{"multi_match": {"query": "вода", "fields": ["text", "title", "origin.text"],
                                                              "operator": "and"}}]
    assert {"term": {"platform": "vk"}} in body["query"]["bool"]["filter"]
    assert body["sort"] == [{"created_at": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]


def test_credentials_travel_in_headers_and_never_in_messages(es: ElasticsearchDouble) -> None:
    url = es.url.replace("http://", "http://writer:s3cret@")
    store = ElasticsearchStore.from_url(url, FAST)
    store.upsert([post(1)])
    assert es.requests[-1].headers["authorization"].startswith("Basic ")
    es.stop()
    with pytest.raises(StoreUnavailable) as refused:
        store.upsert([post(2)])
    assert "s3cret" not in str(refused.value) and "writer" not in str(refused.value)
    keyed = ElasticsearchStore.from_url(es.url, {"INDEXER_ES_API_KEY": "a2V5"})
    es.start()
    keyed.count(Query())
    assert es.requests[-1].headers["authorization"] == "ApiKey a2V5"


# -- what the store does with the answers ------------------------------------------------------

def test_a_rejected_item_is_reported_with_its_reason_and_the_rest_is_stored(
        es: ElasticsearchDouble, store: ElasticsearchStore, caplog: pytest.LogCaptureFixture) -> None:
    es.fail_items(lambda doc_id, source: doc_id == "vk:-210001:2", 400, times=5)
    with caplog.at_level(logging.ERROR):
        result = store.upsert([post(1), post(2), post(3)])
    assert (result.new, result.transient) == (2, [])
    assert [(p.id, reason) for p, reason in result.rejected] == [("vk:-210001:2", "document_parsing_exception")]
    assert "vk:-210001:2" in caplog.text
    assert store.failures == {"document_parsing_exception": 1}


def test_item_429s_are_retried_with_backoff_until_stored(es: ElasticsearchDouble,
                                                        store: ElasticsearchStore) -> None:
    es.fail_items(lambda doc_id, source: True, 429, times=2)
    result = store.upsert([post(1), post(2), post(3)])
    assert (result.new, result.transient, result.rejected) == (3, [], [])
    assert len(es.sent("PUT", r"/_bulk")) == 2  # the two refused items went again, alone
    assert [line["index"]["_id"] for line in bulk_lines(es)[6::2]] == ["vk:-210001:1", "vk:-210001:2"]


@pytest.mark.parametrize("status", [429, 503])
def test_a_whole_bulk_refused_is_sent_again(es: ElasticsearchDouble, store: ElasticsearchStore,
                                            status: int) -> None:
    es.fail("PUT", r"/_bulk", status, times=2)
    assert store.upsert([post(1)]).new == 1
    assert len(es.sent("PUT", r"/_bulk")) == 3  # refused twice, then taken


def test_items_still_refused_after_the_retries_come_back_as_transient(es: ElasticsearchDouble,
                                                                     store: ElasticsearchStore) -> None:
    es.fail_items(lambda doc_id, source: doc_id.endswith(":2"), 503, times=100)
    result = store.upsert([post(1), post(2)])
    assert result.new == 1 and [p.id for p in result.transient] == ["vk:-210001:2"]


def test_an_unreachable_cluster_raises_store_unavailable(es: ElasticsearchDouble,
                                                         store: ElasticsearchStore) -> None:
    es.stop()
    with pytest.raises(StoreUnavailable, match="Connection"):
        store.upsert([post(1)])
    with pytest.raises(StoreUnavailable):
        store.get_cursor("vk_podslushano")


def test_a_503_that_does_not_end_raises_store_unavailable(es: ElasticsearchDouble,
                                                         store: ElasticsearchStore) -> None:
    store.upsert([post(1)])
    es.fail("PUT", r"/_bulk", 503, times=100)
    with pytest.raises(StoreUnavailable, match="503"):
        store.upsert([post(2)])


def test_the_spool_replays_in_order_once_the_cluster_is_back(es: ElasticsearchDouble,
                                                            store: ElasticsearchStore, tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    spool.append([post(1, "Нет воды")])
    spool.append([post(1, "Воду дали"), post(2)])
    es.stop()
    assert spool.replay(store) == 0 and len(spool.files()) == 2
    es.start()
    assert spool.replay(store) == 3 and spool.files() == []
    assert es.docs("monitor-posts")["vk:-210001:1"]["text"] == "Воду дали"  # the later copy won


def test_reads_are_near_real_time_unless_writes_wait_for_refresh() -> None:
    with ElasticsearchDouble(near_real_time=True) as es:
        eventual = ElasticsearchStore.from_url(es.url, FAST)
        eventual.upsert([post(1)])
        assert eventual.count(Query()) == 0
        waiting = ElasticsearchStore.from_url(es.url, {**FAST, "INDEXER_ES_REFRESH": True})
        waiting.upsert([post(2)])
        assert waiting.count(Query()) == 2
        assert es.sent("PUT", r"/_bulk")[-1].query["refresh"] == "wait_for"


def test_a_mapping_version_bump_copies_indices_and_flips_aliases_without_deleting(
        es: ElasticsearchDouble) -> None:
    current = ElasticsearchStore.from_url(es.url, {})
    assert current.layout.version == 3
    current.upsert([post(1), post(2, month=10)])
    current.set_cursor("vk_podslushano", {"post_id": 2})
    client = current.client
    report = install(client, Layout(version=4))
    assert sorted(report.migrated) == [("monitor-erasures-v3", "monitor-erasures-v4"),
                                       ("monitor-incidents-v3", "monitor-incidents-v4"),
                                       ("monitor-posts-v3-2026.10", "monitor-posts-v4-2026.10"),
                                       ("monitor-posts-v3-2026.11", "monitor-posts-v4-2026.11"),
                                       ("monitor-sources-v3", "monitor-sources-v4"),
                                       ("monitor-state-v3", "monitor-state-v4")]
    assert "monitor-posts-v3-2026.11" in es.indices and not es.indices["monitor-posts-v3-2026.11"].aliases
    assert sorted(es.docs("monitor-posts")) == ["vk:-210001:1", "vk:-210001:2"]
    bumped = ElasticsearchStore(client, Layout(version=4))
    assert bumped.get_cursor("vk_podslushano") == {"post_id": 2}
    bumped.upsert([post(3)])
    assert "vk:-210001:3" in es.docs("monitor-posts-v4-2026.11")


# -- monitor setup -----------------------------------------------------------------------------

def run_monitor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})})


def test_monitor_setup_prepares_the_cluster_and_imports_kibana_objects(es: ElasticsearchDouble) -> None:
    with KibanaDouble() as kibana:
        for _ in range(2):  # safe at every deploy
            done = run_monitor("setup", "--store", es.url, "--watchlist", "watchlists/demo.yml",
                               env={"KIBANA_URL": kibana.url})
            assert done.returncode == 0, done.stdout + done.stderr
        assert "saved objects imported" in done.stdout
        imports = [r for r in kibana.requests if r.path == "/api/saved_objects/_import"]
        assert len(imports) == 2 and all(r.query["overwrite"] == "true" for r in imports)
        assert ("index-pattern", "monitor-posts") in kibana.objects
        assert ("dashboard", "monitor-overview") in kibana.objects
    sources = es.docs("monitor-sources")
    assert sources["vk_governor"]["kind"] == "governor"


def test_setup_again_keeps_each_sources_health_and_maps_it_on_an_index_made_before_it(
        es: ElasticsearchDouble, store: ElasticsearchStore) -> None:
    install(store.client, Layout())
    sources = Layout().index("sources")
    es.indices[sources].mappings["properties"].pop("health")  # made by a version without it
    store.set_source_health("vk_governor", {"state": "failing", "bad_crawls": 3})
    done = run_monitor("setup", "--store", es.url, "--watchlist", "watchlists/demo.yml", "--no-kibana")
    assert done.returncode == 0, done.stdout + done.stderr
    governor = es.docs("monitor-sources")["vk_governor"]
    assert governor["kind"] == "governor" and governor["health"] == {"state": "failing", "bad_crawls": 3}
    health = es.indices[sources].mappings["properties"]["health"]["properties"]
    assert health["state"]["type"] == "keyword" and health["last_good_at"]["type"] == "date"


def test_monitor_setup_says_what_failed_when_the_cluster_is_down(es: ElasticsearchDouble) -> None:
    es.stop()
    done = run_monitor("setup", "--store", es.url, "--wait", "1", "--no-kibana")
    assert done.returncode == 1
    assert "not reachable" in done.stdout and "Traceback" not in done.stderr


# -- a crawl through an outage -----------------------------------------------------------------

def test_a_crawl_through_a_cluster_outage_stores_every_item_and_empties_the_spool(
        es: ElasticsearchDouble, crawl, tmp_path: Path) -> None:
    es.outage(at_bulk=3, requests=12)  # the 3rd bulk and the next 11 requests get no answer
    result = crawl("vk_podslushano", "tg_chp", INDEXER_STORE_URL=es.url, INDEXER_BATCH_SIZE=40,
                   INDEXER_SPOOL_RETRY_SECONDS=0, **FAST)
    assert result.returncode == 0, result.output
    assert result.stat("indexer/spooled") > 0
    assert result.stat("indexer/spool_replayed") == result.stat("indexer/spooled")
    assert len(es.docs("monitor-posts")) == result.stat("item_scraped_count") > 500
    assert Spool(tmp_path / "spool").files() == []
    assert "spooled to" in result.output and "Traceback" not in result.output
