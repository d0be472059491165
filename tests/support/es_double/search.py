"""Searches: hits in sort order, ``search_after``, the result window, total hits, and points in time.

A search reads each index's ``searchable`` documents (as of its last refresh), or the frozen copy
a point in time took when it was opened. Sort values are Elasticsearch's: dates in epoch
milliseconds, a missing date or number as ±2^63 (``missing: _last``/``_first``), a missing keyword
as null; a search with a point in time and a sort gets the implicit ``_shard_doc`` tiebreaker
(index number << 32 | position), and ``_shard_doc`` without a point in time is refused.
``from + size`` may not pass ``index.max_result_window`` (10,000), with ``search_after`` or not.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

from tests.support.es_double.aggregations import MAX_BUCKETS, aggregate
from tests.support.es_double.common import LONG_MAX, LONG_MIN, EsError, as_list, millis, values
from tests.support.es_double.index import Doc
from tests.support.es_double.query import check, compile_query

MAX_RESULT_WINDOW = 10_000
TRACK_TOTAL_HITS = 10_000  # Elasticsearch counts hits exactly up to this many unless told otherwise
ISO_DATE = re.compile(r"\d{4}-\d\d-\d\dT")
SHARDS = {"total": 1, "successful": 1, "skipped": 0, "failed": 0}


class Cache:
    """The last few results the double worked out (matches, sorted hits, composite keys), by what
    they were worked out from, so that paging through a large result does not redo it per page."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self.entries: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        if key in self.entries:
            self.entries.move_to_end(key)
            return self.entries[key]
        value = self.entries[key] = compute()
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return value


@dataclass(eq=False)
class Shard:
    """What a search reads of one index: its documents, its mapping, its number (for ``_shard_doc``),
    and its generation (it changes whenever what searches see of the index does)."""

    name: str
    docs: dict[str, Doc]
    fields: dict[str, dict[str, Any]]
    number: int
    generation: int = 0
    _positions: dict[str, int] | None = None

    def position(self, doc_id: str) -> int:
        if self._positions is None:
            self._positions = {key: n for n, key in enumerate(self.docs)}
        return self._positions[doc_id]


@dataclass
class PointInTime:
    """A frozen view of some indices: what they held, searchable, when it was opened."""

    id: str
    shards: list[Shard]
    expires: float

    @classmethod
    def open(cls, shards: list[Shard], keep_alive: float) -> PointInTime:
        frozen = [Shard(s.name, dict(s.docs), s.fields, s.number, s.generation) for s in shards]
        pit_id = base64.urlsafe_b64encode(uuid.uuid4().bytes * 2).decode().rstrip("=")
        return cls(pit_id, frozen, time.monotonic() + keep_alive)

    def alive(self) -> bool:
        return time.monotonic() < self.expires


@dataclass(slots=True)
class Hit:
    shard: Shard
    doc_id: str
    doc: Doc
    score: float
    sort: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class SortSpec:
    name: str
    order: str
    missing: str  # _last | _first

    @classmethod
    def parse(cls, item: Any) -> SortSpec:
        name, options = (item, {}) if isinstance(item, str) else next(iter(item.items()))
        options = {"order": options} if isinstance(options, str) else options
        return cls(name, options.get("order", "desc" if name == "_score" else "asc"), options.get("missing", "_last"))


