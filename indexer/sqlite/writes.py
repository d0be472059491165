"""The crawl's and the detector's writes of posts on the embedded store, a batch at a time.

A batch of new posts is a few statements whatever its size: each inserts up to 256 rows at once
(``INSERT … VALUES (…), (…)``), from a fixed ladder of sizes so SQLite prepares each shape once.
One statement per run of rows, not one per row as ``executemany`` steps: the sqlite3 module
releases the GIL around every step, and a writer thread that must then wait for the crawl's
reactor thread to give it back stalls both. Rows are not passed as one JSON array either
(``json_each``): SQLite 3.40 parses a row's JSON once for every column read from it, which cost
more than the rest of the insert (50 of ~90 µs a post).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from typing import Any, Iterator, Mapping, Sequence

import orjson

from indexer.schema import DETECTOR_FIELDS, Post
from indexer.sqlite import keys
from indexer.sqlite.schema import POST_COLUMNS
from indexer.store import UpsertResult
from indexer.text import search_terms_many

_LADDER = (256, 64, 16, 4, 1)  # rows a statement writes: a batch of 500 is 8 statements
# Documents come as orjson's UTF-8 bytes, taken as text by SQLite as they are (no decode, no encode).
_DOC = "CAST(? AS TEXT)"
_INSERT = f"INSERT INTO posts ({', '.join(POST_COLUMNS)}) {{values}}"
_INSERT_ROW = ", ".join(_DOC if name == "doc" else "?" for name in POST_COLUMNS)
# A re-crawl rewrites the crawl's columns, and the document with the detector's fields taken from
# the stored one (json_patch: the new document, then the stored detector fields over it).
_KEEP_FINDINGS = "json_object(" + ", ".join(f"'{name}', posts.doc -> '$.{name}'" for name in DETECTOR_FIELDS) + ")"
_UPDATE = ("UPDATE posts SET (platform, source_id, kind, parent_id, thread_root, created_at, crawled_at, doc,"
           " changed_at) = (v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7,"
           f" json_patch(v.column8, {_KEEP_FINDINGS}), CASE WHEN v.column9 THEN v.column10 ELSE posts.changed_at"
           " END) FROM ({values}) AS v WHERE posts.rowid = v.column11")
_UPDATE_ROW = ", ".join(["?"] * 7 + [_DOC] + ["?"] * 3)
_INDEX = "INSERT INTO posts_fts (rowid, stems) {values}"
FULL = f"more than {keys.PER_MS:,} posts created in the same millisecond"
# Columns the detector's fields also fill, by field: what ``write_findings`` keeps in step.
_FINDING_COLUMNS = {"is_complaint": ("is_complaint",), "sector": ("sector",),
                    "territory": ("municipality", "district", "street"), "cluster_id": ("cluster_id",)}


def write_posts(db: Any, posts: Sequence[Post]) -> UpsertResult:
    """Insert new posts under time keys, update known ones (a changed creation time moves the row),
    and index the stems of every new or changed text. Runs inside the caller's transaction."""
    latest = {post.id: post for post in posts}  # a batch may see one item twice: keep the last
    known = _known(db, list(latest))
    batch = _Batch({post.id: _ts(post.created_at) for post in latest.values()})
    fresh = [post for post in latest.values() if post.id not in known]
    moving = [post for post in latest.values() if post.id in known
              and keys.region(batch.created[post.id]) != keys.region(known[post.id][3])]
    new_keys = iter(_allocate(db, [batch.created[post.id] for post in fresh + moving]))
    for post in fresh:
        batch.insert(post, next(new_keys))
    for post in moving:
        batch.move(db, post, known[post.id][0], next(new_keys))
    for post in latest.values():
        if post.id in known and post.id not in batch.refused:
            batch.update(post, *known[post.id][:3])
    _run(db, _INSERT, _INSERT_ROW, batch.rows)
    _run(db, _UPDATE, _UPDATE_ROW, batch.updates)
    _index(db, batch.unindexed, batch.indexed)
    return batch.result()


