"""Erasure on request: ``monitor forget`` removes a person's posts and comments from both stores,
the incidents that held them, the spool and the outboxes, records it without the data, and the
crawl never collects them again."""

from __future__ import annotations

import collections
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
from elasticsearch import ConflictError, Elasticsearch

from detector.jobs.forget import Places, forget
from indexer.elastic.store import ElasticsearchStore
from indexer.erasure import REDACTED, ErasureRecord, Exclusions, Selector
from indexer.schema import Author, Incident, Origin, Post, Territory, make_id
from indexer.spool import Spool
from indexer.sqlite.store import SqliteStore
from indexer.store import Query, Store
from monitor.cli import main
from tests.conftest import Crawler
from tests.support.es_double import ElasticsearchDouble
from tests.support.stores import BACKENDS, both_stores

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
TEXT = "Третий день нет горячей воды в доме на улице Полевой, управляющая компания не отвечает"


store = pytest.fixture(**BACKENDS)(both_stores)


def post(number: int, author: str, text: str = TEXT, comment: int | None = None) -> Post:
    return Post(id=make_id("vk", -1, number, comment), platform="vk", source_id="vk_a",
                kind="comment" if comment else "post", text=f"{text} ({number}/{comment})",
                created_at=NOW - timedelta(hours=number), author=Author(author, f"Имя {author}"),
                parent_id=make_id("vk", -1, number) if comment else None,
                thread_root=make_id("vk", -1, number) if comment else None)


def world(store: Store) -> list[Post]:
    posts = [post(1, "7"), post(2, "8"), post(2, "7", "Поддерживаю, у нас тоже нет воды с понедельника", 1),
             post(1, "8", "Это правда", 2), post(3, "7")]
    store.upsert(posts)
    return posts


def test_forgetting_an_author_removes_their_posts_and_comments_and_nothing_else(store: Store) -> None:
    world(store)
    done = forget(store, Selector.author("vk:7"), Places(), by="оператор", reason="обращение №12", now=NOW)
    assert {p.id for p in store.search(Query(limit=100))} == {"vk:-1:2", "vk:-1:1:2"}
    assert store.search(Query(text="понедельника")) == []  # nor found by its words
    assert done.counts["posts"] == 2 and done.counts["comments"] == 1
    assert store.get("vk:-1:1") is None


def test_the_erasure_log_keeps_who_why_when_and_the_selector_not_the_data(store: Store) -> None:
    world(store)
    forget(store, Selector.author("vk:7"), Places(), by="оператор", reason="обращение №12", now=NOW)
    forget(store, Selector.post("vk:-1:1:2"), Places(), by="оператор", reason="обращение №13", now=NOW)
    log = store.erasures()
    assert [(r.selector.kind, r.selector.value, r.by, r.reason) for r in log] == [
        ("author", "vk:7", "оператор", "обращение №12"), ("post", "vk:-1:1:2", "оператор", "обращение №13")]
    assert log[0].counts["posts"] == 2 and log[1].counts["comments"] == 1
    assert TEXT[:20] not in json.dumps([r.to_dict() for r in log], ensure_ascii=False)
    assert Exclusions.of(log) == Exclusions(frozenset({("vk", "7")}), frozenset({"vk:-1:1:2"}))


def incident(number: int, post_ids: list[str], title: str, status: str = "new") -> Incident:
    return Incident(id=f"inc-{number}", kind="complaint", queue="routing", opened_at=NOW, status=status,
                    title=title, post_ids=post_ids, sources=["vk_a"],
                    evidence={"variants": [{"id": p, "text": title} for p in post_ids], "clusters": ["c1"]})


def test_an_incident_loses_the_forgotten_posts_and_is_closed_when_none_is_left(store: Store) -> None:
    posts = world(store)
    shared = incident(1, ["vk:-1:1", "vk:-1:2"], posts[0].text[:117] + "…")
    alone = incident(2, ["vk:-1:3"], posts[4].text)
    alone.territory = Territory("Приреченск", street="ул. Полевая", house="12", address="Приреченск, ул. Полевая, 12",
                                geo=(55.1, 37.2))
    untouched = incident(3, ["vk:-1:2"], posts[1].text)
    store.upsert_incidents([shared, alone, untouched])

    done = forget(store, Selector.author("vk:7"), Places(), by="оператор", reason="№12", now=NOW)

    first = store.get_incident("inc-1")
    assert first is not None and first.post_ids == ["vk:-1:2"] and first.status == "new"
    assert first.title == REDACTED and [v["id"] for v in first.evidence["variants"]] == ["vk:-1:2"]
    second = store.get_incident("inc-2")
    assert second is not None and second.post_ids == [] and second.status == "closed"
    assert second.title == REDACTED and second.history[-1]["by"] == "erasure"
    assert second.territory == Territory("Приреченск", street="ул. Полевая")  # no house: it may be theirs
    assert store.get_incident("inc-3") == dataclass_with_version(untouched, store)
    assert (done.counts["incidents_changed"], done.counts["incidents_closed"]) == (2, 1)


