"""The embedded default store: one SQLite file (WAL) with FTS5 over Snowball stems.

One machine runs everything with no server. The ``posts`` table keeps the whole post as JSON plus
the columns queries filter on; ``posts_fts`` indexes the stems of the text (see ``indexer.text``),
so searches match Russian word forms. ``cursors`` keeps each source's crawl cursor.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, ParamSpec, Sequence, TypeVar

import orjson

from indexer.exceptions import StoreConfigError, StoreUnavailable, VersionConflict
from indexer.schema import DETECTOR_FIELDS, STAFF_FIELDS, Incident, Post
from indexer.store import BucketCount, IncidentQuery, Query, UpsertResult, check_series_fields
from indexer.text import stems

_P = ParamSpec("_P")
_T = TypeVar("_T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    platform TEXT NOT NULL,
    source_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_id TEXT,
    thread_root TEXT,
    created_at REAL,
    crawled_at REAL,
    text TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_created ON posts (created_at);
CREATE INDEX IF NOT EXISTS posts_source ON posts (source_id, kind, created_at);
CREATE INDEX IF NOT EXISTS posts_thread ON posts (thread_root);
CREATE VIRTUAL TABLE IF NOT EXISTS posts_fts USING fts5 (stems, tokenize = 'unicode61');
CREATE TABLE IF NOT EXISTS cursors (source_id TEXT PRIMARY KEY, cursor TEXT NOT NULL, updated_at REAL);
CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY,
    queue TEXT NOT NULL,
    status TEXT NOT NULL,
    sector TEXT,
    municipality TEXT,
    district TEXT,
    opened_at REAL NOT NULL,
    deadline REAL,
    doc TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS incidents_queue ON incidents (queue, status, deadline);
CREATE INDEX IF NOT EXISTS incidents_deadline ON incidents (deadline);
-- Each post's LSH band keys (Post.bands, as integers): a new post's earlier near-copies in one look-up.
CREATE TABLE IF NOT EXISTS post_bands (band INTEGER NOT NULL, post INTEGER NOT NULL, PRIMARY KEY (band, post))
    WITHOUT ROWID;
"""

# The detector's write of an incident: a new one whole; a stored one keeps the staff's fields and
# status column (json_patch of the stored staff fields over the new document), and its overdue flag
# follows the stored status. Every write counts a version, so a staff change made on an older
# state is refused (_UPDATE_STAFF's WHERE).
_UPSERT_INCIDENT = (
    "INSERT INTO incidents (id, queue, status, sector, municipality, district, opened_at, deadline, doc, version)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1) ON CONFLICT (id) DO UPDATE SET queue = excluded.queue,"
    " sector = excluded.sector, municipality = excluded.municipality, district = excluded.district,"
    " opened_at = excluded.opened_at, deadline = excluded.deadline, version = incidents.version + 1,"
    " doc = json_set(json_patch(excluded.doc, json_object("
    + ", ".join(f"'{name}', incidents.doc -> '$.{name}'" for name in STAFF_FIELDS) + ")),"
    " '$.overdue', json(CASE WHEN incidents.status IN ('new', 'assigned') AND excluded.deadline < ?10"
    " THEN 'true' ELSE 'false' END))")
_UPDATE_STAFF = (
    "UPDATE incidents SET status = ?, version = version + 1, doc = json_set(doc, "
    + ", ".join(f"'$.{name}', json(?)" for name in STAFF_FIELDS) + ", '$.overdue', json(?))"
    " WHERE id = ? AND version = ?")

# What the spike detector groups by, kept in columns of their own (files made before them gain
# them on open): the covering index lets ``count_buckets`` read the index alone.
_SERIES_COLUMNS = {"is_complaint": "$.is_complaint", "sector": "$.sector",
                   "municipality": "$.territory.municipality", "district": "$.territory.district",
                   "street": "$.territory.street", "cluster_id": "$.cluster_id"}
_SERIES_NAMES = ", ".join(_SERIES_COLUMNS)
_SERIES_INDEX = ("CREATE INDEX IF NOT EXISTS posts_series ON posts"
                 " (is_complaint, created_at, sector, municipality, district, street)")


def series_values(post: Post) -> tuple[Any, ...]:
    """The values of the ``_SERIES_COLUMNS``, in order."""
    place = post.territory
    return (None if post.is_complaint is None else int(post.is_complaint), post.sector,
            place.municipality if place else None, place.district if place else None,
            place.street if place else None, post.cluster_id)