@dataclass
class _Batch:
    """What one batch writes: rows to insert and to update, full-text entries to drop and to add."""

    created: dict[str, float | None]  # post id → creation time
    now: float = field(default_factory=lambda: datetime.now(timezone.utc).timestamp())
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    updates: list[list[Any]] = field(default_factory=list)
    indexed: list[tuple[int, Post]] = field(default_factory=list)
    unindexed: list[int] = field(default_factory=list)
    moved: dict[str, int] = field(default_factory=dict)  # post id → its new key
    refused: dict[str, Post] = field(default_factory=dict)

    def insert(self, post: Post, key: int | None) -> None:
        if key is None:
            self.refused[post.id] = post
            return
        values = _crawl_values(post, self.created[post.id])
        self.rows.append((key, post.id, *values[:7], self.now, values[7], *_finding_values(post)))
        self.indexed.append((key, post))

    def move(self, db: Any, post: Post, old: int, key: int | None) -> None:
        if key is None:
            self.refused[post.id] = post
            return
        _move(db, old, key)
        self.moved[post.id] = key
        self.unindexed.append(old)
        self.indexed.append((key, post))

    def update(self, post: Post, rowid: int, old_text: str | None, old_title: str | None) -> None:
        changed = old_text != post.text or old_title != post.title
        rowid = self.moved.get(post.id, rowid)
        self.updates.append([*_crawl_values(post, self.created[post.id]), changed, self.now, rowid])
        if old_text != post.text and post.id not in self.moved:
            self.unindexed.append(rowid)
            self.indexed.append((rowid, post))

    def result(self) -> UpsertResult:
        rejected = [(post, FULL) for post in self.refused.values()]
        return UpsertResult(new=len(self.rows), updated=len(self.updates), rejected=rejected,
                            failures={FULL: len(rejected)} if rejected else {})


def _known(db: Any, ids: list[str]) -> dict[str, tuple[int, str | None, str | None, float | None]]:
    """id → (rowid, text, title, created_at) of the stored ones among ``ids``, in one row (one
    GIL hand-over, not one per row)."""
    row = db.execute("SELECT json_group_array(json_array(id, rowid, doc ->> '$.text', doc ->> '$.title',"
                     " created_at)) FROM posts WHERE id IN (SELECT value FROM json_each(?))",
                     (_json(ids),)).fetchone()
    return {post_id: (rowid, text, title, created) for post_id, rowid, text, title, created in orjson.loads(row[0])}


def _allocate(db: Any, created: list[float | None]) -> list[int | None]:
    """Time keys for posts created at ``created``, after the last key taken in each millisecond."""
    regions = [keys.region(moment) for moment in created]
    if not regions:
        return []
    row = db.execute("SELECT json_group_array(json_array(value ->> 0, (SELECT max(rowid) FROM posts"
                     " WHERE rowid >= value ->> 0 AND rowid < value ->> 1))) FROM json_each(?)",
                     (_json([list(r) for r in set(regions)]),)).fetchone()
    taken = {start: last for start, last in orjson.loads(row[0]) if last is not None}
    return keys.assign(regions, taken)


def _move(db: Any, old: int, new: int) -> None:
    """A stored post whose creation time changed: its row, and its band keys, to its new key."""
    bands = db.execute("SELECT doc -> '$.bands' FROM posts WHERE rowid = ?", (old,)).fetchone()[0]
    db.execute("UPDATE posts SET rowid = ? WHERE rowid = ?", (new, old))
    if bands and bands != "null":
        db.execute("UPDATE post_bands SET post = ? WHERE post = ? AND band IN (SELECT value FROM json_each(?))",
                   (new, old, _json([int(k, 16) for k in orjson.loads(bands)])))


def _finding_values(post: Post) -> tuple[Any, ...]:
    """The detector's columns: is_complaint … cluster_id (a post may come with them, from a spool)."""
    place = post.territory
    return (None if post.is_complaint is None else int(post.is_complaint), post.sector,
            place.municipality if place else None, place.district if place else None,
            place.street if place else None, post.cluster_id)


