"""A :class:`~indexer.store.Query` as SQL on the embedded store.

Rowids are creation times (``keys.py``), so "newest first" is "rowid descending": the table, its
indexes (each ends in the rowid) and the full-text index all read in that order and stop at the
LIMIT. A search first picks the rowids it returns, then reads only those rows' documents, so no
sort ever carries documents. Times become rowid ranges too, checked against ``created_at`` only in
the millisecond at each end of the range (``_times``), so counts over a page, a platform or a word
in a time range read an index alone. Sorting by relevance scores the newest :data:`RANKED` matches,
not every one: for a word in a tenth of a million posts, scoring them all took a third of a second.
"""

from __future__ import annotations

from typing import Any, Sequence

import orjson

from indexer.sqlite import keys
from indexer.store import Query
from indexer.text import stems

RANKED = 10_000  # matches scored when sorting by relevance: the newest ones
_FTS = "posts_fts JOIN posts AS p ON p.rowid = posts_fts.rowid"


def search(query: Query) -> tuple[str, list[Any]]:
    """The documents of the rows ``query`` asks for, in its order."""
    picked, key, params = _pick(query)
    if query.text and query.sort == "relevance":
        scored = picked.replace("SELECT posts_fts.rowid", "SELECT posts_fts.rowid AS key, bm25(posts_fts) AS score", 1)
        return (f"SELECT posts.doc FROM posts JOIN (SELECT key, score FROM ({scored} ORDER BY {key} DESC LIMIT ?)"
                " ORDER BY score, key DESC LIMIT ?) AS top ON posts.rowid = top.key ORDER BY top.score, top.key DESC",
                [*params, RANKED, query.limit])
    return (f"SELECT doc FROM posts WHERE rowid IN ({picked} ORDER BY {key} DESC LIMIT ?) ORDER BY rowid DESC",
            [*params, query.limit])


def count(query: Query) -> tuple[str, list[Any]]:
    """How many rows ``query`` asks for, from an index alone where it can: the full-text index for
    words (in a time range: its rowid range), ``posts_created`` for times alone, any other index
    with a rowid range for times and columns."""
    clauses, params = _columns(query)
    if not query.text:
        if not clauses:  # times alone (or nothing): posts_created, posts_changed
            clauses, params = _columns(query, times=True)
            return f"SELECT count(*) FROM posts AS p {_where(clauses)}", params
        times, values = _times(query, "p.rowid")
        return f"SELECT count(*) FROM posts AS p {_where([*clauses, *times])}", [*params, *values]
    if clauses:
        bounds, bound_values = _bounds(query)
        exact, exact_values = _exact(query)
        return (f"SELECT count(*) FROM {_FTS} {_where(['posts_fts MATCH ?', *bounds, *clauses, *exact])}",
                [match(query.text), *bound_values, *params, *exact_values])
    return _count_words(query)


def match(text: str) -> str:
    """An FTS5 query for every stem of ``text`` (no stems: nothing matches)."""
    return " AND ".join(f'"{term}"' for term in stems(text)) or '""'


def _pick(query: Query) -> tuple[str, str, list[Any]]:
    """The rowids ``query`` asks for, unordered, and the column to order them by."""
    clauses, params = _columns(query)
    if not query.text:
        times, values = _times(query, "p.rowid")
        # Rows changed since a moment are few and anywhere in the table: find them by posts_changed
        # and sort their rowids (unary +), rather than read the table backwards for them.
        key = "+p.rowid" if query.changed_since is not None or query.changed_until is not None else "p.rowid"
        return f"SELECT p.rowid FROM posts AS p {_where([*clauses, *times])}", key, [*params, *values]
    bounds, bound_values = _bounds(query)
    exact, exact_values = _exact(query)
    source = _FTS if clauses or exact else "posts_fts"  # the join only when a column is read
    return (f"SELECT posts_fts.rowid FROM {source} {_where(['posts_fts MATCH ?', *bounds, *clauses, *exact])}",
            "posts_fts.rowid", [match(query.text), *bound_values, *params, *exact_values])


