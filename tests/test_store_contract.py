"""The Store contract: every backend passes this module.

SQLite runs on a file; Elasticsearch runs through the official client against the local test
double and, with ``pytest -m live_es`` and ``ES_URL`` set, against a real cluster (its own index
prefix, removed afterwards). The last cases read a store larger than Elasticsearch's default limits
(10,000 hits a search, 65,536 buckets a response, 65,536 terms a query), loaded once per backend.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator, Sequence

import pytest

from indexer.elastic.store import ElasticsearchStore
from indexer.exceptions import VersionConflict
from indexer.schema import Attachment, Author, Incident, Metrics, Origin, Post, Territory, make_id
from indexer.sqlite.store import SqliteStore
from indexer.store import Holding, IncidentQuery, Query, Store
from tests.support.es_double import ElasticsearchDouble

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def sqlite_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return SqliteStore(tmp_path / "contract.db")


def elasticsearch_double_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    double = ElasticsearchDouble().start()
    request.addfinalizer(double.stop)
    return ElasticsearchStore.from_url(double.url, {})


def live_elasticsearch_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    url = os.environ.get("ES_URL")
    if not url:
        pytest.skip("ES_URL is not set: the live suite needs a real cluster (docs/DEPLOY.md)")
    prefix = f"monitor-test-{uuid.uuid4().hex[:8]}"
    options = live_options(INDEXER_ES_PREFIX=prefix, INDEXER_ES_REFRESH=True)
    request.addfinalizer(lambda: remove_live_prefix(url, prefix))
    return ElasticsearchStore.from_url(url, options)


def live_options(**extra: object) -> dict[str, object]:
    """Credentials for the live cluster: in ES_URL (user:password@), or ES_API_KEY, ES_CA_CERTS."""
    return {"INDEXER_ES_API_KEY": os.environ.get("ES_API_KEY"),
            "INDEXER_ES_CA_CERTS": os.environ.get("ES_CA_CERTS"), **extra}


def remove_live_prefix(url: str, prefix: str) -> None:
    from indexer.elastic.client import connect

    client = connect(url, live_options()).options(ignore_status=404)
    client.indices.delete(index=f"{prefix}-*", expand_wildcards="all")
    for name in client.indices.get_index_template(name=f"{prefix}-*")["index_templates"]:
        client.indices.delete_index_template(name=name["name"])
    for name in client.cluster.get_component_template(name=f"{prefix}-*")["component_templates"]:
        client.cluster.delete_component_template(name=name["name"])
    client.ilm.delete_lifecycle(name=f"{prefix}-posts")  # indices first: a policy in use can't go
    client.close()


@pytest.fixture(params=[sqlite_store, elasticsearch_double_store,
                        pytest.param(live_elasticsearch_store, marks=pytest.mark.live_es)],
                ids=["sqlite", "elasticsearch-double", "elasticsearch-live"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    factory: Callable[[pytest.FixtureRequest, Path], Store] = request.param
    opened = factory(request, tmp_path)
    yield opened
    opened.close()


def post(number: int, text: str, *, source: str = "vk_podslushano", platform: str = "vk",
         hours_ago: float = 1, likes: int = 0, comment: int | None = None) -> Post:
    owner = "-210001"
    return Post(id=make_id(platform, owner, number, comment), platform=platform, source_id=source,
                kind="comment" if comment else "post", text=text,
                created_at=NOW - timedelta(hours=hours_ago), author=Author("1", "Ирина"),
                parent_id=make_id(platform, owner, number) if comment else None,
                thread_root=make_id(platform, owner, number) if comment else None,
                metrics=Metrics(likes=likes, comments=3))


@pytest.mark.parametrize("query, found", [
    ("мусор", {1, 2, 3}),          # мусора, мусором, мусор
    ("мусором", {1, 2, 3}),
    ("вывоз мусора", {2}),
    ("Вода", {4}),                 # case and form: воды
    ("ёлка", {5}),                 # ё folded: елки
    ("лифт", set()),
])
def test_search_matches_russian_word_forms(store: Store, query: str, found: set[int]) -> None:
    store.upsert([post(1, "Во дворе гора мусора!"), post(2, "Когда будет вывоз мусора?"),
                  post(3, "Контейнеры завалены мусором"), post(4, "Третий день нет воды"),
                  post(5, "Поставили елки на площади")])
    hits = store.search(Query(text=query, limit=10))
    assert {int(p.id.split(":")[2]) for p in hits} == found


def test_upsert_updates_a_known_item_and_never_duplicates(store: Store) -> None:
    first = store.upsert([post(1, "Нет света", likes=1), post(2, "Яма")])
    again = store.upsert([post(1, "Нет света на Ленина", likes=9)])
    assert (first.new, first.updated, again.new, again.updated) == (2, 0, 0, 1)
    assert store.count(Query()) == 2
    stored = store.get("vk:-210001:1")
    assert stored is not None and stored.metrics.likes == 9 and stored.text == "Нет света на Ленина"
    assert store.count(Query(text="Ленина")) == 1 and store.count(Query(text="свет")) == 1


def test_a_recrawl_never_clears_what_the_detector_found(store: Store) -> None:
    store.upsert([post(1, "Яма на Ленина, 5, колесо пробил", likes=1)])
    found = {"complaint": 0.93, "is_complaint": True, "sector": "roads", "cluster_id": "c-1", "incident_id": "inc-1",
             "territory": Territory("Приреченск", None, "ул. Ленина", "5", "Приреченск, ул. Ленина, 5", None, "text").to_dict(),
             "fake_evidence": {"rumour": {"urgency": ["срочно"]}}}
    assert store.update_findings({"vk:-210001:1": found, "vk:-210001:404": {"sector": "roads"}}) == 1
    store.upsert([post(1, "Яма на Ленина, 5, колесо пробил", likes=40)])  # the same post, crawled again
    stored = store.get("vk:-210001:1")
    assert stored is not None and stored.metrics.likes == 40
    assert (stored.is_complaint, stored.sector, stored.cluster_id, stored.incident_id) == (True, "roads", "c-1", "inc-1")
    assert stored.territory is not None and stored.territory.street == "ул. Ленина"
    assert store.count_buckets(NOW - timedelta(days=1), NOW, timedelta(hours=1))[0].key == ("roads", "Приреченск", None)


def test_the_detector_writes_its_fields_only_and_each_whole(store: Store) -> None:
    store.upsert([post(1, "Нет воды", likes=3)])
    store.update_findings({"vk:-210001:1": {"fake_evidence": {"rumour": {"urgency": ["срочно"]}, "model": {"p": 0.9}}}})
    store.update_findings({"vk:-210001:1": {"fake_evidence": {"model": {"p": 0.1}}, "is_complaint": False}})
    stored = store.get("vk:-210001:1")
    assert stored is not None and stored.fake_evidence == {"model": {"p": 0.1}}  # no stale "rumour" left
    assert stored.is_complaint is False and stored.metrics.likes == 3 and stored.text == "Нет воды"
    with pytest.raises(ValueError, match="not the detector's fields"):
        store.update_findings({"vk:-210001:1": {"text": "переписано"}})


def test_a_post_counts_as_changed_when_new_or_its_text_changed_not_its_counters(store: Store) -> None:
    store.upsert([post(1, "Нет света"), post(2, "Яма")])
    time.sleep(0.05)
    later = datetime.now(timezone.utc)
    time.sleep(0.05)
    store.upsert([post(1, "Нет света", likes=12), post(2, "Яма на Победы")])  # a re-crawl: counters, an edit
    assert [p.id for p in store.search(Query(changed_since=later))] == ["vk:-210001:2"]
    assert store.count(Query(changed_since=later)) == 1
    assert [p.id for p in store.search(Query(changed_until=later))] == ["vk:-210001:1"]
    assert store.count(Query(changed_until=later)) == 1


def test_round_trip_keeps_every_field(store: Store) -> None:
    original = post(7, "Спасибо за ремонт!", comment=3)
    store.upsert([original])
    assert store.get(original.id) == original


def test_queries_narrow_by_platform_source_kind_and_time(store: Store) -> None:
    store.upsert([post(1, "a", hours_ago=1), post(2, "b", hours_ago=30), post(3, "c", comment=1),
                  post(4, "d", source="tg_chp", platform="telegram")])
    assert store.count(Query(platform="telegram")) == 1
    assert store.count(Query(source_id="vk_podslushano", kind="comment")) == 1
    assert store.count(Query(since=NOW - timedelta(hours=2))) == 3
    assert store.count(Query(until=NOW - timedelta(hours=2))) == 1
    newest_first = store.search(Query(source_id="vk_podslushano", kind="post"))
    assert [p.id for p in newest_first] == ["vk:-210001:1", "vk:-210001:2"]


def test_cursors_are_kept_per_source(store: Store) -> None:
    assert store.get_cursor("vk_podslushano") is None
    store.set_cursor("vk_podslushano", {"post_id": 120})
    store.set_cursor("vk_podslushano", {"post_id": 130})
    assert store.get_cursor("vk_podslushano") == {"post_id": 130}


def test_each_sources_health_is_kept_and_replaced_whole(store: Store) -> None:
    assert store.get_source_health("tg_news") is None and store.source_health() == {}
    store.set_source_health("tg_news", {"state": "ok", "bad_crawls": 0, "baseline": {"created_at": [20, 20]}})
    store.set_source_health("tg_news", {"state": "failing", "bad_crawls": 1, "reasons": ["http_404 ×1"]})
    store.set_source_health("tg_chp", {"state": "degraded", "bad_crawls": 2})
    assert store.get_source_health("tg_news") == {"state": "failing", "bad_crawls": 1, "reasons": ["http_404 ×1"]}
    assert set(store.source_health()) == {"tg_news", "tg_chp"}
    assert store.source_health(["tg_chp", "vk_admin"]) == {"tg_chp": {"state": "degraded", "bad_crawls": 2}}


def test_comment_counts_are_the_stored_comments_of_recent_posts(store: Store) -> None:
    store.upsert([post(1, "a", hours_ago=1), post(2, "b", hours_ago=100), post(3, "c", hours_ago=2),
                  post(1, "d", comment=5), post(1, "e", comment=6), post(2, "f", comment=1)])
    counts = store.comment_counts("vk_podslushano", NOW - timedelta(hours=24))
    assert counts == {"vk:-210001:1": 2, "vk:-210001:3": 0}


def test_to_dict_names_every_field_of_the_schema() -> None:
    data = post(1, "x", comment=2).to_dict()
    assert set(data) == {f.name for f in dataclasses.fields(Post)}
    assert Post.from_dict(data) == post(1, "x", comment=2)


def test_a_documents_json_is_the_same_as_its_dicts() -> None:
    import orjson

    from indexer.schema import Attachment

    bare = post(1, "x", comment=2)
    full = dataclasses.replace(bare, edited_at=NOW.replace(microsecond=5), crawled_at=NOW, language="ru",
                               attachments=[Attachment("photo", "https://example.org/1.jpg")], complaint=0.75,
                               is_complaint=True, sector="roads", fake=0.1, fake_evidence={"phrases": ["говорят"]})
    placed = dataclasses.replace(full, territory=Territory("Приреченск", None, "ул. Речная", "14", None,
                                                           (56.31, 44.02), "text"))
    for one in (bare, full, placed):
        assert orjson.dumps(one.to_document()) == orjson.dumps(one.to_dict())


def incident(number: int, *, sector: str = "housing", status: str = "new", deadline_hours: float | None = 24,
             district: str = "Заречный", queue: str = "routing") -> Incident:
    return Incident(id=f"inc-{number}", kind="complaint", queue=queue, status=status, sector=sector,
                    opened_at=NOW - timedelta(hours=number),
                    deadline=NOW + timedelta(hours=deadline_hours) if deadline_hours is not None else None,
                    territory=Territory("Приреченск", district, "ул. Речная", "14",
                                        "Приреченск, ул. Речная, 14", (56.31, 44.02), "text"),
                    body="МУП «Приреченскводоканал»", title="Нет воды на Речной",
                    post_ids=[f"vk:-210001:{number}", f"vk:-210001:{number}:1"], sources=["vk_podslushano"])


def test_incidents_round_trip_with_a_version(store: Store) -> None:
    store.upsert_incidents([incident(1)])
    stored = store.get_incident("inc-1")
    assert stored is not None and stored.version and dataclasses.replace(stored, version=None) == incident(1)
    assert store.get_incident("inc-404") is None
    assert [i.version for i in store.find_incidents(IncidentQuery())] == [stored.version]


def test_the_detectors_write_of_an_incident_never_undoes_a_staff_change(store: Store) -> None:
    store.upsert_incidents([incident(1)])
    read = store.get_incident("inc-1")
    assert read is not None
    read.status, read.assignee = "closed", "Петрова"
    store.update_incident(read)
    grown = incident(1)  # what the detector holds: status new, one more post
    grown.post_ids.append("vk:-210001:9")
    store.upsert_incidents([grown])
    stored = store.get_incident("inc-1")
    assert stored is not None and (stored.status, stored.assignee) == ("closed", "Петрова")
    assert stored.post_ids[-1] == "vk:-210001:9"
    assert store.find_incidents(IncidentQuery(status=("new", "assigned"))) == []


def test_posts_staff_moved_stay_moved_when_the_detector_writes_a_copy_read_before(store: Store) -> None:
    store.upsert_incidents([incident(1)])
    read = store.get_incident("inc-1")
    assert read is not None
    stale = dataclasses.replace(read, post_ids=[*read.post_ids, "vk:-210001:9"])  # the detector grows its copy
    read.excluded_posts, read.added_posts = ["vk:-210001:1:1"], ["vk:-210002:5"]  # staff: a split, a merge
    read.apply_moves()
    store.update_incident(read)
    assert store.get_incident("inc-1").post_ids == ["vk:-210001:1", "vk:-210002:5"]  # type: ignore[union-attr]
    assert [i.id for i in store.find_incidents(IncidentQuery(holding=Holding(post_ids=("vk:-210002:5",))))] == ["inc-1"]
    store.upsert_incidents([stale])
    stored = store.get_incident("inc-1")
    assert stored is not None and stored.post_ids == ["vk:-210001:1", "vk:-210001:9", "vk:-210002:5"]
    assert stored.to_dict()["posts_count"] == 3 and stored.excluded_posts == ["vk:-210001:1:1"]
    assert store.find_incidents(IncidentQuery(holding=Holding(post_ids=("vk:-210001:1:1",)))) == []


def test_a_staff_change_made_on_an_older_state_is_refused_not_lost(store: Store) -> None:
    store.upsert_incidents([incident(1)])
    first, second = store.get_incident("inc-1"), store.get_incident("inc-1")
    assert first is not None and second is not None
    first.status = "assigned"
    written = store.update_incident(first)
    assert written.version != first.version
    second.status = "closed"
    with pytest.raises(VersionConflict):
        store.update_incident(second)  # made on the state before "assigned"
    grown = incident(1)
    store.upsert_incidents([grown])  # the detector's write counts too
    with pytest.raises(VersionConflict):
        store.update_incident(written)
    stored = store.get_incident("inc-1")
    assert stored is not None and stored.status == "assigned"


def test_the_stored_overdue_flag_follows_the_stored_status(store: Store) -> None:
    late = incident(1, deadline_hours=-2)
    store.upsert_incidents([late])
    assert store.find_incidents(IncidentQuery())[0].to_dict()["overdue"]
    stored = store.get_incident("inc-1")
    assert stored is not None
    stored.status = "answered"
    store.update_incident(stored)
    store.upsert_incidents([late])  # the detector, still seeing it new, writes it again
    answered = store.get_incident("inc-1")
    assert answered is not None and answered.status == "answered" and not answered.overdue()


def test_incident_queries_narrow_and_put_the_nearest_deadline_first(store: Store) -> None:
    store.upsert_incidents([incident(1, deadline_hours=48), incident(2, deadline_hours=2),
                            incident(3, deadline_hours=None), incident(4, sector="roads", district="Северный"),
                            incident(5, status="closed"), incident(6, queue="factcheck")])
    routing = store.find_incidents(IncidentQuery(queue="routing", status=("new", "assigned")))
    assert [i.id for i in routing] == ["inc-2", "inc-4", "inc-1", "inc-3"]
    assert [i.id for i in store.find_incidents(IncidentQuery(sector="roads"))] == ["inc-4"]
    assert [i.id for i in store.find_incidents(IncidentQuery(district="Северный"))] == ["inc-4"]
    assert {i.id for i in store.find_incidents(IncidentQuery(since=NOW - timedelta(hours=2.5)))} == {"inc-1", "inc-2"}


def test_a_queue_page_narrows_by_body_and_overdue_and_counts_what_matches(store: Store) -> None:
    other = dataclasses.replace(incident(4, deadline_hours=-3), body="Управление дорог")
    store.upsert_incidents([incident(1, deadline_hours=48), incident(2, deadline_hours=-2), incident(3, deadline_hours=-1),
                            other, incident(5, status="closed", deadline_hours=-5), incident(6, deadline_hours=None)])
    overdue = IncidentQuery(overdue_at=NOW, body="МУП «Приреченскводоканал»")
    assert [i.id for i in store.find_incidents(overdue)] == ["inc-2", "inc-3"]
    assert store.count_incidents(overdue) == 2
    assert store.count_incidents(IncidentQuery(body="Управление дорог")) == 1
    assert store.count_incidents(IncidentQuery(status=("new",), limit=1)) == 5
    pages = [[i.id for i in store.find_incidents(IncidentQuery(limit=2, offset=offset))] for offset in (0, 2, 4, 6)]
    assert pages == [["inc-5", "inc-4"], ["inc-2", "inc-3"], ["inc-1", "inc-6"], []]


def test_a_tick_finds_the_incidents_holding_its_posts_clusters_and_streets(store: Store) -> None:
    by_post, by_cluster, by_street, other_town, unrelated = (incident(n) for n in range(1, 6))
    by_cluster.cluster_id, by_cluster.post_ids = "cl-1", ["vk:-210001:20"]
    by_street.territory = Territory("Приреченск", "Заречный", "ул. Лесная", None, None, None, "text")
    other_town.territory = Territory("Светлоярск", None, "ул. Лесная", None, None, None, "text")
    for one in (by_cluster, other_town, unrelated):
        one.post_ids = [f"{one.id}:post"]
    unrelated.territory = None
    store.upsert_incidents([by_post, by_cluster, by_street, other_town, unrelated])
    holding = Holding(post_ids=("vk:-210001:1:1",), clusters=("cl-1",), streets=(("Приреченск", "ул. Лесная"),))
    assert {i.id for i in store.find_incidents(IncidentQuery(holding=holding))} == {"inc-1", "inc-2", "inc-3"}
    assert store.find_incidents(IncidentQuery(holding=Holding())) == []
    by_post.post_ids.append("vk:-210001:99")  # a post joins: found by it at the next tick
    store.upsert_incidents([by_post])
    assert [i.id for i in store.find_incidents(IncidentQuery(holding=Holding(post_ids=("vk:-210001:99",)),
                                                             status=("new",)))] == ["inc-1"]


def test_a_post_keeps_what_the_detector_found(store: Store) -> None:
    scored = post(1, "Нет воды на Речной 14")
    scored.complaint, scored.is_complaint, scored.sector, scored.incident_id = 0.93, True, "housing", "inc-1"
    scored.territory = Territory("Приреченск", "Заречный", "ул. Речная", "14", None, (56.31, 44.02), "text")
    store.upsert([scored])
    assert store.get(scored.id) == scored


def complaint(number: int, minutes_ago: float, sector: str | None, district: str | None,
              *, town: str = "Приреченск", is_complaint: bool = True) -> Post:
    scored = post(number, "Нет воды", hours_ago=minutes_ago / 60)
    scored.is_complaint, scored.sector = is_complaint, sector
    scored.territory = Territory(town, district, "ул. Речная", None, None, None, "text")
    return scored


def test_count_buckets_counts_complaints_per_series_and_hour(store: Store) -> None:
    store.upsert([complaint(1, 10, "housing", "Заречный"), complaint(2, 20, "housing", "Заречный"),
                  complaint(3, 70, "housing", "Заречный"), complaint(4, 15, "roads", "Заречный"),
                  complaint(5, 25, "housing", None, town="Светлоярск"),
                  complaint(6, 30, "housing", "Заречный", is_complaint=False),
                  complaint(7, 60 * 30, "housing", "Заречный")])  # before `since`
    rows = store.count_buckets(NOW - timedelta(hours=3), NOW, timedelta(hours=1))
    hour = lambda ago: NOW - timedelta(hours=ago)  # NOW is on the hour
    assert {(r.key, r.start, r.count) for r in rows} == {
        (("housing", "Приреченск", "Заречный"), hour(1), 2), (("housing", "Приреченск", "Заречный"), hour(2), 1),
        (("roads", "Приреченск", "Заречный"), hour(1), 1), (("housing", "Светлоярск", None), hour(1), 1)}
    every = store.count_buckets(NOW - timedelta(days=2), NOW, timedelta(days=1), by=("sector",),
                                complaints_only=False)
    assert sorted((r.key, r.count) for r in every) == [(("housing",), 1), (("housing",), 5), (("roads",), 1)]


# -- above Elasticsearch's default limits --------------------------------------------------------

LARGE_POSTS = 70_000  # past index.max_result_window (10,000), search.max_buckets and index.max_terms_count (65,536)
LARGE_INCIDENTS = 20_000
SECTORS, DISTRICTS = ("housing", "roads", "energy"), ("Заречный", "Северный", "Южный", None)


@functools.cache
def large_posts() -> list[Post]:
    """Complaints every 5 s, newest first, each its own cluster; then two comments on each of the first 250."""
    posts = []
    for n in range(LARGE_POSTS):
        scored = post(n + 1, "Нет воды", source="vk_big", hours_ago=5 * n / 3600)
        scored.is_complaint, scored.sector, scored.cluster_id = True, SECTORS[n % 3], f"c{n}"
        scored.territory = Territory("Приреченск", DISTRICTS[n % 4], None, None, None, None, "text")
        posts.append(scored)
    for n in range(500):
        posts.append(post(n // 2 + 1, "Да", source="vk_big", hours_ago=5 * (LARGE_POSTS + n) / 3600, comment=n + 1))
    return posts


@functools.cache
def large_incidents() -> list[Incident]:
    return [incident(n, status=("new", "assigned", "closed")[n % 3], deadline_hours=None if n % 10 == 0 else n % 997,
                     sector=SECTORS[n % 3]) for n in range(1, LARGE_INCIDENTS + 1)]


@pytest.fixture(scope="module", params=[sqlite_store, elasticsearch_double_store,
                                        pytest.param(live_elasticsearch_store, marks=pytest.mark.live_es)],
                ids=["sqlite", "elasticsearch-double", "elasticsearch-live"])
def large(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    factory: Callable[[pytest.FixtureRequest, Path], Store] = request.param
    opened = factory(request, tmp_path_factory.mktemp("large"))
    posts = large_posts()
    for start in range(0, len(posts), 20_000):
        result = opened.upsert(posts[start:start + 20_000])
        assert result.transient == [] and result.rejected == []
    opened.upsert_incidents(large_incidents())
    yield opened
    opened.close()


def in_order(items: Sequence[Post]) -> list[str]:
    return [p.id for p in sorted(items, key=lambda p: p.created_at or NOW, reverse=True)]


def test_a_search_returns_every_post_past_the_result_window_newest_first(large: Store) -> None:
    since = NOW - timedelta(seconds=5 * 12_000 - 1)  # the newest 12,000 posts
    found = large.search(Query(since=since, limit=100_000))
    assert [p.id for p in found] == in_order(large_posts())[:12_000]
    assert [p.id for p in large.search(Query(since=since, limit=10_001))] == [p.id for p in found[:10_001]]
    assert large.count(Query()) == LARGE_POSTS + 500


def test_incidents_past_the_result_window_come_nearest_deadline_first(large: Store) -> None:
    incidents = large_incidents()
    key = lambda i: (i.deadline is None, i.deadline or NOW, -i.opened_at.timestamp())  # noqa: E731
    found = large.find_incidents(IncidentQuery(limit=100_000))
    assert [i.id for i in found] == [i.id for i in sorted(incidents, key=key)]
    open_ones = large.find_incidents(IncidentQuery(queue="routing", status=("new", "assigned"), limit=100_000))
    assert [i.id for i in open_ones] == [i.id for i in sorted(incidents, key=key) if i.status != "closed"]
    assert len(large.find_incidents(IncidentQuery(sector="roads", limit=12_000))) == 6_667


def test_count_buckets_past_the_bucket_limit(large: Store) -> None:
    since, until = NOW - timedelta(days=5), NOW + timedelta(hours=1)
    clusters = large.count_buckets(since, until, timedelta(hours=1), by=("cluster_id",))
    assert len(clusters) == LARGE_POSTS and {r.count for r in clusters} == {1}
    assert {r.key[0] for r in clusters} == {f"c{n}" for n in range(LARGE_POSTS)}
    series = large.count_buckets(since, until, timedelta(hours=1))
    assert sum(r.count for r in series) == LARGE_POSTS
    assert {r.key for r in series} == {(s, "Приреченск", d) for s in SECTORS for d in DISTRICTS}
    first = NOW - timedelta(seconds=5 * (LARGE_POSTS - 1))
    hours = {(first + timedelta(seconds=5 * k)).replace(minute=0, second=0) for k in range(LARGE_POSTS)}
    assert {r.start for r in series} == hours


def test_comment_counts_for_more_posts_than_a_terms_query_takes(large: Store) -> None:
    counts = large.comment_counts("vk_big", NOW - timedelta(days=5))
    assert len(counts) == LARGE_POSTS
    assert sum(counts.values()) == 500 and {counts[f"vk:-210001:{n}"] for n in range(1, 251)} == {2}


def test_a_repost_keeps_its_origin_and_is_found_by_the_originals_words(store: Store) -> None:
    repost = dataclasses.replace(post(8, "Опять то же самое"), origin=Origin(
        "vk:-29246653:93530", Author("-29246653", "Корпорация Зла"), NOW - timedelta(days=1),
        "https://vk.com/wall-29246653_93530", "Во дворе на Речной прорвало трубу",
        [Attachment("photo", "https://example.org/604.jpg")]))
    store.upsert([repost, post(9, "Спасибо за ремонт")])
    assert store.get(repost.id) == repost
    assert [p.id for p in store.search(Query(text="трубы"))] == [repost.id]
    assert [p.id for p in store.search(Query(text="опять"))] == [repost.id]