def _crawl_values(post: Post, created: float | None) -> list[Any]:
    """The crawl's columns in ``_UPDATE``'s order: platform … crawled_at, then the document."""
    return [post.platform, post.source_id, post.kind, post.parent_id, post.thread_root,
            created, _ts(post.crawled_at), orjson.dumps(post.to_document())]


def _index(db: Any, unindexed: list[int], indexed: list[tuple[int, Post]]) -> None:
    if unindexed:
        db.execute("DELETE FROM posts_fts WHERE rowid IN (SELECT value FROM json_each(?))", (_json(unindexed),))
    # In rowid order: FTS5 writes out what it holds each time a rowid comes below the last one.
    indexed.sort(key=lambda pair: pair[0])
    terms = search_terms_many([post.full_text for _, post in indexed])  # a repost: its original's words too
    _run(db, _INDEX, "?, ?", [(key, stems) for (key, _), stems in zip(indexed, terms, strict=True)])


def _run(db: Any, template: str, row: str, rows: Sequence[Sequence[Any]]) -> None:
    """``template`` with its ``{values}`` for ``rows`` (each with the placeholders ``row``), a
    ladder step at a time."""
    for chunk in _chunks(rows):
        db.execute(_statement(template, row, len(chunk)), list(itertools.chain.from_iterable(chunk)))


def _chunks(rows: Sequence[Sequence[Any]]) -> Iterator[Sequence[Sequence[Any]]]:
    start = 0
    for size in _LADDER:
        while len(rows) - start >= size:
            yield rows[start:start + size]
            start += size


@cache
def _statement(template: str, row: str, count: int) -> str:
    one = f"({row})"
    return template.format(values="VALUES " + ", ".join([one] * count))


def write_findings(db: Any, findings: Mapping[str, Mapping[str, Any]]) -> int:
    """The detector's fields, one statement per set of fields (a batch usually has one): json_set
    replaces each field whole, as a partial document merge would not (a stale key would survive in
    fake_evidence). Runs inside the caller's transaction."""
    by_fields: dict[tuple[str, ...], list[list[Any]]] = {}
    for post_id, found in findings.items():
        unknown = set(found) - set(DETECTOR_FIELDS)
        if unknown:
            raise ValueError(f"update_findings: {sorted(unknown)} are not the detector's fields")
        names = tuple(sorted(found))
        by_fields.setdefault(names, []).append([post_id, *(found[n] for n in names)])
    return sum(_write_findings(db, names, rows) for names, rows in by_fields.items())


def _write_findings(db: Any, names: tuple[str, ...], rows: list[list[Any]]) -> int:
    paths = ", ".join(f"'$.{name}', value -> {n + 1}" for n, name in enumerate(names))
    columns = [f"doc = json_set(posts.doc, {paths})"]
    for n, name in enumerate(names, 1):
        if name == "is_complaint":
            columns.append(f"is_complaint = CAST(value ->> {n} AS INTEGER)")
        elif name in ("sector", "cluster_id"):
            columns.append(f"{name} = value ->> {n}")
        elif name == "territory":
            columns += [f"{column} = value -> {n} ->> '$.{column}'" for column in _FINDING_COLUMNS[name]]
    cursor = db.execute(f"UPDATE posts SET {', '.join(columns)} FROM json_each(?)"
                        " WHERE posts.id = value ->> 0", (_json(rows),))
    if "bands" in names:  # kept as integers in their own table, for Query.bands
        keys_at = names.index("bands") + 1
        db.execute("INSERT OR IGNORE INTO post_bands (band, post) SELECT key.value, posts.rowid"
                   " FROM json_each(?) AS row JOIN posts ON posts.id = row.value ->> 0,"
                   " json_each(row.value -> 1) AS key",
                   (_json([[row[0], [int(k, 16) for k in row[keys_at] or ()]] for row in rows]),))
    return int(cursor.rowcount)


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _json(value: Any) -> str:
    """orjson: ~3.5x faster than json here, and this runs on the writer thread."""
    return orjson.dumps(value).decode()