def _count_words(query: Query) -> tuple[str, list[Any]]:
    """Words, perhaps in a time range: the full-text index counts the range's inside alone; only
    the millisecond at each end is read with its rows' creation times."""
    words = match(query.text or "")
    if query.since is None and query.until is None:
        return "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ?", [words]
    since, until = query.since.timestamp() if query.since else None, query.until.timestamp() if query.until else None
    low = keys.beyond(since) if since is not None else keys.DATED  # undated posts are in no time range
    high = keys.lowest(until) if until is not None else -keys.UNDATED
    exact, exact_values = _exact(query)
    if low >= high:  # both ends in one millisecond
        bounds, bound_values = _bounds(query)
        return (f"SELECT count(*) FROM {_FTS} {_where(['posts_fts MATCH ?', *bounds, *exact])}",
                [words, *bound_values, *exact_values])
    parts = ["(SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ? AND rowid >= ? AND rowid < ?)"]
    values: list[Any] = [words, low, high]
    for moment in (since, until):
        if moment is not None:
            parts.append(f"(SELECT count(*) FROM {_FTS} WHERE posts_fts MATCH ? AND posts_fts.rowid >= ?"
                         f" AND posts_fts.rowid < ? {''.join(' AND ' + e for e in exact)})")
            values += [words, keys.lowest(moment), keys.beyond(moment), *exact_values]
    return "SELECT " + " + ".join(parts), values


def _columns(query: Query, times: bool = False) -> tuple[list[str], list[Any]]:
    """Every condition on the row's columns but the words and (unless ``times``) the times."""
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (("p.platform", query.platform), ("p.source_id", query.source_id),
                          ("p.kind", query.kind)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    for column, values in (("p.id", query.ids), ("p.source_id", query.source_ids),
                           ("p.cluster_id", query.cluster_ids)):
        if values is not None:
            clauses.append(f"{column} IN (SELECT value FROM json_each(?))")
            params.append(_json(list(values)))
    if query.bands is not None:
        clauses.append("p.rowid IN (SELECT post FROM post_bands WHERE band IN (SELECT value FROM json_each(?)))")
        params.append(_json([int(key, 16) for key in query.bands]))
    if query.changed_since is not None:
        clauses.append("p.changed_at >= ?")
        params.append(query.changed_since.timestamp())
    if query.changed_until is not None:
        clauses.append("p.changed_at < ?")
        params.append(query.changed_until.timestamp())
    if times:
        exact, moments = _exact(query, plain=True)
        clauses += exact
        params += moments
    return clauses, params


def _times(query: Query, key: str) -> tuple[list[str], list[Any]]:
    """The time range as a range of ``key`` (a rowid), with ``created_at`` read only for rows in the
    millisecond at either end: inside it, the key alone decides."""
    clauses: list[str] = []
    values: list[Any] = []
    if query.since is not None:
        moment = query.since.timestamp()
        clauses += [f"{key} >= ?", f"({key} >= ? OR p.created_at >= ?)"]
        values += [keys.lowest(moment), keys.beyond(moment), moment]
    if query.until is not None:
        moment = query.until.timestamp()
        clauses += [f"{key} < ?", f"({key} < ? OR p.created_at < ?)"]
        values += [keys.beyond(moment), keys.lowest(moment), moment]
        if query.since is None:  # undated posts are in no time range
            clauses.append(f"{key} >= ?")
            values.append(keys.DATED)
    return clauses, values


def _bounds(query: Query) -> tuple[list[str], list[Any]]:
    """The time range as bounds on the full-text index's rowid, so its scan starts and stops there."""
    clauses: list[str] = []
    values: list[Any] = []
    if query.since is not None:
        clauses.append("posts_fts.rowid >= ?")
        values.append(keys.lowest(query.since.timestamp()))
    if query.until is not None:
        clauses.append("posts_fts.rowid < ?")
        values.append(keys.beyond(query.until.timestamp()))
    return clauses, values


def _exact(query: Query, plain: bool = False) -> tuple[list[str], list[Any]]:
    """The times on ``created_at`` itself; unary + keeps the planner off ``posts_created`` (the
    rows come in rowid order), unless ``plain``."""
    column = "p.created_at" if plain else "+p.created_at"
    clauses: list[str] = []
    values: list[Any] = []
    for moment, op in ((query.since, ">="), (query.until, "<")):
        if moment is not None:
            clauses.append(f"{column} {op} ?")
            values.append(moment.timestamp())
    return clauses, values


def _where(clauses: Sequence[str]) -> str:
    return ("WHERE " + " AND ".join(clauses)) if clauses else ""


def _json(values: list[Any]) -> str:
    return orjson.dumps(values).decode()