def search(shards: list[Shard], body: dict[str, Any], *, pit: PointInTime | None = None, seq_no: bool = False,
           max_result_window: int = MAX_RESULT_WINDOW, max_buckets: int = MAX_BUCKETS,
           cache: Cache | None = None) -> dict[str, Any]:
    """A ``_search`` answer over ``shards`` (the point in time's, when it has one)."""
    start, size = int(body.get("from", 0)), int(body.get("size", 10))
    _check_window(body, start, size, max_result_window)
    query = body.get("query") or {"match_all": {}}
    check(query)
    specs = _sort_specs(body, pit)
    cache = cache or Cache(0)
    view = (pit.id if pit else tuple((s.name, s.generation) for s in shards), json.dumps(query, sort_keys=True))
    hits = cache.get(("match", view), lambda: _matching(shards, query))
    if size > 0 or body.get("search_after") is not None:
        order = json.dumps([vars(spec) for spec in specs])
        hits = cache.get(("sort", view, order), lambda: _sorted(hits, specs))
    matched = hits  # aggregations and the total count every match; search_after only moves the page
    if body.get("search_after") is not None:
        hits = hits[_first_after(hits, _after_values(body["search_after"], specs, shards), specs):]
    page = [_render(hit, body, specs, seq_no) for hit in hits[start:start + size]]
    response: dict[str, Any] = {"took": 1, "timed_out": False, "_shards": SHARDS,
                                "hits": {"max_score": None, "hits": page}}
    total = _total(len(matched), body.get("track_total_hits", TRACK_TOTAL_HITS))
    if total is not None:
        response["hits"]["total"] = total
    aggs = body.get("aggs") or body.get("aggregations")
    if aggs:
        fields = {name: spec for shard in shards for name, spec in shard.fields.items()}
        response["aggregations"] = aggregate(aggs, [h.doc.source for h in matched], fields, max_buckets=max_buckets,
                                             cache=cache, view=view)
    if pit is not None:
        response = {"pit_id": pit.id, **response}
    return response


def _check_window(body: dict[str, Any], start: int, size: int, max_result_window: int) -> None:
    if start < 0:
        raise EsError(400, "illegal_argument_exception", "[from] parameter cannot be negative")
    if body.get("search_after") is not None and start > 0:
        raise EsError(400, "action_request_validation_exception",
                      "Validation Failed: 1: `from` parameter must be set to 0 when `search_after` is used.;")
    if start + size > max_result_window:
        raise EsError(400, "illegal_argument_exception",
                      f"Result window is too large, from + size must be less than or equal to: [{max_result_window}] "
                      f"but was [{start + size}]. See the scroll api for a more efficient way to request large data "
                      "sets. This limit can be set by changing the [index.max_result_window] index level setting.",
                      wrapped_in="search_phase_execution_exception")


def _sort_specs(body: dict[str, Any], pit: PointInTime | None) -> list[SortSpec]:
    specs = [SortSpec.parse(item) for item in as_list(body.get("sort"))]
    if pit is None and any(spec.name == "_shard_doc" for spec in specs):
        raise EsError(400, "action_request_validation_exception",
                      "Validation Failed: 1: [_shard_doc] sort field cannot be used without [point in time];")
    after = body.get("search_after")
    if pit is not None and specs and specs[-1].name != "_shard_doc" and (
            after is None or len(after) == len(specs) + 1):
        specs.append(SortSpec("_shard_doc", "asc", "_last"))  # the implicit tiebreaker of a point in time
    if after is not None:
        if not specs:
            raise EsError(400, "illegal_argument_exception", "Sort must contain at least one field.")
        if len(after) != len(specs):
            raise EsError(400, "illegal_argument_exception",
                          f"search_after has {len(after)} value(s) but sort has {len(specs)}.")
    return specs


def _sorted(matched: list[Hit], specs: list[SortSpec]) -> list[Hit]:
    hits = [Hit(h.shard, h.doc_id, h.doc, h.score) for h in matched]  # each order its own sort values
    readers = [_sort_reader(spec) for spec in specs]
    for hit in hits:
        hit.sort = [read(hit) for read in readers] if specs else [hit.score]
    for position, spec in reversed(list(enumerate(specs or [SortSpec("_score", "desc", "_last")]))):
        present = [h for h in hits if h.sort[position] is not None]
        absent = [h for h in hits if h.sort[position] is None]
        present.sort(key=lambda h: h.sort[position], reverse=spec.order == "desc")  # stable: ties keep order
        hits = present + absent if spec.missing == "_last" else absent + present
    return hits


def _matching(shards: list[Shard], query: dict[str, Any]) -> list[Hit]:
    ids = query.get("ids", {}).get("values")  # by id: look up, as Elasticsearch does
    hits = []
    for shard in shards:
        matcher = compile_query(shard.fields, query)
        for doc_id in (ids if ids is not None else shard.docs):
            doc = shard.docs.get(doc_id)
            if doc is not None and (score := matcher(doc_id, doc.source)) is not None:
                hits.append(Hit(shard, doc_id, doc, score))
    return hits


