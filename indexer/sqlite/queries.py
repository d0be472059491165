"""A :class:`~indexer.store.Query` as SQL on the embedded store.

Rowids are creation times (``keys.py``), so "newest first" is "rowid descending": the table, its
indexes and the full-text index all read in that order and stop at the LIMIT. A search first picks
the rowids it returns (from indexes where it can), then reads only those rows' documents, so no
sort ever carries documents. Ranking by relevance scores the newest :data:`RANKED` matches, not
every one: for a word in a tenth of a million posts, scoring them all took a third of a second.
"""

from __future__ import annotations

from typing import Any, Sequence

import orjson

from indexer.sqlite import keys
from indexer.store import Query
from indexer.text import stems

RANKED = 10_000  # matches scored when sorting by relevance: the newest ones

# Which rows match, for a search: rowid bounds from the times (so scans start and stop at the right
# place), then the exact times (unary + keeps the planner on the rowid order, not posts_created).
_TIMES = (("since", ">=", keys.lowest), ("until", "<", keys.beyond))


def search(query: Query) -> tuple[str, list[Any]]:
    """The documents of the rows ``query`` asks for, in its order."""
    if query.text and query.sort == "relevance":
        return _ranked(query)
    picked, params = _pick(query)
    return (f"SELECT doc FROM posts WHERE rowid IN ({picked} ORDER BY rowid DESC LIMIT ?) ORDER BY rowid DESC",
            [*params, query.limit])


def count(query: Query) -> tuple[str, list[Any]]:
    """How many rows ``query`` asks for: from the full-text index alone when only words are asked,
    from a covering index when only columns are."""
    clauses, params = _filters(query, order_by_key=bool(query.text))
    if not query.text:
        return f"SELECT count(*) FROM posts AS p {_where(clauses)}", params
    if not clauses:
        return "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ?", [match(query.text)]
    return (f"SELECT count(*) FROM posts_fts JOIN posts AS p ON p.rowid = posts_fts.rowid"
            f" {_where(['posts_fts MATCH ?', *_fts_bounds(query), *clauses])}",
            [match(query.text), *_bound_values(query), *params])


def match(text: str) -> str:
    """An FTS5 query for every stem of ``text`` (no stems: nothing matches)."""
    return " AND ".join(f'"{term}"' for term in stems(text)) or '""'


def _pick(query: Query) -> tuple[str, list[Any]]:
    clauses, params = _filters(query, order_by_key=True)
    if not query.text:
        return f"SELECT p.rowid FROM posts AS p {_where(clauses)}", params
    return (f"SELECT posts_fts.rowid FROM posts_fts JOIN posts AS p ON p.rowid = posts_fts.rowid"
            f" {_where(['posts_fts MATCH ?', *_fts_bounds(query), *clauses])}",
            [match(query.text), *_bound_values(query), *params])


def _ranked(query: Query) -> tuple[str, list[Any]]:
    picked, params = _pick(query)
    scored = picked.replace("SELECT posts_fts.rowid FROM", "SELECT posts_fts.rowid AS key, bm25(posts_fts) AS score FROM", 1)
    return (f"SELECT posts.doc FROM posts JOIN (SELECT key, score FROM ({scored} ORDER BY posts_fts.rowid DESC"
            " LIMIT ?) ORDER BY score, key DESC LIMIT ?) AS top ON posts.rowid = top.key"
            " ORDER BY top.score, top.key DESC", [*params, RANKED, query.limit])


def _fts_bounds(query: Query) -> list[str]:
    """The time bounds on the full-text index's own rowid, so its scan starts and stops there."""
    return [f"posts_fts.rowid {op} ?" for name, op, _ in _TIMES if getattr(query, name) is not None]


def _bound_values(query: Query) -> list[int]:
    return [bound(getattr(query, name).timestamp()) for name, _, bound in _TIMES
            if getattr(query, name) is not None]


def _filters(query: Query, order_by_key: bool) -> tuple[list[str], list[Any]]:
    """Every condition but the words. With ``order_by_key`` the times also bound the rowid (a search
    reads in rowid order); without, they are left to the ``posts_created`` index (a count)."""
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
    for name, op, bound in _TIMES:
        moment = getattr(query, name)
        if moment is not None:
            if order_by_key:
                clauses += [f"p.rowid {op} ?", f"+p.created_at {op} ?"]
                params += [bound(moment.timestamp()), moment.timestamp()]
            else:
                clauses.append(f"p.created_at {op} ?")
                params.append(moment.timestamp())
    if query.changed_since is not None:
        clauses.append("p.changed_at >= ?")
        params.append(query.changed_since.timestamp())
    return clauses, params


def _where(clauses: Sequence[str]) -> str:
    return ("WHERE " + " AND ".join(clauses)) if clauses else ""


def _json(values: list[Any]) -> str:
    return orjson.dumps(values).decode()