def dataclass_with_version(incident: Incident, store: Store) -> Incident | None:
    stored = store.get_incident(incident.id)
    return None if stored is None or stored.to_dict() != incident.to_dict() else stored


def test_the_spool_loses_the_forgotten_items_waiting_rejected_and_quarantined(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    spool.append([post(1, "7"), post(2, "8")])
    spool.reject([(post(3, "7"), "mapper_parsing_exception")])
    quarantine = tmp_path / "spool" / "quarantine" / "00000000000000000001-1-000001.jsonl"
    quarantine.parent.mkdir(parents=True)
    quarantine.write_text(json.dumps(post(4, "7").to_dict()) + '\n{"id": "vk:-1:5", "text": "cut\n',
                          encoding="utf-8")
    store = SqliteStore(tmp_path / "m.db")
    done = forget(store, Selector.author("vk:7"), Places(spool=tmp_path / "spool"), by="оператор", reason="№1")
    assert done.counts["spool"] == 3
    everything = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "spool").rglob("*.jsonl"))
    assert '"vk:-1:2"' in everything and '"id": "7"' not in everything
    assert spool.replay(store) == 1 and store.get("vk:-1:2") is not None


def test_a_replay_drops_what_was_spooled_before_its_author_was_forgotten(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "m.db")
    spool = Spool(tmp_path / "spool")
    spool.append([post(1, "7"), post(2, "8")])  # while the store was down, say
    store.record_erasure(ErasureRecord(NOW, Selector.author("vk:7"), "оператор", "№1"))
    assert spool.replay(store) == 1
    assert {p.id for p in store.search(Query())} == {"vk:-1:2"} and spool.files() == []


def test_the_outboxes_lose_the_forgotten_posts(tmp_path: Path) -> None:
    outbox = tmp_path / "incidents.jsonl"
    waiting = [incident(1, ["vk:-1:1", "vk:-1:2"], TEXT), incident(2, ["vk:-1:1"], TEXT)]
    alert = {"kind": "source_health", "source_id": "vk_a", "title": "vk_a молчит"}
    outbox.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                              for r in [*(i.to_dict() for i in waiting), alert]), encoding="utf-8")
    store = SqliteStore(tmp_path / "m.db")
    store.upsert([post(1, "7")])
    done = forget(store, Selector.author("vk:7"), Places(outboxes=(outbox,)), by="оператор", reason="№1")
    records = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert done.counts["outbox"] == 2
    assert [(r.get("id"), r.get("post_ids"), r.get("title")) for r in records] == [
        ("inc-1", ["vk:-1:2"], REDACTED), (None, None, "vk_a молчит")]


def test_others_reposts_of_a_forgotten_author_keep_nothing_of_the_original(store: Store) -> None:
    world(store)
    repost = post(9, "8", "Смотрите, что пишут")
    repost.origin = Origin("vk:-1:1", Author("7", "Имя 7"), text="Полевая улица осталась без отопления")
    store.upsert([repost])
    assert [p.id for p in store.search(Query(text="отопления"))] == ["vk:-1:9"]
    done = forget(store, Selector.author("vk:7"), Places(), by="оператор", reason="№1", now=NOW)
    kept = store.get("vk:-1:9")
    assert done.counts["reposts"] == 1 and kept is not None and kept.origin is None
    assert kept.text.startswith("Смотрите") and store.search(Query(text="отопления")) == []


def test_a_repost_of_a_forgotten_author_keeps_nothing_of_the_original() -> None:
    exclusions = Exclusions(frozenset({("vk", "7")}))
    repost = post(9, "8")
    repost.origin = Origin("vk:-1:1", Author("7", "Имя 7"), text=TEXT)
    assert exclusions.excludes(repost) is None and exclusions.excludes_origin(repost)
    assert exclusions.excludes(post(1, "7")) == "author"


