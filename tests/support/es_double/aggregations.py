"""Aggregations: ``terms``, ``date_histogram`` and ``composite``, and the ``search.max_buckets`` limit.

``composite`` takes ``terms`` and ``date_histogram`` sources (``missing_bucket``, ``order``,
``missing_order``), ``size`` and ``after``, and answers its buckets in key order with the
``after_key`` to ask for the next page (none once there are no buckets). Its ``size`` may not
exceed ``search.max_buckets``, and no response may hold more buckets than that, counting the
buckets of sub-aggregations: both are a 400 ``too_many_buckets_exception``, as Elasticsearch 8
answers. A date histogram's keys are epoch milliseconds, its buckets aligned to the epoch (no
``offset``, ``time_zone`` or calendar months); ``format`` is not applied.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from typing import Any, Callable, Iterable

from tests.support.es_double.common import EsError, interval_seconds, iso_millis, millis, values

MAX_BUCKETS = 65_536
Source = dict[str, Any]


def aggregate(aggs: dict[str, Any], sources: list[Source], fields: dict[str, dict[str, Any]], *,
              max_buckets: int = MAX_BUCKETS, cache: Any = None, view: Any = None) -> dict[str, Any]:
    """The ``aggregations`` of a response over the matching documents' sources; a composite's
    ordered keys are kept in ``cache`` by ``view`` (what was searched), for its next pages."""
    result = _run(aggs, sources, fields, max_buckets, parent=None, cache=cache, view=view)
    total = count_buckets(result)
    if total > max_buckets:
        raise too_many_buckets(max_buckets)
    return result


def count_buckets(result: dict[str, Any]) -> int:
    """Every bucket in an ``aggregations`` answer, sub-aggregations' included."""
    total = 0
    for agg in result.values():
        if isinstance(agg, dict) and isinstance(agg.get("buckets"), list):
            total += len(agg["buckets"])
            for bucket in agg["buckets"]:
                total += count_buckets({k: v for k, v in bucket.items() if isinstance(v, dict) and k != "key"})
    return total


def too_many_buckets(limit: int, asked: int | None = None) -> EsError:
    detail = f"but was [{asked}]" if asked is not None else "but this number of buckets was exceeded"
    return EsError(400, "too_many_buckets_exception",
                   f"Trying to create too many buckets. Must be less than or equal to: [{limit}] {detail}. This "
                   "limit can be set by changing the [search.max_buckets] cluster level setting.",
                   wrapped_in="search_phase_execution_exception", max_buckets=limit)


def _run(aggs: dict[str, Any], sources: list[Source], fields: dict[str, dict[str, Any]], max_buckets: int,
         parent: str | None, cache: Any = None, view: Any = None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, spec in aggs.items():
        sub = spec.get("aggs") or spec.get("aggregations")
        if "terms" in spec:
            result[name] = _terms(spec["terms"], sources, fields, max_buckets, sub)
        elif "date_histogram" in spec:
            result[name] = _date_histogram(spec["date_histogram"], sources, fields, max_buckets, sub)
        elif "composite" in spec:
            if parent is not None:
                raise EsError(400, "illegal_argument_exception", f"[composite] aggregation cannot be used with a "
                                                                 f"parent aggregation of type: [{parent}]")
            result[name] = _composite(spec["composite"], sources, fields, max_buckets, sub, cache, view)
        else:
            raise EsError(400, "parsing_exception", f"the test double does not serve aggregation {spec}")
    return result


def _sub(sub: dict[str, Any] | None, sources: list[Source], fields: dict[str, dict[str, Any]], max_buckets: int,
         parent: str) -> dict[str, Any]:
    return _run(sub, sources, fields, max_buckets, parent) if sub else {}


def _terms(spec: dict[str, Any], sources: list[Source], fields: dict[str, dict[str, Any]], max_buckets: int,
           sub: dict[str, Any] | None) -> dict[str, Any]:
    groups: dict[Any, list[Source]] = defaultdict(list)
    for source in sources:
        found = values(source, spec["field"]) or ([spec["missing"]] if "missing" in spec else [])
        for key in {json.dumps(v): v for v in found}.values():
            groups[key].append(source)
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), str(kv[0])))[:int(spec.get("size", 10))]
    buckets = [{"key": key, "doc_count": len(group), **_sub(sub, group, fields, max_buckets, "terms")}
               for key, group in ranked]
    return {"doc_count_error_upper_bound": 0, "buckets": buckets,
            "sum_other_doc_count": sum(len(g) for g in groups.values()) - sum(b["doc_count"] for b in buckets)}