def _sort_reader(spec: SortSpec) -> Callable[[Hit], Any]:
    """What a hit sorts by on ``spec``, as Elasticsearch gives it in the hit's ``sort``."""
    if spec.name == "_score":
        return lambda hit: hit.score
    if spec.name == "_shard_doc":
        return lambda hit: (hit.shard.number << 32) | hit.shard.position(hit.doc_id)
    missing_number = LONG_MAX if (spec.order == "asc") == (spec.missing == "_last") else LONG_MIN
    pick = min if spec.order == "asc" else max  # a multi-valued field sorts by its min or max
    plans: dict[int, tuple[str, str | None]] = {}  # per shard: where the field is, its type

    def read(hit: Hit) -> Any:
        plan = plans.get(id(hit.shard))
        if plan is None:
            mapping = hit.shard.fields.get(spec.name, {})
            plan = plans[id(hit.shard)] = (mapping.get("_parent", spec.name), mapping.get("type"))
        path, kind = plan
        value = hit.doc.source.get(path) if "." not in path else values(hit.doc.source, path)
        if isinstance(value, list):
            value = pick(value) if value else None
        if value is None:
            return missing_number if kind in ("date", "long", "integer", "float", "double", "boolean") else None
        if kind == "date" or (kind is None and isinstance(value, str) and ISO_DATE.match(value)):
            return millis(value)
        return value

    return read


def _after_values(after: list[Any], specs: list[SortSpec], shards: list[Shard]) -> list[Any]:
    """``search_after`` as sort values: a date may come formatted, as Elasticsearch accepts it."""
    converted = []
    for value, spec in zip(after, specs, strict=True):
        kind = next((s.fields[spec.name].get("type") for s in shards if spec.name in s.fields), None)
        converted.append(millis(value) if kind == "date" and isinstance(value, str) else value)
    return converted


def _compare(left: list[Any], right: list[Any], specs: list[SortSpec]) -> int:
    for a, b, spec in zip(left, right, specs, strict=True):
        if a == b:
            continue
        if a is None or b is None:
            last = spec.missing == "_last"
            return (1 if last else -1) if a is None else (-1 if last else 1)
        below = a < b
        return (-1 if below else 1) if spec.order == "asc" else (1 if below else -1)
    return 0


def _first_after(hits: list[Hit], after: list[Any], specs: list[SortSpec]) -> int:
    """The position of the first hit sorting strictly after ``after`` (hits are in sort order)."""
    low, high = 0, len(hits)
    while low < high:
        middle = (low + high) // 2
        if _compare(hits[middle].sort, after, specs) <= 0:
            low = middle + 1
        else:
            high = middle
    return low


def _render(hit: Hit, body: dict[str, Any], specs: list[SortSpec], seq_no: bool) -> dict[str, Any]:
    scored = not specs or any(spec.name == "_score" for spec in specs)
    rendered: dict[str, Any] = {"_index": hit.shard.name, "_id": hit.doc_id, "_score": hit.score if scored else None}
    wanted = body.get("_source", True)
    if wanted is True:
        rendered["_source"] = hit.doc.source
    elif wanted:
        names = as_list(wanted["includes"] if isinstance(wanted, dict) else wanted)  # a list, or {"includes": [...]}
        rendered["_source"] = {name: hit.doc.source[name] for name in names if name in hit.doc.source}
    if body.get("seq_no_primary_term") or seq_no:
        rendered["_seq_no"], rendered["_primary_term"] = hit.doc.seq_no, hit.doc.primary_term
    if body.get("version"):
        rendered["_version"] = hit.doc.version
    if specs:
        rendered["sort"] = list(hit.sort)
    return rendered


def _total(count: int, track: Any) -> dict[str, Any] | None:
    if track is False:
        return None
    if track is True:
        return {"value": count, "relation": "eq"}
    limit = int(track)
    return {"value": count, "relation": "eq"} if count <= limit else {"value": limit, "relation": "gte"}