@pytest.mark.parametrize("argv, message", [
    (["forget", "--author", "vkontakte:7", "--reason", "№1"], "expected <platform>:<author id>"),
    (["forget", "--author", "vk:7"], "--reason is required"),
    (["forget", "--post", "vk:1", "--reason", "№1"], "expected a post id"),
    (["forget", "--list", "--expired"], "one of them"),
])
def test_a_bad_request_is_refused_in_one_line_with_exit_2(argv: list[str], message: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*argv, "--store", f"sqlite:///{tmp_path / 'm.db'}"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


# -- delete_by_query on the double: the official client against it ---------------------------------


@pytest.fixture
def double() -> Iterator[ElasticsearchDouble]:
    server = ElasticsearchDouble(near_real_time=True).start()
    yield server
    server.stop()


def test_delete_by_query_deletes_what_a_search_sees_and_refreshes_when_asked(double: ElasticsearchDouble) -> None:
    client = Elasticsearch(double.url)
    double.load("docs", [(str(n), {"author": "7" if n % 2 else "8"}) for n in range(10)])
    client.index(index="docs", id="new", document={"author": "7"})  # not refreshed: not seen
    done = client.delete_by_query(index="docs", query={"term": {"author": "7"}}, refresh=True)
    assert (done["deleted"], done["version_conflicts"], done["failures"]) == (5, 0, [])
    assert client.count(index="docs", query={"term": {"author": "7"}})["count"] == 1  # "new", refreshed now
    client.close()


def test_delete_by_query_meets_a_changed_document_as_a_conflict(double: ElasticsearchDouble) -> None:
    client = Elasticsearch(double.url)
    double.load("docs", [(str(n), {"author": "7"}) for n in range(3)])
    client.index(index="docs", id="1", document={"author": "7", "edited": True})  # after the last refresh
    with pytest.raises(ConflictError) as refused:
        client.delete_by_query(index="docs", query={"match_all": {}})
    assert refused.value.body["failures"][0]["cause"]["type"] == "version_conflict_engine_exception"
    assert client.options(ignore_status=404).get(index="docs", id="0")["found"] is False  # deleted before the conflict: stays so
    # Not refreshed: the snapshot still shows "0" (gone: a conflict) and the old "1" (changed: one too).
    done = client.delete_by_query(index="docs", query={"match_all": {}}, conflicts="proceed")
    assert (done["total"], done["deleted"], done["version_conflicts"]) == (3, 1, 2)
    client.indices.refresh(index="docs")
    done = client.delete_by_query(index="docs", query={"match_all": {}}, conflicts="proceed", refresh=True)
    assert (done["total"], done["deleted"], done["version_conflicts"]) == (1, 1, 0)
    assert client.count(index="docs")["count"] == 0
    client.close()


# -- the must-show: a crawl after `monitor forget` does not bring the person back ----------------------


def test_a_forgotten_author_is_gone_from_both_stores_and_the_spool_and_a_new_crawl_skips_them(
        crawl: Crawler, tmp_path: Path, double: ElasticsearchDouble) -> None:
    first = crawl("vk_podslushano")
    assert first.returncode == 0, first.output
    people = collections.Counter(p.author.id for p in first.store().search(Query(limit=10_000))
                                 if p.author.id and not p.author.id.startswith("-"))
    person, count = people.most_common(1)[0]
    es_url = double.url
    on_es = crawl("vk_podslushano", INDEXER_STORE_URL=es_url, INDEXER_ES_REFRESH=True, CRAWLER_STATE_ENABLED=False)
    assert on_es.returncode == 0, on_es.output
    theirs = [p for p in first.store().search(Query(limit=10_000)) if p.author.id == person]
    Spool(tmp_path / "spool").append(theirs[:2])  # a batch the store had refused for now
    incident_store = first.store()
    incident_store.upsert_incidents([incident(1, [theirs[0].id], theirs[0].text)])
    incident_store.close()

    for url in (f"sqlite:///{first.store_path}", es_url):
        assert main(["forget", "--author", f"vk:{person}", "--reason", "обращение №7", "--by", "оператор",
                     "--store", url, "-s", f"INDEXER_SPOOL_DIR={tmp_path / 'spool'}",
                     "-s", f"INCIDENTS_OUTBOX={tmp_path / 'outbox.jsonl'}", "-s", "INDEXER_ES_REFRESH=True"]) == 0

    es = ElasticsearchStore.from_url(es_url, {})
    assert count >= 2 and not [p for p in es.search(Query(limit=10_000)) if p.author.id == person]
    assert [r.selector.value for r in es.erasures()] == [f"vk:{person}"]
    es.close()
    assert not [p for p in first.store().search(Query(limit=10_000)) if p.author.id == person]
    assert Spool(tmp_path / "spool").pending() == 0
    closed = first.store().get_incident("inc-1")
    assert closed is not None and closed.post_ids == [] and closed.status == "closed" and closed.title == REDACTED

    again = crawl("vk_podslushano", CRAWLER_STATE_ENABLED=False)  # reads the whole window again
    assert again.returncode == 0, again.output
    assert again.stat("pipeline/excluded/author") == count
    assert not [p for p in again.store().search(Query(limit=10_000)) if p.author.id == person]
    assert again.ids() >= first.ids() - {p.id for p in theirs}


def test_a_cluster_set_up_before_the_erasure_log_gets_it_at_the_first_erasure(double: ElasticsearchDouble) -> None:
    store = ElasticsearchStore.from_url(double.url, {})
    store.upsert([post(1, "7")])  # puts the templates
    with double.lock:  # as `monitor setup` of an earlier version left the cluster
        del double.indices["monitor-erasures-v3"]
        del double.templates["monitor-erasures-v3"]
    store.record_erasure(ErasureRecord(NOW, Selector.author("vk:7"), "оператор", "№1"))
    assert double.indices["monitor-erasures-v3"].aliases == {"monitor-erasures"}
    assert [r.selector.value for r in store.erasures()] == ["vk:7"]
    store.close()
