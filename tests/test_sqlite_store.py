"""What only the embedded store has to get right: rowids in creation order (exact at the edges of a
time range, moved when a creation time changes, never two posts on one key), files made by the
first layout opening and answering as before, and the staff's queries reading indexes, not the
whole table (EXPLAIN QUERY PLAN)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest

from indexer.exceptions import StoreUnavailable
from indexer.schema import Author, Incident, Post, Territory
from indexer.sqlite import keys, queries, schema
from indexer.sqlite.store import SqliteStore
from indexer.store import Holding, IncidentQuery, Query
from indexer.text import search_terms

T0 = datetime(2026, 11, 20, 12, 0, 0, 500_000, tzinfo=timezone.utc)  # half-way through a second
MS = timedelta(milliseconds=1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "monitor.db")
    yield opened
    opened.close()


def make(number: int, text: str, created: datetime | None, *, platform: str = "vk", source: str = "vk_a") -> Post:
    return Post(id=f"{platform}:-1_{number}", platform=platform, source_id=source, kind="post", text=text,
                created_at=created, author=Author("1", "Ирина"))


def numbers(posts: list[Post]) -> list[int]:
    return [int(p.id.rsplit("_", 1)[1]) for p in posts]


# Posts around the edges of one millisecond (T0), one without a time; the words are in all of them.
EDGES = [make(1, "нет воды", T0 - MS), make(2, "нет воды", T0 - MS / 4), make(3, "нет воды", T0),
         make(4, "нет воды", T0 + MS / 4), make(5, "нет воды", T0 + MS), make(6, "нет воды", None),
         make(7, "нет воды", T0 + 2 * MS, platform="telegram")]


@pytest.mark.parametrize("since, until", [
    (T0, None), (None, T0), (T0, T0 + MS), (T0 - MS / 2, T0 + MS / 2), (T0 + MS / 8, T0 + MS / 8),
    (T0 - MS, T0 + 2 * MS), (None, T0 + 3 * MS), (T0 + MS / 4, None),
])
@pytest.mark.parametrize("words, platform", [(None, None), ("вода", None), (None, "vk"), ("вода", "vk")])
def test_time_ranges_are_exact_inside_a_millisecond(store: SqliteStore, since: datetime | None,
                                                    until: datetime | None, words: str | None,
                                                    platform: str | None) -> None:
    store.upsert(EDGES)
    expected = [p for p in EDGES if p.created_at is not None and (since is None or p.created_at >= since)
                and (until is None or p.created_at < until) and (platform is None or p.platform == platform)]
    query = Query(text=words, platform=platform, since=since, until=until, limit=100)
    found = store.search(query)
    assert sorted(numbers(found)) == sorted(numbers(expected))
    assert store.count(query) == len(expected)


def test_newest_first_holds_for_posts_stored_out_of_order_and_without_a_time(store: SqliteStore) -> None:
    store.upsert([EDGES[4], EDGES[5], EDGES[0]])
    store.upsert([EDGES[2], EDGES[6], EDGES[1], EDGES[3]])
    assert numbers(store.search(Query(limit=10))) == [7, 5, 4, 3, 2, 1, 6]
    assert numbers(store.search(Query(text="воды", limit=10))) == [7, 5, 4, 3, 2, 1, 6]
    assert numbers(store.search(Query(platform="vk", limit=2))) == [5, 4]


def test_posts_of_one_millisecond_each_get_a_key_newest_stored_first(store: SqliteStore) -> None:
    store.upsert([make(n, "свет", T0) for n in range(1, 4)])
    store.upsert([make(4, "свет", T0)])
    assert numbers(store.search(Query(limit=10))) == [4, 3, 2, 1]
    assert store.count(Query(since=T0, until=T0 + MS)) == 4


def test_a_post_past_its_milliseconds_keys_is_rejected_with_the_reason(store: SqliteStore,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys, "PER_MS", 2)
    result = store.upsert([make(n, "свет", T0) for n in range(1, 4)])
    assert (result.new, [p.id for p, _ in result.rejected]) == (2, ["vk:-1_3"])
    assert [(n, reason.endswith("posts created in the same millisecond")) for reason, n in result.failures.items()] \
        == [(1, True)]
    assert store.count(Query()) == 2


def test_a_changed_creation_time_moves_the_post_with_its_words_and_band_keys(store: SqliteStore) -> None:
    store.upsert([make(1, "яма на дороге", T0), make(2, "свет", T0 + timedelta(hours=1))])
    store.update_findings({"vk:-1_1": {"bands": ["00ff", "0a0b"], "sector": "roads"}})
    store.upsert([make(1, "яма на дороге", T0 + timedelta(hours=2))])
    assert numbers(store.search(Query(limit=10))) == [1, 2]
    assert numbers(store.search(Query(text="яма"))) == [1] and store.count(Query(text="яма")) == 1
    assert numbers(store.search(Query(bands=("0a0b",)))) == [1]
    assert store.count(Query(until=T0 + timedelta(hours=1, minutes=30))) == 1
    moved = store.get("vk:-1_1")
    assert moved is not None and moved.sector == "roads" and moved.created_at == T0 + timedelta(hours=2)


def test_relevance_ranks_the_newest_matches_best_first(store: SqliteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "RANKED", 3)
    store.upsert([make(1, "вода вода вода вода", T0), make(2, "вода", T0 + MS), make(3, "вода вода", T0 + 2 * MS),
                  make(4, "вода и свет", T0 + 3 * MS), make(5, "вода вода вода", T0 + 4 * MS)])
    assert numbers(store.search(Query(text="вода", sort="relevance", limit=10))) == [5, 3, 4]


# The layout every file had before time-ordered keys (user_version 0), as that version wrote it;
# ``first`` leaves out what later versions of that layout added on open.
_FIRST_LAYOUT = """
CREATE TABLE posts (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, platform TEXT NOT NULL,
    source_id TEXT NOT NULL, kind TEXT NOT NULL, parent_id TEXT, thread_root TEXT, created_at REAL,
    crawled_at REAL, text TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX posts_created ON posts (created_at);
CREATE INDEX posts_source ON posts (source_id, kind, created_at);
CREATE INDEX posts_thread ON posts (thread_root);
CREATE VIRTUAL TABLE posts_fts USING fts5 (stems, tokenize = 'unicode61');
CREATE TABLE cursors (source_id TEXT PRIMARY KEY, cursor TEXT NOT NULL, updated_at REAL);
CREATE TABLE incidents (id TEXT PRIMARY KEY, queue TEXT NOT NULL, status TEXT NOT NULL, sector TEXT,
    municipality TEXT, district TEXT, opened_at REAL NOT NULL, deadline REAL, doc TEXT NOT NULL);
CREATE INDEX incidents_queue ON incidents (queue, status, deadline);
"""
_LATER_ADDITIONS = """
ALTER TABLE posts ADD COLUMN is_complaint; ALTER TABLE posts ADD COLUMN sector;
ALTER TABLE posts ADD COLUMN municipality; ALTER TABLE posts ADD COLUMN district;
ALTER TABLE posts ADD COLUMN street; ALTER TABLE posts ADD COLUMN cluster_id;
CREATE INDEX posts_series ON posts (is_complaint, created_at, sector, municipality, district, street);
ALTER TABLE posts ADD COLUMN changed_at REAL;
CREATE INDEX posts_changed ON posts (changed_at);
CREATE INDEX posts_cluster ON posts (cluster_id, created_at);
ALTER TABLE incidents ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE INDEX incidents_deadline ON incidents (deadline);
CREATE TABLE post_bands (band INTEGER NOT NULL, post INTEGER NOT NULL, PRIMARY KEY (band, post)) WITHOUT ROWID;
"""
OLD_POSTS = [  # stored in this order: rowids 1, 2, 3, 4 are not creation order
    make(1, "Во дворе гора мусора", T0 - timedelta(hours=1)), make(2, "Третий день нет воды", T0 + timedelta(hours=1)),
    make(3, "Без даты", None), make(4, "Мусор не вывозят", T0),
]


def old_file(path: Path, later: bool) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(_FIRST_LAYOUT + (_LATER_ADDITIONS if later else ""))
        for rowid, post in enumerate(OLD_POSTS, 1):
            if post.id == "vk:-1_4":
                post.is_complaint, post.sector = True, "waste"
                post.territory = Territory("Приреченск", "Центральный", None, None, None, None, "text")
                post.bands = ["0a0b"]
            created = post.created_at.timestamp() if post.created_at else None
            db.execute("INSERT INTO posts (rowid, id, platform, source_id, kind, created_at, crawled_at, text, doc)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (rowid, post.id, post.platform, post.source_id,
                                                              post.kind, created, created, post.text,
                                                              json.dumps(post.to_dict(), ensure_ascii=False)))
            db.execute("INSERT INTO posts_fts (rowid, stems) VALUES (?, ?)", (rowid, search_terms(post.text)))
        if later:
            db.execute("UPDATE posts SET changed_at = crawled_at, is_complaint = 1, sector = 'waste',"
                       " municipality = 'Приреченск', district = 'Центральный' WHERE rowid = 4")
            db.execute("INSERT INTO post_bands (band, post) VALUES (?, 4)", (int("0a0b", 16),))
        db.execute("INSERT INTO cursors VALUES ('vk_a', '{\"last_id\": 4}', 0)")
        incident = Incident(id="inc-1", kind="complaint", queue="routing", opened_at=T0, deadline=T0 + timedelta(days=3),
                            sector="waste", post_ids=["vk:-1_4"])
        db.execute("INSERT INTO incidents (id, queue, status, sector, opened_at, deadline, doc) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   ("inc-1", "routing", "new", "waste", T0.timestamp(), incident.deadline.timestamp(),  # type: ignore[union-attr]
                    json.dumps(incident.to_dict(), ensure_ascii=False)))


@pytest.mark.parametrize("later", [False, True], ids=["first", "previous"])
def test_a_file_of_the_first_layout_opens_and_answers_as_before(tmp_path: Path, later: bool) -> None:
    path = tmp_path / "old.db"
    old_file(path, later)
    store = SqliteStore(path)
    assert numbers(store.search(Query(limit=10))) == [2, 4, 1, 3]
    assert numbers(store.search(Query(text="мусор"))) == [4, 1] and store.count(Query(text="мусором")) == 2
    assert store.count(Query(since=T0)) == 2 and store.count(Query(source_id="vk_a", kind="post")) == 4
    assert numbers(store.search(Query(bands=("0a0b",)))) == ([4] if later else [])
    assert store.get_cursor("vk_a") == {"last_id": 4}
    incident = store.get_incident("inc-1")
    assert incident is not None and incident.version == "1"
    assert [i.id for i in store.find_incidents(IncidentQuery(queue="routing", sector="waste"))] == ["inc-1"]
    holding = [i.id for i in store.find_incidents(IncidentQuery(holding=Holding(post_ids=("vk:-1_4",))))]
    assert holding == ["inc-1"]  # what the incident holds is indexed on the way
    buckets = store.count_buckets(T0 - timedelta(hours=1), T0 + timedelta(hours=1), timedelta(hours=1))
    assert [(b.key, b.count) for b in buckets] == [(("waste", "Приреченск", "Центральный"), 1)]
    assert store.upsert([make(5, "Снова нет воды", T0 + timedelta(hours=2))]).new == 1
    assert numbers(store.search(Query(text="воды"))) == [5, 2]
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == schema.VERSION
        assert db.execute("SELECT id, text FROM posts ORDER BY id").fetchall()[0] == ("vk:-1_1", "Во дворе гора мусора")
    assert numbers(SqliteStore(path).search(Query(limit=10))) == [5, 2, 4, 1, 3]  # opens again as it is


@pytest.mark.parametrize("query", [
    Query(text="вода"), Query(text="вода", since=T0), Query(text="вода", platform="vk"), Query(platform="vk"),
    Query(platform="vk", since=T0), Query(source_id="vk_a", kind="post"), Query(since=T0, until=T0 + MS), Query(),
    Query(text="вода", sort="relevance"), Query(changed_since=T0, limit=200_000),
], ids=["word", "word-since", "word-platform", "platform", "platform-since", "page-kind", "range", "all",
        "relevance", "changed"])
def test_the_staffs_searches_read_an_index_in_order(store: SqliteStore, query: Query) -> None:
    for sql, params in (queries.search(query), queries.count(query)):
        plan = [row[3] for row in store._db.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
        whole = [step for step in plan if step in ("SCAN p", "SCAN posts")]  # the table, row after row
        assert not whole or (query == Query() and sql.startswith("SELECT doc")), plan  # unless the newest 20
        if sql.startswith("SELECT doc") and query.sort == "newest" and query.changed_since is None:
            assert not [step for step in plan if "TEMP B-TREE" in step], plan  # no sort: read in order, stop


def test_a_file_of_the_previous_layout_gets_its_incidents_indexed_and_keeps_its_posts(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    store = SqliteStore(path)
    store.upsert([Post(platform="vk", source_id="vk_a", kind="post", id="vk:-1_1", text="Нет воды",
                       created_at=T0, author=Author())])
    store.upsert_incidents([Incident(id="inc-1", kind="complaint", queue="routing", opened_at=T0,
                                     post_ids=["vk:-1_1"], evidence={"clusters": ["cl-1", "cl-2"]})])
    store.close()
    with sqlite3.connect(path) as db:  # as version 2 left it: no incident_keys
        db.execute("DROP TABLE incident_keys")
        db.execute("PRAGMA user_version = 2")
        rowids = db.execute("SELECT rowid, id FROM posts").fetchall()
    store = SqliteStore(path)
    assert [i.id for i in store.find_incidents(IncidentQuery(holding=Holding(clusters=("cl-2",))))] == ["inc-1"]
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT rowid, id FROM posts").fetchall() == rowids  # not moved again
        assert db.execute("PRAGMA user_version").fetchone()[0] == schema.VERSION


def test_a_file_of_a_newer_layout_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    SqliteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreUnavailable, match="version 99, newer than this program"):
        SqliteStore(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 99
