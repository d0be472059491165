"""The embedded store's erasures and retention: posts deleted with their full-text and band-key
rows, closed incidents deleted after their time, and the erasure log (``erasures``).

Every function runs inside the caller's transaction. The rows to delete are first put in a
temporary table, so the posts, ``posts_fts`` and ``post_bands`` lose the same rows.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import orjson

from indexer.erasure import ErasureRecord, Selector
from indexer.schema import Post
from indexer.sqlite import keys
from indexer.text import search_terms_many

_GONE = "CREATE TEMP TABLE IF NOT EXISTS gone (rowid INTEGER PRIMARY KEY)"


def forget(db: Any, selector: Selector) -> tuple[list[Post], int]:
    """Delete the posts and comments ``selector`` names, and take what others' reposts and forwards
    showed of them out of those (the document and the full-text index); returns the deleted posts
    as they were and how many reposts changed. One read of the table (an author's posts are found
    by a scan: an erasure is rare, and an index on authors would cost every crawl's write)."""
    if selector.kind == "author":
        own = "doc ->> '$.author.id' = ?2"
        where = f"platform = ?1 AND ({own} OR doc ->> '$.origin.author.id' = ?2)"
        params: tuple[str, ...] = selector.platform_and_author
    elif selector.kind == "post":
        own, where, params = "id = ?1", "id = ?1 OR doc ->> '$.origin.id' = ?1", (selector.value,)
    else:
        raise ValueError(f"forget: a selector of kind author or post, not {selector.kind!r}")
    rows = db.execute(f"SELECT rowid, doc, {own} FROM posts WHERE {where}", params).fetchall()
    removed = [Post.from_dict(orjson.loads(doc)) for _, doc, mine in rows if mine]
    _delete(db, "SELECT value FROM json_each(?)", (orjson.dumps([r for r, _, mine in rows if mine]).decode(),))
    _clear_origins(db, [(rowid, Post.from_dict(orjson.loads(doc))) for rowid, doc, mine in rows if not mine])
    return removed, len(rows) - len(removed)


def _clear_origins(db: Any, reposts: list[tuple[int, Post]]) -> None:
    for _, post in reposts:
        post.origin = None
    rowids = orjson.dumps([rowid for rowid, _ in reposts]).decode()
    db.execute("UPDATE posts SET doc = json_set(doc, '$.origin', NULL) WHERE rowid IN (SELECT value FROM json_each(?))",
               (rowids,))
    db.execute("DELETE FROM posts_fts WHERE rowid IN (SELECT value FROM json_each(?))", (rowids,))
    terms = search_terms_many([post.full_text for _, post in reposts])
    db.executemany("INSERT INTO posts_fts (rowid, stems) VALUES (?, ?)",
                   [(rowid, stems) for (rowid, _), stems in zip(reposts, terms, strict=True)])


def expire_posts(db: Any, before: datetime) -> dict[str, int]:
    """Delete the posts and comments created before ``before`` (undated ones: crawled before);
    returns how many of each kind went. Dated posts are a rowid range (keys.py)."""
    moment = before.timestamp()
    select = ("SELECT rowid FROM posts WHERE (rowid >= ? AND rowid < ?)"
              " OR (rowid < ? AND coalesce(crawled_at, 0) < ?)")
    params = (keys.DATED, keys.lowest(moment), keys.DATED, moment)
    counts = dict(db.execute(f"SELECT kind, count(*) FROM posts WHERE rowid IN ({select}) GROUP BY kind",
                             params).fetchall())
    _delete(db, select, params)
    return {"posts": int(counts.get("post", 0)), "comments": int(counts.get("comment", 0))}


def expire_incidents(db: Any, closed_before: datetime) -> int:
    """Delete the incidents closed before ``closed_before``, and what they held; how many went."""
    # ISO 8601 in UTC, as every time is stored: compares as text
    moment = closed_before.astimezone(timezone.utc).isoformat()
    ids = [row[0] for row in db.execute(
        "SELECT id FROM incidents WHERE status = 'closed' AND coalesce(doc ->> '$.closed_at',"
        " doc ->> '$.status_at', doc ->> '$.opened_at') < ?", (moment,)).fetchall()]
    delete_incidents(db, ids)
    return len(ids)


def delete_incidents(db: Any, ids: list[str]) -> None:
    chosen = orjson.dumps(ids).decode()
    db.execute("DELETE FROM incident_keys WHERE incident IN (SELECT value FROM json_each(?))", (chosen,))
    db.execute("DELETE FROM incidents WHERE id IN (SELECT value FROM json_each(?))", (chosen,))


def record(db: Any, entry: ErasureRecord) -> None:
    db.execute("INSERT INTO erasures (id, at, kind, value, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE"
               " SET doc = excluded.doc", (entry.id, entry.at.timestamp(), entry.selector.kind, entry.selector.value,
                                           orjson.dumps(entry.to_dict()).decode()))


def records(db: Any) -> list[ErasureRecord]:
    """Every erasure and retention run, in the order they were made."""
    return [ErasureRecord.from_dict(orjson.loads(doc))
            for (doc,) in db.execute("SELECT doc FROM erasures ORDER BY id").fetchall()]


def _delete(db: Any, select: str, params: tuple[Any, ...]) -> None:
    db.execute(_GONE)
    db.execute("DELETE FROM temp.gone")
    db.execute(f"INSERT INTO temp.gone (rowid) {select}", params)
    db.execute("DELETE FROM posts_fts WHERE rowid IN (SELECT rowid FROM temp.gone)")
    db.execute("DELETE FROM post_bands WHERE post IN (SELECT rowid FROM temp.gone)")
    db.execute("DELETE FROM posts WHERE rowid IN (SELECT rowid FROM temp.gone)")
    db.execute("DELETE FROM temp.gone")
