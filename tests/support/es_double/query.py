"""The query DSL the store and Kibana's saved searches send: ``bool``, ``term(s)``, ``range``, ``ids``,
``match``/``multi_match``, ``exists``, ``match_all``, ``match_none``.

A query is compiled once per index (its mapping says which fields are dates and which multi-field
reads which source field) into a function of a document. Text fields are analysed with the
project's own Snowball stems (``indexer.text``), which stand in for the ``russian`` stemmer of the
real analyzer; scores are the number of query words found, not BM25. A ``terms`` query takes at
most ``index.max_terms_count`` values (65,536), as in Elasticsearch.
"""

from __future__ import annotations

from typing import Any, Callable

from indexer.text import stems
from tests.support.es_double.common import EsError, as_list, timestamp, values

MAX_TERMS_COUNT = 65_536
Matcher = Callable[[str, dict[str, Any]], "float | None"]  # (id, source) → score, or None: no match
Fields = dict[str, dict[str, Any]]


def compile_query(fields: Fields, query: dict[str, Any]) -> Matcher:
    """``query`` as a function of a document of an index with these ``fields``."""
    (kind, spec), = query.items()
    if kind == "match_all":
        return lambda doc_id, source: 1.0
    if kind == "match_none":
        return lambda doc_id, source: None
    if kind == "bool":
        return _bool(fields, spec)
    if kind == "ids":
        wanted = set(spec["values"])
        return lambda doc_id, source: 1.0 if doc_id in wanted else None
    if kind == "term":
        (name, value), = spec.items()
        value = value["value"] if isinstance(value, dict) else value
        path = _path(fields, name)
        return lambda doc_id, source: 1.0 if value in values(source, path) else None
    if kind == "terms":
        (name, listed), = spec.items()
        path, wanted = _path(fields, name), set(map(str, listed))
        return lambda doc_id, source: 1.0 if any(str(v) in wanted for v in values(source, path)) else None
    if kind == "exists":
        path = _path(fields, spec["field"])
        return lambda doc_id, source: 1.0 if values(source, path) else None
    if kind == "range":
        return _range(fields, spec)
    if kind in ("match", "multi_match"):
        return _match(fields, kind, spec)
    raise EsError(400, "parsing_exception", f"the test double does not serve query [{kind}]")


def check(query: dict[str, Any]) -> None:
    """Refuse what Elasticsearch refuses before running a query (too many terms)."""
    for kind, spec in query.items():
        if kind == "terms":
            (_, wanted), = spec.items()
            if len(wanted) > MAX_TERMS_COUNT:
                raise EsError(400, "illegal_argument_exception",
                              f"The number of terms [{len(wanted)}] used in the Terms Query request has exceeded "
                              f"the allowed maximum of [{MAX_TERMS_COUNT}]. This maximum can be set by changing "
                              "the [index.max_terms_count] index level setting.")
        elif kind == "bool":
            for occur in ("must", "filter", "should", "must_not"):
                for clause in as_list(spec.get(occur)):
                    check(clause)


def _bool(fields: Fields, spec: dict[str, Any]) -> Matcher:
    must = [compile_query(fields, c) for c in as_list(spec.get("must"))]
    filters = [compile_query(fields, c) for c in as_list(spec.get("filter"))]
    must_not = [compile_query(fields, c) for c in as_list(spec.get("must_not"))]
    should = [compile_query(fields, c) for c in as_list(spec.get("should"))]
    needed = int(spec.get("minimum_should_match", 0 if (must or filters) else 1)) if should else 0

    def matcher(doc_id: str, source: dict[str, Any]) -> float | None:
        score = 0.0
        for clause in filters:
            if clause(doc_id, source) is None:
                return None
        for clause in must:
            found = clause(doc_id, source)
            if found is None:
                return None
            score += found
        if any(clause(doc_id, source) is not None for clause in must_not):
            return None
        if should:
            matched = [s for clause in should if (s := clause(doc_id, source)) is not None]
            if len(matched) < needed:
                return None
            score += sum(matched)
        return score or 1.0

    return matcher


def _range(fields: Fields, spec: dict[str, Any]) -> Matcher:
    (name, bounds), = spec.items()
    path, is_date = _path(fields, name), fields.get(name, {}).get("type") == "date"
    limits = [(op, timestamp(bound) if is_date else bound) for op, bound in bounds.items()
              if op in ("gt", "gte", "lt", "lte")]

    def matcher(doc_id: str, source: dict[str, Any]) -> float | None:
        found = values(source, path)
        if not found:
            return None
        value = timestamp(found[0]) if is_date else found[0]
        for op, limit in limits:
            if not {"gt": value > limit, "gte": value >= limit, "lt": value < limit, "lte": value <= limit}[op]:
                return None
        return 1.0

    return matcher


def _match(fields: Fields, kind: str, spec: dict[str, Any]) -> Matcher:
    if kind == "match":
        (name, value), = spec.items()
        text, operator, names = (value["query"], value.get("operator", "or"), [name]) \
            if isinstance(value, dict) else (value, "or", [name])
    else:
        text, operator = spec["query"], spec.get("operator", "or")
        names = [n.split("^")[0] for n in spec["fields"]]
    wanted, paths = set(stems(str(text))), [_path(fields, name) for name in names]

    def matcher(doc_id: str, source: dict[str, Any]) -> float | None:
        if not wanted:
            return None
        found: set[str] = set()
        for path in paths:
            for value in values(source, path):
                found |= set(stems(str(value))) & wanted
        if operator == "and" and found != wanted or not found:
            return None
        return float(len(found))

    return matcher


def _path(fields: Fields, name: str) -> str:
    """Where a field's values are in the source: a multi-field (``text.keyword``) reads its parent's."""
    return str(fields.get(name, {}).get("_parent", name))