# A stored row's columns in the order ``_upsert`` lists them: SQL expressions over a json_each row.
_ROW_NAMES = ("platform, source_id, kind, parent_id, thread_root, created_at, crawled_at, text, doc, "
              + _SERIES_NAMES)
_ROW_WIDTH = 9 + len(_SERIES_COLUMNS)
_ROW_VALUES = ", ".join(f"value -> {n}" if n == 8 else f"value ->> {n}" for n in range(_ROW_WIDTH))
# A re-crawl rewrites the crawl's columns, and the document with the detector's fields taken from
# the stored one (json_patch: the new document, then the stored detector fields over it).
_CRAWL_NAMES = "platform, source_id, kind, parent_id, thread_root, created_at, crawled_at, text, doc, changed_at"
_KEEP_FINDINGS = "json_object(" + ", ".join(f"'{name}', posts.doc -> '$.{name}'" for name in DETECTOR_FIELDS) + ")"
_CRAWL_VALUES = (", ".join(f"value ->> {n}" for n in range(8)) + f", json_patch(value -> 8, {_KEEP_FINDINGS}),"
                 " CASE WHEN value ->> 9 THEN value ->> 10 ELSE posts.changed_at END")
# Columns the detector's fields also fill, by field: what ``update_findings`` keeps in step.
_FINDING_COLUMNS = {"is_complaint": ("is_complaint",), "sector": ("sector",),
                    "territory": ("municipality", "district", "street"), "cluster_id": ("cluster_id",)}


