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


def forget_posts(db: Any, selector: Selector) -> list[Post]:
    """Delete the posts and comments ``selector`` names; returns them as they were."""
    params: tuple[str, ...]
    if selector.kind == "author":
        where, params = "platform = ? AND doc ->> '$.author.id' = ?", selector.platform_and_author
    elif selector.kind == "post":
        where, params = "id = ?", (selector.value,)
    else:
        raise ValueError(f"forget: a selector of kind author or post, not {selector.kind!r}")
    removed = [Post.from_dict(orjson.loads(doc)) for (doc,) in
               db.execute(f"SELECT doc FROM posts WHERE {where}", params).fetchall()]
    _delete(db, f"SELECT rowid FROM posts WHERE {where}", params)
    return removed


def clear_origins(db: Any, selector: Selector) -> int:
    """Others' reposts and forwards of what ``selector`` names lose what they showed of it (the
    original's author and text), in the document and in the full-text index; how many."""
    params: tuple[str, ...]
    if selector.kind == "author":
        where, params = "platform = ? AND doc ->> '$.origin.author.id' = ?", selector.platform_and_author
    else:
        where, params = "doc ->> '$.origin.id' = ?", (selector.value,)
    rows = db.execute(f"SELECT rowid, doc FROM posts WHERE {where}", params).fetchall()
    posts = [Post.from_dict(orjson.loads(doc)) for _, doc in rows]
    for post in posts:
        post.origin = None
    rowids = orjson.dumps([rowid for rowid, _ in rows]).decode()
    db.execute("UPDATE posts SET doc = json_set(doc, '$.origin', NULL) WHERE rowid IN (SELECT value FROM json_each(?))",
               (rowids,))
    db.execute("DELETE FROM posts_fts WHERE rowid IN (SELECT value FROM json_each(?))", (rowids,))
    terms = search_terms_many([post.full_text for post in posts])
    db.executemany("INSERT INTO posts_fts (rowid, stems) VALUES (?, ?)",
                   [(rowid, stems) for (rowid, _), stems in zip(rows, terms, strict=True)])
    return len(rows)


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
