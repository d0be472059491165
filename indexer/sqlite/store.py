"""The embedded default store: one SQLite file (WAL) with FTS5 over Snowball stems.

One machine runs everything with no server. ``posts`` keeps the whole post as JSON plus the
columns queries filter on, under rowids in creation order (``keys.py``), so the newest posts come
first from any index without a sort; ``posts_fts`` indexes the stems of the text (see
``indexer.text``), so searches match Russian word forms; ``cursors`` keeps each source's crawl
cursor, ``incidents`` the detector's and the staff's incidents. The tables and the move of older
files: ``schema.py``; the writes of posts: ``writes.py``; searches and counts: ``queries.py``.

Reads ``INDEXER_SQLITE_CACHE_MB`` (the page cache of each connection).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, ParamSpec, Sequence, TypeVar

import orjson

from indexer.erasure import ErasureRecord, ForgetResult, Selector
from indexer.exceptions import StoreConfigError, StoreUnavailable, VersionConflict
from indexer.schema import STAFF_FIELDS, STAFF_WRITES, Incident, Post
from indexer.sqlite import erasure, keys, queries, schema
from indexer.sqlite.writes import write_findings, write_posts
from indexer.store import BucketCount, IncidentQuery, Query, UpsertResult, check_series_fields, holding_keys

_P = ParamSpec("_P")
_T = TypeVar("_T")

CACHE_MB = 64  # INDEXER_SQLITE_CACHE_MB's default: the indexes a crawl's writes touch, at a million posts

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
    + ", ".join(f"'$.{name}', json(?)" for name in STAFF_WRITES) + ", '$.overdue', json(?))"
    " WHERE id = ? AND version = ?")


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


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


class SqliteStore:
    """A :class:`~indexer.store.Store` in one SQLite file."""

    def __init__(self, path: Path | str, cache_mb: int = CACHE_MB) -> None:
        if sqlite3.sqlite_version_info < (3, 38):  # ->> and json_each as the writes use them
            raise StoreUnavailable(f"SQLite {sqlite3.sqlite_version} is too old for the store: it needs 3.38 "
                                   "or newer (Debian 12 has 3.40)")
        self.path = Path(path)
        try:
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
                if not self.path.exists():  # 0600 whatever the umask (SQLite gives -wal and -shm its mode)
                    os.close(os.open(self.path, os.O_RDONLY | os.O_CREAT, 0o600))
            self._db = schema.connect(str(self.path), cache_mb)
        except (OSError, sqlite3.Error) as exc:  # not a database, damaged, locked, not writable
            raise StoreUnavailable(f"SQLite store {self.path}: cannot open it: {exc}") from exc

    @classmethod
    def from_url(cls, url: str, options: Mapping[str, Any] | None = None) -> SqliteStore:
        """``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` or a bare path."""
        path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
        if "://" in path or not path:
            raise StoreConfigError(f"INDEXER_STORE_URL={url!r}: expected sqlite:///path or http(s)://host")
        cache = (options or {}).get("INDEXER_SQLITE_CACHE_MB") or CACHE_MB
        try:
            cache_mb = int(cache)
        except ValueError:
            raise StoreConfigError(f"INDEXER_SQLITE_CACHE_MB={cache!r}: expected a whole number of MiB") from None
        try:
            return cls(Path(path), cache_mb)
        except (sqlite3.Error, OSError) as exc:  # not a database, a folder, no permission, a full disk
            raise StoreUnavailable(f"SQLite store {path}: cannot open it: {exc}") from exc

    def upsert(self, posts: Sequence[Post]) -> UpsertResult:
        try:
            with self._transaction():
                return write_posts(self._db, posts)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path}: {exc}") from exc

    def update_findings(self, findings: Mapping[str, Mapping[str, Any]]) -> int:
        try:
            with self._transaction():
                return write_findings(self._db, findings)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path}: {exc}") from exc

    @_reading
    def get(self, post_id: str) -> Post | None:
        row = self._db.execute("SELECT doc FROM posts WHERE id = ?", (post_id,)).fetchone()
        return Post.from_dict(orjson.loads(row[0])) if row else None

    @_reading
    def search(self, query: Query) -> list[Post]:
        sql, params = queries.search(query)
        return [Post.from_dict(orjson.loads(doc)) for (doc,) in self._db.execute(sql, params).fetchall()]

    @_reading
    def count(self, query: Query) -> int:
        sql, params = queries.count(query)
        return int(self._db.execute(sql, params).fetchone()[0])

    @_reading
    def count_buckets(self, since: datetime, until: datetime, bucket: timedelta,
                      by: Sequence[str] = ("sector", "municipality", "district"),
                      complaints_only: bool = True) -> list[BucketCount]:
        check_series_fields(by)
        fields = list(by)  # each has a column of its own
        step = bucket.total_seconds()
        where = "created_at >= ? AND created_at < ?" + (" AND is_complaint = 1" if complaints_only else "")
        names = "".join(f"{field}, " for field in fields)
        rows = self._db.execute(
            f"SELECT {names}CAST(created_at / ? AS INTEGER) AS slot, count(*) FROM posts"
            f" INDEXED BY {'posts_complaints' if complaints_only else 'posts_created'} WHERE {where}"
            f" GROUP BY {names}slot", (step, _ts(since), _ts(until))).fetchall()
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
    def get_source_health(self, source_id: str) -> dict[str, Any] | None:
        return self.source_health((source_id,)).get(source_id)

    @_reading
    def source_health(self, source_ids: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
        if not self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'source_health'").fetchone():
            return {}  # a file no crawl has recorded health in yet
        rows = self._db.execute("SELECT source_id, health FROM source_health").fetchall()
        wanted = None if source_ids is None else set(source_ids)
        return {row[0]: json.loads(row[1]) for row in rows if wanted is None or row[0] in wanted}

    def set_source_health(self, source_id: str, health: dict[str, Any]) -> None:
        try:
            self._db.execute(schema.SOURCE_HEALTH)
            self._db.execute(
                "INSERT INTO source_health (source_id, health, updated_at) VALUES (?, ?, ?) ON CONFLICT"
                " (source_id) DO UPDATE SET health = excluded.health, updated_at = excluded.updated_at",
                (source_id, json.dumps(health, ensure_ascii=False), datetime.now(timezone.utc).timestamp()))
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path}: {exc}") from exc

    @_reading
    def comment_counts(self, source_id: str, since: datetime) -> dict[str, int]:
        rows = self._db.execute(
            "SELECT p.id, (SELECT count(*) FROM posts AS c WHERE c.thread_root = p.id)"
            " FROM posts AS p WHERE p.source_id = ? AND p.kind = 'post' AND p.rowid >= ? AND p.created_at >= ?",
            (source_id, keys.lowest(since.timestamp()), since.timestamp()))
        return {post_id: int(n) for post_id, n in rows}

    def upsert_incidents(self, incidents: Sequence[Incident]) -> None:
        now = datetime.now(timezone.utc).timestamp()
        try:
            with self._transaction():
                incidents = self._with_stored_moves(incidents)
                rows = [(i.id, i.queue, i.status, i.sector, i.territory.municipality if i.territory else None,
                         i.territory.district if i.territory else None, _ts(i.opened_at), _ts(i.deadline),
                         orjson.dumps(i.to_dict()).decode(), now) for i in incidents]
                held = orjson.dumps([[i.id, sorted(holding_keys(i))] for i in incidents]).decode()
                self._db.executemany(_UPSERT_INCIDENT, rows)
                # what each holds, afresh: a post or cluster joined, a street found
                self._db.execute("DELETE FROM incident_keys WHERE incident IN"
                                 " (SELECT value ->> 0 FROM json_each(?))", (held,))
                self._db.execute("INSERT OR IGNORE INTO incident_keys (key, incident) SELECT key.value,"
                                 " row.value ->> 0 FROM json_each(?) AS row, json_each(row.value -> 1) AS key",
                                 (held,))
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path}: {exc}") from exc

    def _with_stored_moves(self, incidents: Sequence[Incident]) -> list[Incident]:
        """The detector's copies with the posts staff moved since it read them (a merge, a split)
        applied: its write never puts a moved post back."""
        ids = orjson.dumps([i.id for i in incidents]).decode()
        moves = {row[0]: (orjson.loads(row[1] or "[]"), orjson.loads(row[2] or "[]")) for row in self._db.execute(
            "SELECT id, doc -> '$.added_posts', doc -> '$.excluded_posts' FROM incidents WHERE id IN"
            " (SELECT value FROM json_each(?)) AND (json_array_length(doc, '$.added_posts') > 0"
            " OR json_array_length(doc, '$.excluded_posts') > 0)", (ids,))}
        moved = []
        for incident in incidents:
            if incident.id in moves:
                incident = dataclasses.replace(incident, added_posts=moves[incident.id][0],
                                               excluded_posts=moves[incident.id][1])
                incident.apply_moves()
            moved.append(incident)
        return moved

    def update_incident(self, incident: Incident) -> Incident:
        staff = incident.staff_part()
        values = [json.dumps(staff[name], ensure_ascii=False) for name in STAFF_WRITES]
        try:
            with self._transaction():
                cursor = self._db.execute(_UPDATE_STAFF, (incident.status, *values, json.dumps(incident.overdue()),
                                                          incident.id, int(incident.version or 0)))
                if cursor.rowcount == 0:
                    raise VersionConflict(incident.id, incident.version)
                if incident.added_posts or incident.excluded_posts:  # posts moved: what it holds follows
                    self._db.execute("DELETE FROM incident_keys WHERE incident = ?", (incident.id,))
                    self._db.executemany("INSERT OR IGNORE INTO incident_keys (key, incident) VALUES (?, ?)",
                                         [(key, incident.id) for key in sorted(holding_keys(incident))])
                row = self._db.execute("SELECT version FROM incidents WHERE id = ?", (incident.id,)).fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path}: {exc}") from exc
        return dataclasses.replace(incident, version=str(row[0]))

    @_reading
    def get_incident(self, incident_id: str) -> Incident | None:
        row = self._db.execute("SELECT doc, version FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        return Incident.from_dict(orjson.loads(row[0]), str(row[1])) if row else None

    @_reading
    def find_incidents(self, query: IncidentQuery) -> list[Incident]:
        where, params = _incident_filter(query)
        rows = self._db.execute(f"SELECT doc, version FROM incidents {where} ORDER BY deadline IS NULL, deadline,"
                                " opened_at DESC LIMIT ? OFFSET ?", (*params, query.limit, query.offset)).fetchall()
        return [Incident.from_dict(orjson.loads(doc), str(version)) for doc, version in rows]

    def forget(self, selector: Selector) -> ForgetResult:
        removed, reposts = self._write(erasure.forget, selector)
        return ForgetResult(removed=removed, reposts=reposts)

    def expire(self, posts_before: datetime | None, incidents_closed_before: datetime | None) -> dict[str, int]:
        counts = {"posts": 0, "comments": 0, "incidents": 0}
        if posts_before is not None:
            counts.update(self._write(erasure.expire_posts, posts_before))
        if incidents_closed_before is not None:
            counts["incidents"] = self._write(erasure.expire_incidents, incidents_closed_before)
        return counts

    def record_erasure(self, record: ErasureRecord) -> None:
        self._write(erasure.record, record)

    @_reading
    def erasures(self) -> list[ErasureRecord]:
        return erasure.records(self._db)

    def _write(self, write: Callable[..., _T], *args: Any) -> _T:
        """``write(db, *args)`` in one transaction; a failure raises StoreUnavailable."""
        try:
            with self._transaction():
                return write(self._db, *args)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"SQLite store {self.path}: {exc}") from exc

    def count_incidents(self, query: IncidentQuery) -> int:
        where, params = _incident_filter(query)
        return int(self._db.execute(f"SELECT count(*) FROM incidents {where}", params).fetchone()[0])

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


def _incident_filter(query: IncidentQuery) -> tuple[str, list[Any]]:
    """The WHERE clause of ``query`` and its parameters."""
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
    if query.until is not None:
        clauses.append("opened_at < ?")
        params.append(_ts(query.until))
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
    if query.holding is not None:
        clauses.append("id IN (SELECT incident FROM incident_keys WHERE key IN (SELECT value FROM json_each(?)))")
        params.append(orjson.dumps(sorted(query.holding.keys())).decode())
    if query.body is not None:
        clauses.append("doc ->> '$.body' = ?")
        params.append(query.body)
    if query.overdue_at is not None:
        clauses.append("status IN ('new', 'assigned') AND deadline < ?")
        params.append(_ts(query.overdue_at))
    return (("WHERE " + " AND ".join(clauses)) if clauses else ""), params