def _reading(method: Callable[_P, _T]) -> Callable[_P, _T]:
    """A read that fails (a damaged file, a locked or vanished one) raises StoreUnavailable, as
    writes do, so every command says what failed in one line."""
    @functools.wraps(method)
    def read(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {getattr(args[0], 'path', '')}: {exc}") from exc
    return read


def _batch(rows: list[Any]) -> str:
    """One JSON array (orjson: ~3.5x faster than json here, and this runs on the writer thread)."""
    return orjson.dumps(rows).decode()


def _stems(post: Post) -> str:
    return " ".join(stems(f"{post.title}\n{post.text}" if post.title else post.text))


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


class SqliteStore:
    """A :class:`~indexer.store.Store` in one SQLite file."""

    def __init__(self, path: Path | str) -> None:
        if sqlite3.sqlite_version_info < (3, 38):  # ->> and json_each as _upsert uses them
            raise StoreUnavailable(f"SQLite {sqlite3.sqlite_version} is too old for the store: it needs 3.38 "
                                   "or newer (Debian 12 has 3.40)")
        self.path = Path(path)
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # Writers may hand the store to one worker thread (IndexPipeline does); calls never overlap.
        self._db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None,
                                   check_same_thread=False)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.executescript(_SCHEMA)
        self._columns = self._add_series_columns()

    @classmethod
    def from_url(cls, url: str, options: Mapping[str, Any] | None = None) -> SqliteStore:
        """``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` or a bare path."""
        path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
        if "://" in path or not path:
            raise StoreConfigError(f"INDEXER_STORE_URL={url!r}: expected sqlite:///path or http(s)://host")
        try:
            return cls(Path(path))
        except (sqlite3.Error, OSError) as exc:  # not a database, a folder, no permission, a full disk
            raise StoreUnavailable(f"SQLite store {path}: cannot open it: {exc}") from exc

    def upsert(self, posts: Sequence[Post]) -> UpsertResult:
        try:
            with self._transaction():
                return self._upsert(posts)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path}: {exc}") from exc

    def _upsert(self, posts: Sequence[Post]) -> UpsertResult:
        # Each statement takes the whole batch as one JSON array (json_each), not one row per call:
        # the sqlite3 module releases the GIL around every row's step, and when the writer thread
        # then waits to take it back from the crawl's reactor thread, both stall (bench/crawl.py:
        # ours/bare ~0.62 with executemany, ~0.70 like this). Documents go in as JSON objects inside
        # the array; SQLite writes each one out (minified) as the row's ``doc``.
        latest = {post.id: post for post in posts}  # a batch may see one item twice: keep the last
        known = self._known(list(latest))
        # New rows get their rowids here (BEGIN IMMEDIATE holds the write lock), so the full-text
        # rows need no second look-up of what was inserted.
        next_rowid = self._db.execute("SELECT coalesce(max(rowid), 0) + 1 FROM posts").fetchone()[0]
        now = datetime.now(timezone.utc).timestamp()
        inserts, updates, reindex, unindex = [], [], [], []
        for post in latest.values():
            values = [post.platform, post.source_id, post.kind, post.parent_id, post.thread_root,
                      _ts(post.created_at), _ts(post.crawled_at), post.text, post.to_document()]
            if post.id not in known:
                inserts.append([*values, *series_values(post), post.id, next_rowid, now])
                reindex.append([next_rowid, _stems(post)])
                next_rowid += 1
                continue
            rowid, old_text, old_title = known[post.id]
            changed = old_text != post.text or old_title != post.title
            updates.append([*values, changed, now, rowid])
            if old_text != post.text:
                unindex.append(rowid)
                reindex.append([rowid, _stems(post)])
        if inserts:
            self._db.execute(f"INSERT INTO posts ({_ROW_NAMES}, id, rowid, changed_at) SELECT {_ROW_VALUES},"
                             f" value ->> {_ROW_WIDTH}, value ->> {_ROW_WIDTH + 1}, value ->> {_ROW_WIDTH + 2}"
                             " FROM json_each(?)", (_batch(inserts),))
        if updates:
            self._db.execute(f"UPDATE posts SET ({_CRAWL_NAMES}) = ({_CRAWL_VALUES}) FROM json_each(?)"
                             " WHERE posts.rowid = value ->> 11", (_batch(updates),))
        if unindex:
            self._db.execute("DELETE FROM posts_fts WHERE rowid IN (SELECT value FROM json_each(?))",
                             (_batch(unindex),))
        if reindex:
            self._db.execute("INSERT INTO posts_fts (rowid, stems) SELECT value ->> 0, value ->> 1"
                             " FROM json_each(?)", (_batch(reindex),))
        return UpsertResult(new=len(inserts), updated=len(updates))

    def _known(self, ids: list[str]) -> dict[str, tuple[int, str, str | None]]:
        """id → (rowid, text, title) of the stored ones among ``ids`` (one row back: see ``_upsert``)."""
        row = self._db.execute(
            "SELECT json_group_array(json_array(id, rowid, text, doc ->> '$.title')) FROM posts"
            " WHERE id IN (SELECT value FROM json_each(?))", (_batch(ids),)).fetchone()
        return {post_id: (rowid, text, title) for post_id, rowid, text, title in orjson.loads(row[0])}

    def update_findings(self, findings: Mapping[str, Mapping[str, Any]]) -> int:
        # One statement per set of fields (a batch usually has one): json_set replaces each field
        # whole, as a partial document merge would not (a stale key would survive in fake_evidence).
        by_fields: dict[tuple[str, ...], list[list[Any]]] = {}
        for post_id, found in findings.items():
            unknown = set(found) - set(DETECTOR_FIELDS)
            if unknown:
                raise ValueError(f"update_findings: {sorted(unknown)} are not the detector's fields")
            names = tuple(sorted(found))
            by_fields.setdefault(names, []).append([post_id, *(found[n] for n in names)])
        updated = 0
        try:
            with self._transaction():
                for names, rows in by_fields.items():
                    updated += self._update_findings(names, rows)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path}: {exc}") from exc
        return updated

    def _update_findings(self, names: tuple[str, ...], rows: list[list[Any]]) -> int:
        paths = ", ".join(f"'$.{name}', value -> {n + 1}" for n, name in enumerate(names))
        columns = [f"doc = json_set(posts.doc, {paths})"]
        for n, name in enumerate(names, 1):
            if name == "is_complaint":
                columns.append(f"is_complaint = CAST(value ->> {n} AS INTEGER)")
            elif name in ("sector", "cluster_id"):
                columns.append(f"{name} = value ->> {n}")
            elif name == "territory":
                columns += [f"{column} = value -> {n} ->> '$.{column}'" for column in _FINDING_COLUMNS[name]]
        cursor = self._db.execute(f"UPDATE posts SET {', '.join(columns)} FROM json_each(?)"
                                  " WHERE posts.id = value ->> 0", (_batch(rows),))
        if "bands" in names:  # kept as integers in their own table, for Query.bands
            keys = names.index("bands") + 1
            self._db.execute("INSERT OR IGNORE INTO post_bands (band, post) SELECT key.value, posts.rowid"
                             " FROM json_each(?) AS row JOIN posts ON posts.id = row.value ->> 0,"
                             " json_each(row.value -> 1) AS key",
                             (_batch([[row[0], [int(k, 16) for k in row[keys] or ()]] for row in rows]),))
        return int(cursor.rowcount)

    @_reading
    def get(self, post_id: str) -> Post | None:
        row = self._db.execute("SELECT doc FROM posts WHERE id = ?", (post_id,)).fetchone()
        return Post.from_dict(json.loads(row[0])) if row else None

    @_reading
    def search(self, query: Query) -> list[Post]:
        where, params = self._where(query)
        order = "bm25(posts_fts)" if query.text and query.sort == "relevance" else "p.created_at DESC"
        sql = f"SELECT p.doc FROM {self._from(query)} {where} ORDER BY {order} LIMIT ?"
        rows = self._db.execute(sql, (*params, query.limit)).fetchall()
        return [Post.from_dict(json.loads(doc)) for (doc,) in rows]

    @_reading
    def count(self, query: Query) -> int:
        where, params = self._where(query)
        return int(self._db.execute(f"SELECT count(*) FROM {self._from(query)} {where}",
                                    params).fetchone()[0])

    @staticmethod
    def _from(query: Query) -> str:
        if query.text:
            return "posts_fts JOIN posts AS p ON p.rowid = posts_fts.rowid"
        return "posts AS p"

    @staticmethod
    def _where(query: Query) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if query.text:
            terms = stems(query.text)
            clauses.append("posts_fts MATCH ?")
            params.append(" AND ".join(f'"{term}"' for term in terms) or '""')
        for column, value in (("p.platform", query.platform), ("p.source_id", query.source_id),
                              ("p.kind", query.kind)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        for column, values in (("p.id", query.ids), ("p.source_id", query.source_ids),
                               ("p.cluster_id", query.cluster_ids)):
            if values is not None:
                clauses.append(f"{column} IN (SELECT value FROM json_each(?))")
                params.append(_batch(list(values)))
        if query.bands is not None:
            clauses.append("p.rowid IN (SELECT post FROM post_bands WHERE band IN (SELECT value FROM json_each(?)))")
            params.append(_batch([int(key, 16) for key in query.bands]))
        if query.since is not None:
            clauses.append("p.created_at >= ?")
            params.append(_ts(query.since))
        if query.until is not None:
            clauses.append("p.created_at < ?")
            params.append(_ts(query.until))
        if query.changed_since is not None:
            clauses.append("p.changed_at >= ?")
            params.append(_ts(query.changed_since))
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params

    def _add_series_columns(self) -> set[str]:
        columns = {row[1] for row in self._db.execute("PRAGMA table_xinfo(posts)")}
        for name, path in _SERIES_COLUMNS.items():
            if name not in columns:
                try:
                    with self._transaction():
                        self._db.execute(f"ALTER TABLE posts ADD COLUMN {name}")
                        self._db.execute(f"UPDATE posts SET {name} = json_extract(doc, '{path}')")
                except sqlite3.OperationalError:  # another process added it first
                    pass
                columns.add(name)
        self._db.execute(_SERIES_INDEX)
        if "changed_at" not in columns:  # files made before it: what they hold counts as changed when crawled
            try:
                with self._transaction():
                    self._db.execute("ALTER TABLE posts ADD COLUMN changed_at REAL")
                    self._db.execute("UPDATE posts SET changed_at = crawled_at")
            except sqlite3.OperationalError:  # another process added it first
                pass
            columns.add("changed_at")
        self._db.execute("CREATE INDEX IF NOT EXISTS posts_changed ON posts (changed_at)")
        self._db.execute("CREATE INDEX IF NOT EXISTS posts_cluster ON posts (cluster_id, created_at)")
        incident_columns = {row[1] for row in self._db.execute("PRAGMA table_xinfo(incidents)")}
        if "version" not in incident_columns:  # files made before staff changes were versioned
            try:
                self._db.execute("ALTER TABLE incidents ADD COLUMN version INTEGER NOT NULL DEFAULT 1")
            except sqlite3.OperationalError:  # another process added it first
                pass
        return columns

    @_reading
    def count_buckets(self, since: datetime, until: datetime, bucket: timedelta,
                      by: Sequence[str] = ("sector", "municipality", "district"),
                      complaints_only: bool = True) -> list[BucketCount]:
        check_series_fields(by)
        # A field without a column of its own (cluster_id) is read from the document.
        fields = [name if name in self._columns else f"json_extract(doc, '$.{name}')" for name in by]
        step = bucket.total_seconds()
        where = "created_at >= ? AND created_at < ?" + (" AND is_complaint = 1" if complaints_only else "")
        keys = "".join(f"{field}, " for field in fields)
        rows = self._db.execute(
            f"SELECT {keys}CAST(created_at / ? AS INTEGER) AS slot, count(*) FROM posts"
            f" INDEXED BY {'posts_series' if complaints_only else 'posts_created'} WHERE {where}"
            f" GROUP BY {keys}slot", (step, _ts(since), _ts(until))).fetchall()
        return [BucketCount(tuple(row[:-2]), datetime.fromtimestamp(row[-2] * step, timezone.utc), int(row[-1]))
                for row in rows]

    @_reading
    def get_cursor(self, source_id: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT cursor FROM cursors WHERE source_id = ?",
                               (source_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_cursor(self, source_id: str, cursor: dict[str, Any]) -> None:
        try:
            self._write_cursor(source_id, cursor)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path}: {exc}") from exc

    def _write_cursor(self, source_id: str, cursor: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT INTO cursors (source_id, cursor, updated_at) VALUES (?, ?, ?) ON CONFLICT"
            " (source_id) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
            (source_id, json.dumps(cursor), datetime.now(timezone.utc).timestamp()))

    @_reading
    def comment_counts(self, source_id: str, since: datetime) -> dict[str, int]:
        rows = self._db.execute(
            "SELECT p.id, (SELECT count(*) FROM posts AS c WHERE c.thread_root = p.id)"
            " FROM posts AS p WHERE p.source_id = ? AND p.kind = 'post' AND p.created_at >= ?",
            (source_id, _ts(since)))
        return {post_id: int(n) for post_id, n in rows}

    def upsert_incidents(self, incidents: Sequence[Incident]) -> None:
        now = datetime.now(timezone.utc).timestamp()
        rows = [(i.id, i.queue, i.status, i.sector, i.territory.municipality if i.territory else None,
                 i.territory.district if i.territory else None, _ts(i.opened_at), _ts(i.deadline),
                 json.dumps(i.to_dict(), ensure_ascii=False), now) for i in incidents]
        try:
            with self._transaction():
                self._db.executemany(_UPSERT_INCIDENT, rows)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path}: {exc}") from exc

    def update_incident(self, incident: Incident) -> Incident:
        staff = incident.staff_part()
        values = [json.dumps(staff[name], ensure_ascii=False) for name in STAFF_FIELDS]
        try:
            with self._transaction():
                cursor = self._db.execute(_UPDATE_STAFF, (incident.status, *values, json.dumps(incident.overdue()),
                                                          incident.id, int(incident.version or 0)))
                if cursor.rowcount == 0:
                    raise VersionConflict(incident.id, incident.version)
                row = self._db.execute("SELECT version FROM incidents WHERE id = ?", (incident.id,)).fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path}: {exc}") from exc
        return dataclasses.replace(incident, version=str(row[0]))

    @_reading
    def get_incident(self, incident_id: str) -> Incident | None:
        row = self._db.execute("SELECT doc, version FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        return Incident.from_dict(json.loads(row[0]), str(row[1])) if row else None

    @_reading
    def find_incidents(self, query: IncidentQuery) -> list[Incident]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("queue", query.queue), ("sector", query.sector),
                              ("municipality", query.municipality), ("district", query.district)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if query.status:
            clauses.append(f"status IN ({','.join('?' * len(query.status))})")
            params.extend(query.status)
        if query.since is not None:
            clauses.append("opened_at >= ?")
            params.append(_ts(query.since))
        # ISO 8601 in UTC, as every time is stored: compares as text
        for path, moment in (("$.status_at", query.status_since), ("$.updated_at", query.updated_since)):
            if moment is not None:
                clauses.append(f"doc ->> '{path}' >= ?")
                params.append(moment.astimezone(timezone.utc).isoformat())
        if query.due_since is not None:
            clauses.append("deadline >= ?")
            params.append(_ts(query.due_since))
        if query.due_until is not None:
            clauses.append("deadline < ?")
            params.append(_ts(query.due_until))
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self._db.execute(f"SELECT doc, version FROM incidents {where} ORDER BY deadline IS NULL, deadline,"
                                " opened_at DESC LIMIT ?", (*params, query.limit)).fetchall()
        return [Incident.from_dict(json.loads(doc), str(version)) for doc, version in rows]

    def close(self) -> None:
        self._db.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error (autocommit mode is on otherwise)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
