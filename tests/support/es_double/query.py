"""The query DSL the store and Kibana's saved searches send: ``bool``, ``term(s)``, ``range``, ``ids``,
``match``/``multi_match``, ``exists``, ``match_all``.

Text fields are analysed with the project's own Snowball stems (``indexer.text``), which stand in
for the ``russian`` stemmer of the real analyzer; scores are the number of query words found, not
BM25. A ``terms`` query takes at most ``index.max_terms_count`` values (65,536), as in Elasticsearch.
"""

from __future__ import annotations

from typing import Any

from indexer.text import stems
from tests.support.es_double.common import EsError, as_list, timestamp, values

MAX_TERMS_COUNT = 65_536


def matches(fields: dict[str, dict[str, Any]], doc_id: str, source: dict[str, Any],
            query: dict[str, Any]) -> float | None:
    """The score of ``source`` for ``query``, or None when it does not match."""
    (kind, spec), = query.items()
    if kind == "match_all":
        return 1.0
    if kind == "bool":
        return _bool(fields, doc_id, source, spec)
    if kind == "ids":
        return 1.0 if doc_id in spec["values"] else None
    if kind == "term":
        (name, value), = spec.items()
        value = value["value"] if isinstance(value, dict) else value
        return 1.0 if value in _field_values(fields, source, name) else None
    if kind == "terms":
        (name, wanted), = spec.items()
        return 1.0 if set(map(str, _field_values(fields, source, name))) & set(map(str, wanted)) else None
    if kind == "exists":
        return 1.0 if _field_values(fields, source, spec["field"]) else None
    if kind == "range":
        return _range(fields, source, spec)
    if kind in ("match", "multi_match"):
        return _match(fields, source, kind, spec)
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


def _bool(fields: dict[str, dict[str, Any]], doc_id: str, source: dict[str, Any],
          spec: dict[str, Any]) -> float | None:
    score = 0.0
    must = as_list(spec.get("must"))
    for clause in must + as_list(spec.get("filter")):
        found = matches(fields, doc_id, source, clause)
        if found is None:
            return None
        score += found if clause in must else 0.0
    for clause in as_list(spec.get("must_not")):
        if matches(fields, doc_id, source, clause) is not None:
            return None
    should = as_list(spec.get("should"))
    if should:
        matched = [s for c in should if (s := matches(fields, doc_id, source, c)) is not None]
        needed = spec.get("minimum_should_match", 0 if (spec.get("must") or spec.get("filter")) else 1)
        if len(matched) < int(needed):
            return None
        score += sum(matched)
    return score or 1.0


def _range(fields: dict[str, dict[str, Any]], source: dict[str, Any], spec: dict[str, Any]) -> float | None:
    (name, bounds), = spec.items()
    found = _field_values(fields, source, name)
    if not found:
        return None
    is_date = fields.get(name, {}).get("type") == "date"
    value = timestamp(found[0]) if is_date else found[0]
    for op, bound in bounds.items():
        if op not in ("gt", "gte", "lt", "lte"):
            continue
        limit = timestamp(bound) if is_date else bound
        if not {"gt": value > limit, "gte": value >= limit, "lt": value < limit, "lte": value <= limit}[op]:
            return None
    return 1.0


def _match(fields: dict[str, dict[str, Any]], source: dict[str, Any], kind: str,
           spec: dict[str, Any]) -> float | None:
    if kind == "match":
        (name, value), = spec.items()
        text, operator, names = (value["query"], value.get("operator", "or"), [name]) \
            if isinstance(value, dict) else (value, "or", [name])
    else:
        text, operator = spec["query"], spec.get("operator", "or")
        names = [n.split("^")[0] for n in spec["fields"]]
    wanted = set(stems(str(text)))
    if not wanted:
        return None
    found: set[str] = set()
    for name in names:
        for value in _field_values(fields, source, name):
            found |= set(stems(str(value))) & wanted
    if operator == "and" and found != wanted or not found:
        return None
    return float(len(found))


def _field_values(fields: dict[str, dict[str, Any]], source: dict[str, Any], name: str) -> list[Any]:
    """A field's values; a multi-field (``text.keyword``) reads its parent's."""
    return values(source, fields.get(name, {}).get("_parent", name))