def _date_histogram(spec: dict[str, Any], sources: list[Source], fields: dict[str, dict[str, Any]],
                    max_buckets: int, sub: dict[str, Any] | None) -> dict[str, Any]:
    step = _step_millis(spec)
    groups: dict[int, list[Source]] = defaultdict(list)
    for source in sources:
        for when in {millis(v) for v in values(source, spec["field"])}:
            assert when is not None
            groups[when // step * step].append(source)
    starts = sorted(groups)
    if int(spec.get("min_doc_count", 0)) == 0 and starts:  # Elasticsearch fills the gaps with empty buckets
        starts = list(range(starts[0], starts[-1] + step, step))
    buckets = [{"key_as_string": iso_millis(start), "key": start, "doc_count": len(groups.get(start, [])),
                **_sub(sub, groups.get(start, []), fields, max_buckets, "date_histogram")} for start in starts
               if len(groups.get(start, [])) >= int(spec.get("min_doc_count", 0))]
    return {"buckets": buckets}


def _step_millis(spec: dict[str, Any]) -> int:
    interval = spec.get("fixed_interval") or spec.get("calendar_interval") or spec.get("interval")
    if not interval:
        raise EsError(400, "illegal_argument_exception", "Invalid interval specified, must be non-null and non-empty")
    return interval_seconds(str(interval)) * 1000


# -- composite --------------------------------------------------------------------------------

def _composite(spec: dict[str, Any], sources: list[Source], fields: dict[str, dict[str, Any]], max_buckets: int,
               sub: dict[str, Any] | None, cache: Any, view: Any) -> dict[str, Any]:
    specs = _composite_sources(spec)
    size = int(spec.get("size", 10))
    if size > max_buckets:
        raise too_many_buckets(max_buckets, size)
    orders = [(options.get("order", "asc"), options.get("missing_order", "default")) for _, _, options in specs]

    def grouped() -> tuple[list[tuple[Any, ...]], Counter[tuple[Any, ...]], dict[tuple[Any, ...], list[Source]]]:
        keyers = [_keyer(kind, options) for _, kind, options in specs]
        groups: dict[tuple[Any, ...], list[Source]] = defaultdict(list)
        counts: Counter[tuple[Any, ...]] = Counter()
        for source in sources:
            for key in set(itertools.product(*(keyer(source) for keyer in keyers))):
                counts[key] += 1
                if sub:
                    groups[key].append(source)
        return _ordered(list(counts), orders), counts, groups

    if cache is None:
        keys, counts, groups = grouped()
    else:
        keys, counts, groups = cache.get(("composite", view, json.dumps([spec["sources"], sub])), grouped)
    if spec.get("after") is not None:
        after = tuple(millis(spec["after"].get(name)) if kind == "date_histogram" else spec["after"].get(name)
                      for name, kind, _ in specs)
        keys = keys[_first_after(keys, after, orders):]
    names = [name for name, _, _ in specs]
    buckets = [{"key": dict(zip(names, key, strict=True)), "doc_count": counts[key],
                **_sub(sub, groups.get(key, []), fields, max_buckets, "composite")} for key in keys[:size]]
    return {"after_key": buckets[-1]["key"], "buckets": buckets} if buckets else {"buckets": []}


def _composite_sources(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    if "sources" not in spec:
        raise EsError(400, "x_content_parse_exception", "Required [sources]")
    if not spec["sources"]:
        raise EsError(400, "illegal_argument_exception", "Composite [sources] cannot be null or empty")
    specs = []
    for item in spec["sources"]:
        (name, source), = item.items()
        (kind, options), = source.items()
        if kind not in ("terms", "date_histogram"):
            raise EsError(400, "parsing_exception", f"the test double does not serve composite source [{kind}]")
        specs.append((name, kind, options))
    names = Counter(name for name, _, _ in specs)
    duplicates = sorted(name for name, count in names.items() if count > 1)
    if duplicates:
        raise EsError(400, "illegal_argument_exception",
                      f"Composite source names must be unique, found duplicates: [{', '.join(duplicates)}]")
    return specs


def _keyer(kind: str, options: dict[str, Any]) -> Callable[[Source], Iterable[Any]]:
    """A source's values for one document: one key part per value, None for a missing value with
    ``missing_bucket``, nothing (the document is left out) without it."""
    missing = [None] if options.get("missing_bucket") else []
    if kind == "terms":
        return lambda source: values(source, options["field"]) or missing  # duplicates go with the set of keys
    step = _step_millis(options)
    return lambda source: {m // step * step for v in values(source, options["field"])
                           if (m := millis(v)) is not None} or missing


def _ordered(keys: list[tuple[Any, ...]], orders: list[tuple[str, str]]) -> list[tuple[Any, ...]]:
    """Keys in composite order: source by source, each ascending or descending, missing first or last."""
    for position in reversed(range(len(orders))):  # stable sorts, least significant part first
        order, missing_order = orders[position]
        present = [k for k in keys if k[position] is not None]
        absent = [k for k in keys if k[position] is None]
        present.sort(key=lambda k: k[position], reverse=order == "desc")
        keys = absent + present if _missing_first(order, missing_order) else present + absent
    return keys


def _missing_first(order: str, missing_order: str) -> bool:
    return missing_order == "first" or (missing_order == "default" and order == "asc")


def _compare(a: tuple[Any, ...], b: tuple[Any, ...], orders: list[tuple[str, str]]) -> int:
    for left, right, (order, missing_order) in zip(a, b, orders, strict=True):
        if left == right:
            continue
        if left is None or right is None:
            first = _missing_first(order, missing_order)
            return (-1 if first else 1) if left is None else (1 if first else -1)
        below = left < right
        return (-1 if below else 1) if order == "asc" else (1 if below else -1)
    return 0


def _first_after(keys: list[tuple[Any, ...]], after: tuple[Any, ...], orders: list[tuple[str, str]]) -> int:
    """The position of the first key strictly after ``after`` (keys are in composite order)."""
    low, high = 0, len(keys)
    while low < high:
        middle = (low + high) // 2
        if _compare(keys[middle], after, orders) <= 0:
            low = middle + 1
        else:
            high = middle
    return low
