"""An Elasticsearch test double: the endpoints the project uses, in the shapes Elasticsearch documents.

It answers over real HTTP, with the ``X-Elastic-Product`` header the official client checks, so
the store is tested through the real client and transport. It keeps indices, aliases, composable
index templates (with their component templates and aliases), ILM policies and documents in
memory; evaluates the query DSL the store sends (``bool``, ``term(s)``, ``range``, ``ids``,
``match``/``multi_match``, ``exists``, ``terms`` and ``date_histogram`` aggregations); and plays
faults: whole-request errors (429, 503), per-item bulk failures, dropped connections, and a
stopped listener (connections refused).

Text fields are analysed with the project's own Snowball stems (``indexer.text``), which stand in
for the ``russian`` stemmer of the real analyzer; the live suite (``pytest -m live_es``) checks the
real one. Documents are searchable at once unless ``near_real_time=True``, which, like
Elasticsearch, shows them to searches only after a refresh (GET stays real-time).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from indexer.elastic.store import SET_FIELDS, SET_INCIDENT
from indexer.text import stems
from tests.support.http_double import HttpDouble, Request, Response

VERSION = "8.19.0"


@dataclass
class Index:
    name: str
    mappings: dict[str, Any]
    settings: dict[str, Any]
    aliases: set[str] = field(default_factory=set)
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    visible: set[str] = field(default_factory=set)  # ids searches can see (near-real-time mode)


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    error: str
    times: int


@dataclass
class ItemFault:
    match: Callable[[str, dict[str, Any]], bool]
    status: int
    error: str
    times: int


def _error(status: int, kind: str, reason: str) -> Response:
    return Response(status, {"error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind,
                                       "reason": reason}, "status": status})


def _timestamp(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) / 1000.0
    text = str(value)
    if text.isdigit():
        return int(text) / 1000.0
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


def _get(doc: dict[str, Any], dotted: str) -> Any:
    value: Any = doc
    for part in dotted.split("."):
        if isinstance(value, list):
            value = [v.get(part) for v in value if isinstance(v, dict)]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def _values(doc: dict[str, Any], dotted: str) -> list[Any]:
    value = _get(doc, dotted)
    if value is None:
        return []
    return [v for v in value if v is not None] if isinstance(value, list) else [value]


def _flatten(properties: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    fields: dict[str, dict[str, Any]] = {}
    for name, spec in properties.items():
        dotted = f"{prefix}{name}"
        if "properties" in spec:
            fields.update(_flatten(spec["properties"], f"{dotted}."))
            continue
        fields[dotted] = spec
        for sub, sub_spec in (spec.get("fields") or {}).items():
            fields[f"{dotted}.{sub}"] = {**sub_spec, "_parent": dotted}
    return fields


def _updated(current: dict[str, Any] | None, body: dict[str, Any]) -> dict[str, Any]:
    """An update's result: the upsert document when there was none, else the script's or the
    partial document's. The double runs the store's two scripts only (it has no Painless)."""
    if current is None and "upsert" in body:
        return dict(body["upsert"])
    if "script" in body:
        script = body["script"]
        if script.get("source") not in (SET_FIELDS, SET_INCIDENT):
            raise ValueError("the test double runs only the store's scripts")
        updated = {**(current or {}), **script["params"]["fields"]}
        if script["source"] == SET_INCIDENT:
            deadline = updated.get("deadline")
            updated["overdue"] = bool(deadline and updated.get("status") in ("new", "assigned")
                                      and deadline < script["params"]["now"])
        return updated
    return _merge(current or {}, body.get("doc", {}))


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class ElasticsearchDouble(HttpDouble):
    content_type = "application/vnd.elasticsearch+json;compatible-with=8"

    def __init__(self, port: int = 0, *, near_real_time: bool = False) -> None:
        super().__init__(port)
        self.near_real_time = near_real_time
        self.indices: dict[str, Index] = {}
        self.templates: dict[str, dict[str, Any]] = {}
        self.component_templates: dict[str, dict[str, Any]] = {}
        self.ilm_policies: dict[str, dict[str, Any]] = {}
        self.faults: list[Fault] = []
        self.item_faults: list[ItemFault] = []
        self.bulk_requests = 0
        self._outage: tuple[int, int] | None = None
        self.max_result_window = 10_000

    def headers(self) -> dict[str, str]:
        return {"X-Elastic-Product": "Elasticsearch"}

    # -- faults ------------------------------------------------------------------------------

    def fail(self, method: str, path: str, status: int, *, times: int = 1, error: str | None = None) -> None:
        """Answer the next ``times`` requests matching ``method`` and the ``path`` regex with ``status``."""
        kind = error or {429: "es_rejected_execution_exception", 503: "unavailable_shards_exception"}.get(
            status, "exception")
        with self.lock:
            self.faults.append(Fault(method, re.compile(path), status, kind, times))

    def fail_items(self, match: Callable[[str, dict[str, Any]], bool], status: int, *, times: int = 1,
                   error: str | None = None) -> None:
        """Fail bulk items whose (id, source) ``match``, ``times`` times in all, with ``status``."""
        kind = error or {429: "es_rejected_execution_exception",
                         400: "document_parsing_exception"}.get(status, "exception")
        with self.lock:
            self.item_faults.append(ItemFault(match, status, kind, times))

    def outage(self, *, at_bulk: int, requests: int) -> None:
        """From the ``at_bulk``-th bulk request on, drop ``requests`` requests (that one included)."""
        with self.lock:
            self._outage = (at_bulk, requests)

    def dropping(self, request: Request) -> bool:
        if self._outage and request.path.endswith("/_bulk") and self.bulk_requests + 1 >= self._outage[0]:
            self._drop, self._outage = self._outage[1], None
        if super().dropping(request):
            return True
        if request.path.endswith("/_bulk"):
            self.bulk_requests += 1
        return False

    # -- inspection helpers for tests --------------------------------------------------------

    def docs(self, target: str) -> dict[str, dict[str, Any]]:
        """id → source of every document in the indices ``target`` names (index, alias or pattern)."""
        with self.lock:
            found: dict[str, dict[str, Any]] = {}
            for index in self._resolve(target):
                found.update(index.docs)
            return found

    def sent(self, method: str, path: str) -> list[Request]:
        """The requests received (not the dropped ones) whose method and path match these regexes."""
        methods, pattern = re.compile(method), re.compile(path)
        with self.lock:
            return [r for r in self.requests if methods.fullmatch(r.method) and pattern.fullmatch(r.path)]

    # -- dispatch ----------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == request.method and fault.path.fullmatch(request.path):
                    fault.times -= 1
                    return _error(fault.status, fault.error, f"injected {fault.status} by the test double")
            try:
                return self._route(request)
            except KeyError as exc:
                return _error(404, "index_not_found_exception", f"no such index [{exc.args[0]}]")
            except (ValueError, TypeError) as exc:
                return _error(400, "parsing_exception", str(exc))

    def _route(self, r: Request) -> Response:
        parts = [p for p in r.path.split("/") if p]
        method = r.method
        if not parts:
            return Response(200, {"name": "double", "cluster_name": "monitor-test", "cluster_uuid": "double",
                                  "version": {"number": VERSION, "build_flavor": "default",
                                              "lucene_version": "9.12.0"},
                                  "tagline": "You Know, for Search"})
        head = parts[0]
        if head == "_component_template" and len(parts) == 2:
            return self._put_or_get(method, self.component_templates, parts[1], r, "component_templates")
        if head == "_index_template" and len(parts) == 2:
            return self._put_or_get(method, self.templates, parts[1], r, "index_templates")
        if head == "_ilm" and len(parts) == 3 and parts[1] == "policy":
            if method == "PUT":
                self.ilm_policies[parts[2]] = r.json()
                return Response(200, {"acknowledged": True})
            if parts[2] not in self.ilm_policies:
                return _error(404, "resource_not_found_exception", f"Lifecycle policy not found: {parts[2]}")
            return Response(200, {parts[2]: {"version": 1, "policy": self.ilm_policies[parts[2]]["policy"]}})
        if head == "_aliases" and method == "POST":
            return self._aliases(r.json())
        if head == "_alias" and len(parts) == 2:
            return self._get_alias(parts[1])
        if head == "_bulk":
            return self._bulk(None, r)
        if head == "_reindex" and method == "POST":
            return self._reindex(r.json())
        if head == "_refresh":
            return self._refresh("*")
        if len(parts) == 1:
            return self._index_endpoint(method, head, r)
        action = parts[1]
        if action == "_bulk":
            return self._bulk(head, r)
        if action == "_search":
            return self._search(head, r.json() or {})
        if action == "_count":
            return self._count(head, r.json() or {})
        if action == "_refresh":
            return self._refresh(head)
        if action == "_alias" and len(parts) == 2:
            return self._get_alias("*", head)
        if action == "_doc" and len(parts) == 3:
            return self._doc(method, head, parts[2], r)
        if action == "_update" and len(parts) == 3 and method == "POST":
            return self._update(head, parts[2], r)
        if action == "_mget":
            return self._mget(head, r.json())
        return _error(400, "illegal_argument_exception", f"the test double does not serve {method} {r.path}")

    # -- templates, indices, aliases ---------------------------------------------------------

    @staticmethod
    def _put_or_get(method: str, store: dict[str, Any], name: str, r: Request, key: str) -> Response:
        if method == "PUT":
            store[name] = r.json()
            return Response(200, {"acknowledged": True})
        if method == "DELETE":
            store.pop(name, None)
            return Response(200, {"acknowledged": True})
        if name not in store:
            return _error(404, "resource_not_found_exception", f"{key} [{name}] missing")
        item = "index_template" if key == "index_templates" else "component_template"
        return Response(200, {key: [{"name": name, item: store[name]}]})

    def _template_for(self, name: str) -> dict[str, Any]:
        """The highest-priority index template matching ``name``, merged with its components."""
        matching = [t for t in self.templates.values()
                    if any(fnmatch.fnmatchcase(name, p) for p in t.get("index_patterns", []))]
        if not matching:
            return {}
        chosen = max(matching, key=lambda t: t.get("priority", 0))
        merged: dict[str, Any] = {}
        for component in chosen.get("composed_of", []):
            if component not in self.component_templates:
                raise ValueError(f"index template composed of missing component template [{component}]")
            merged = _merge(merged, self.component_templates[component].get("template", {}))
        return _merge(merged, chosen.get("template", {}))

    def _create_index(self, name: str, body: dict[str, Any] | None = None) -> Index:
        if name in self.indices:
            raise FileExistsError(name)
        spec = _merge(self._template_for(name), body or {})
        if name in self._all_aliases():
            raise ValueError(f"an alias named [{name}] exists")
        index = Index(name, spec.get("mappings", {}), spec.get("settings", {}), set(spec.get("aliases", {})))
        self.indices[name] = index
        return index

    def _index_endpoint(self, method: str, name: str, r: Request) -> Response:
        if method == "HEAD" or (method == "GET"):
            targets = self._resolve(name, missing_ok=True)
            if not targets:
                return Response(404) if method == "HEAD" else _error(404, "index_not_found_exception", name)
            if method == "HEAD":
                return Response(200)
            return Response(200, {i.name: {"aliases": {a: {} for a in i.aliases}, "mappings": i.mappings,
                                           "settings": {"index": i.settings}} for i in targets})
        if method == "PUT":
            try:
                self._create_index(name, r.json())
            except FileExistsError:
                return _error(400, "resource_already_exists_exception", f"index [{name}] already exists")
            return Response(200, {"acknowledged": True, "shards_acknowledged": True, "index": name})
        if method == "DELETE":
            targets = self._resolve(name)
            for index in targets:
                del self.indices[index.name]
            return Response(200, {"acknowledged": True})
        return _error(405, "method_not_allowed", f"{method} /{name}")

    def _all_aliases(self) -> set[str]:
        return {a for i in self.indices.values() for a in i.aliases}

    def _resolve(self, target: str, missing_ok: bool = False) -> list[Index]:
        found: dict[str, Index] = {}
        for part in target.split(","):
            matched = False
            for index in self.indices.values():
                if fnmatch.fnmatchcase(index.name, part) or any(fnmatch.fnmatchcase(a, part)
                                                                for a in index.aliases):
                    found[index.name] = index
                    matched = True
            if not matched and "*" not in part and not missing_ok:
                raise KeyError(part)
        return list(found.values())

    def _aliases(self, body: dict[str, Any]) -> Response:
        actions = body.get("actions", [])
        for action in actions:  # validate all first: the real call is atomic
            (kind, spec), = action.items()
            for index in ([spec["index"]] if "index" in spec else spec.get("indices", [])):
                self._resolve(index)
        for action in actions:
            (kind, spec), = action.items()
            aliases = [spec["alias"]] if "alias" in spec else spec.get("aliases", [])
            for index in self._resolve(spec.get("index") or ",".join(spec.get("indices", []))):
                for alias in aliases:
                    if kind == "add":
                        index.aliases.add(alias)
                    elif kind == "remove":
                        index.aliases.discard(alias)
        return Response(200, {"acknowledged": True, "errors": False})

    def _get_alias(self, alias: str, index_pattern: str = "*") -> Response:
        result = {i.name: {"aliases": {a: {} for a in sorted(i.aliases) if fnmatch.fnmatchcase(a, alias)}}
                  for i in self._resolve(index_pattern, missing_ok=True)}
        result = {name: v for name, v in result.items() if v["aliases"]}
        if not result:
            return Response(404, {"error": f"alias [{alias}] missing", "status": 404})
        return Response(200, result)

    def _write_index(self, target: str) -> Index:
        """The concrete index a write to ``target`` lands in (auto-created from a template)."""
        if target in self.indices:
            return self.indices[target]
        holders = [i for i in self.indices.values() if target in i.aliases]
        if len(holders) == 1:
            return holders[0]
        if holders:
            raise ValueError(f"no write index is defined for alias [{target}]. The write index may be "
                             "explicitly disabled using is_write_index=false or the alias points to "
                             "multiple indices without one being designated as a write index")
        return self._create_index(target)

    # -- documents ---------------------------------------------------------------------------

    def _put_doc(self, index: Index, doc_id: str, source: dict[str, Any], refresh: bool) -> str:
        result = "updated" if doc_id in index.docs else "created"
        index.docs[doc_id] = source
        index.versions[doc_id] = index.versions.get(doc_id, 0) + 1
        if refresh or not self.near_real_time:
            index.visible.add(doc_id)
        return result

    def _doc(self, method: str, target: str, doc_id: str, r: Request) -> Response:
        refresh = r.query.get("refresh") in ("", "true", "wait_for")
        if method in ("PUT", "POST"):
            index = self._write_index(target)
            result = self._put_doc(index, doc_id, r.json(), refresh)
            return Response(201 if result == "created" else 200, {
                "_index": index.name, "_id": doc_id, "_version": index.versions[doc_id], "result": result,
                "_shards": {"total": 1, "successful": 1, "failed": 0}})
        targets = self._resolve(target)
        if len(targets) > 1:
            return _error(400, "illegal_argument_exception",
                          f"alias [{target}] has more than one index associated with it "
                          f"[{', '.join(sorted(i.name for i in targets))}], can't execute a single index op")
        index = targets[0]
        if method == "DELETE":
            existed = index.docs.pop(doc_id, None) is not None
            index.visible.discard(doc_id)
            return Response(200 if existed else 404, {"_index": index.name, "_id": doc_id,
                                                      "result": "deleted" if existed else "not_found"})
        if doc_id not in index.docs:
            return Response(404, {"_index": index.name, "_id": doc_id, "found": False})
        return Response(200, {"_index": index.name, "_id": doc_id, "_version": index.versions[doc_id],
                              "_seq_no": index.versions[doc_id], "_primary_term": 1,
                              "found": True, "_source": index.docs[doc_id]})

    def _update(self, target: str, doc_id: str, r: Request) -> Response:
        """``POST <index>/_update/<id>``: a partial document or the store's scripts, with optimistic
        concurrency (``if_seq_no`` and ``if_primary_term``: this double's seq_no is the document's
        version, its primary term 1)."""
        index = self._write_index(target)
        current = index.docs.get(doc_id)
        expected = r.query.get("if_seq_no")
        if expected is not None and (current is None or int(expected) != index.versions.get(doc_id)
                                     or int(r.query.get("if_primary_term", 1)) != 1):
            return _error(409, "version_conflict_engine_exception",
                          f"[{doc_id}]: version conflict, required seqNo [{expected}], primary term "
                          f"[{r.query.get('if_primary_term')}]. current document has seqNo "
                          f"[{index.versions.get(doc_id)}] and primary term [1]")
        body = r.json()
        if current is None and "upsert" not in body and not body.get("doc_as_upsert"):
            return _error(404, "document_missing_exception", f"[{doc_id}]: document missing")
        try:
            source = _updated(current, body)
        except ValueError as exc:
            return _error(400, "illegal_argument_exception", str(exc))
        result = self._put_doc(index, doc_id, source, r.query.get("refresh") in ("", "true", "wait_for"))
        return Response(201 if result == "created" else 200, {
            "_index": index.name, "_id": doc_id, "_version": index.versions[doc_id], "result": result,
            "_seq_no": index.versions[doc_id], "_primary_term": 1,
            "_shards": {"total": 1, "successful": 1, "failed": 0}})

    def _mget(self, target: str, body: dict[str, Any]) -> Response:
        docs = []
        for spec in body.get("docs") or [{"_id": i} for i in body.get("ids", [])]:
            name = spec.get("_index", target)
            try:
                targets = self._resolve(name)
            except KeyError:
                docs.append({"_index": name, "_id": spec["_id"], "error": {
                    "type": "index_not_found_exception", "reason": f"no such index [{name}]"}})
                continue
            index = targets[0]
            if spec["_id"] in index.docs:
                docs.append({"_index": index.name, "_id": spec["_id"], "found": True,
                             "_version": index.versions[spec["_id"]], "_source": index.docs[spec["_id"]]})
            else:
                docs.append({"_index": index.name, "_id": spec["_id"], "found": False})
        return Response(200, {"docs": docs})

    def _bulk(self, default_index: str | None, r: Request) -> Response:
        refresh = r.query.get("refresh") in ("", "true", "wait_for")
        lines = [line for line in r.body.split(b"\n") if line.strip()]
        items: list[dict[str, Any]] = []
        position = 0
        while position < len(lines):
            (op, meta), = json.loads(lines[position]).items()
            position += 1
            source = None
            if op != "delete":
                source = json.loads(lines[position])
                position += 1
            items.append({op: self._bulk_item(op, meta, source, default_index, refresh)})
        if refresh:  # a refresh makes everything written so far searchable, not only this request
            for item in items:
                index = self.indices.get(next(iter(item.values())).get("_index", ""))
                if index is not None:
                    index.visible = set(index.docs)
        errors = any(next(iter(i.values())).get("error") for i in items)
        return Response(200, {"took": 1, "errors": errors, "items": items})

    def _bulk_item(self, op: str, meta: dict[str, Any], source: dict[str, Any] | None,
                   default_index: str | None, refresh: bool) -> dict[str, Any]:
        target = meta.get("_index") or default_index
        doc_id = meta.get("_id")
        for fault in self.item_faults:
            if fault.times > 0 and fault.match(str(doc_id), source or {}):
                fault.times -= 1
                return {"_index": target, "_id": doc_id, "status": fault.status,
                        "error": {"type": fault.error, "reason": f"injected {fault.status} by the test double"}}
        if target is None:
            return {"_id": doc_id, "status": 400, "error": {"type": "action_request_validation_exception",
                                                              "reason": "index is missing"}}
        try:
            index = self._write_index(target)
        except ValueError as exc:
            return {"_index": target, "_id": doc_id, "status": 400,
                    "error": {"type": "illegal_argument_exception", "reason": str(exc)}}
        if op == "delete":
            existed = index.docs.pop(str(doc_id), None) is not None
            return {"_index": index.name, "_id": doc_id, "status": 200 if existed else 404,
                    "result": "deleted" if existed else "not_found"}
        assert source is not None
        if op == "update":
            current = index.docs.get(str(doc_id))
            if current is None and "upsert" not in source and not source.get("doc_as_upsert"):
                return {"_index": index.name, "_id": doc_id, "status": 404,
                        "error": {"type": "document_missing_exception", "reason": f"[{doc_id}]: document missing"}}
            try:
                source = _updated(current, source)
            except ValueError as exc:
                return {"_index": index.name, "_id": doc_id, "status": 400,
                        "error": {"type": "illegal_argument_exception", "reason": str(exc)}}
        if op == "create" and str(doc_id) in index.docs:
            return {"_index": index.name, "_id": doc_id, "status": 409, "error": {
                "type": "version_conflict_engine_exception", "reason": f"[{doc_id}]: document already exists"}}
        doc_id = str(doc_id) if doc_id is not None else f"auto-{len(index.docs) + 1}"
        result = self._put_doc(index, doc_id, source, refresh)
        return {"_index": index.name, "_id": doc_id, "_version": index.versions[doc_id], "result": result,
                "status": 201 if result == "created" else 200,
                "_shards": {"total": 1, "successful": 1, "failed": 0}}

    def _reindex(self, body: dict[str, Any]) -> Response:
        sources = self._resolve(body["source"]["index"] if isinstance(body["source"]["index"], str)
                                else ",".join(body["source"]["index"]))
        dest = body["dest"]["index"]
        created = updated = 0
        for index in sources:
            for doc_id, source in list(index.docs.items()):
                target = self._write_index(dest)
                if self._put_doc(target, doc_id, dict(source), False) == "created":
                    created += 1
                else:
                    updated += 1
        return Response(200, {"took": 1, "total": created + updated, "created": created, "updated": updated,
                              "failures": []})

    def _refresh(self, target: str) -> Response:
        for index in self._resolve(target, missing_ok=True):
            index.visible = set(index.docs)
        return Response(200, {"_shards": {"total": 1, "successful": 1, "failed": 0}})

    # -- search ------------------------------------------------------------------------------

    def _searchable(self, target: str, query: dict[str, Any] | None = None
                    ) -> Iterator[tuple[Index, str, dict[str, Any]]]:
        ids = (query or {}).get("ids", {}).get("values")  # by id: look up, as Elasticsearch does
        for index in self._resolve(target):
            for doc_id in (ids if ids is not None else list(index.docs)):
                if doc_id in index.visible and doc_id in index.docs:
                    yield index, doc_id, index.docs[doc_id]

    def _count(self, target: str, body: dict[str, Any]) -> Response:
        query = body.get("query") or {"match_all": {}}
        total = sum(1 for index, doc_id, source in self._searchable(target, query)
                    if self._matches(index, doc_id, source, query) is not None)
        return Response(200, {"count": total, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0}})

    def _search(self, target: str, body: dict[str, Any]) -> Response:
        query = body.get("query") or {"match_all": {}}
        hits = []
        for index, doc_id, source in self._searchable(target, query):
            score = self._matches(index, doc_id, source, query)
            if score is not None:
                hits.append({"_index": index.name, "_id": doc_id, "_score": score, "_source": source})
        for spec in reversed(body.get("sort") or [{"_score": "desc"}]):
            name, order = (spec, "asc") if isinstance(spec, str) else next(iter(spec.items()))
            order = order.get("order", "asc") if isinstance(order, dict) else order
            reverse = order == "desc"
            present = [h for h in hits if (h["_score"] if name == "_score" else _get(h["_source"], name)) is not None]
            absent = [h for h in hits if h not in present]
            present.sort(key=lambda h: self._sort_key(h, name), reverse=reverse)
            hits = present + absent
        if body.get("search_after") is not None:
            if not body.get("sort"):
                raise ValueError("search_after needs a sort")
            after = [_comparable(v) for v in body["search_after"]]
            hits = [h for h in hits if [_comparable(self._sort_key(h, next(iter(spec)) if isinstance(spec, dict)
                                                               else spec)) for spec in body["sort"]] != after
                    and self._after(h, body["sort"], after)]
        start, size = int(body.get("from", 0)), int(body.get("size", 10))
        if start + size > self.max_result_window:
            return _error(400, "illegal_argument_exception",
                          f"Result window is too large, from + size must be less than or equal to: "
                          f"[{self.max_result_window}] but was [{start + size}]")
        total = len(hits)
        page = hits[start:start + size]
        source_filter = body.get("_source", True)
        for hit in page:
            if body.get("seq_no_primary_term"):
                index = next(i for i in self.indices.values() if i.name == hit["_index"])
                hit["_seq_no"], hit["_primary_term"] = index.versions[hit["_id"]], 1
            if source_filter is False:
                del hit["_source"]
            if body.get("sort"):
                hit["sort"] = [self._sort_key(hit, next(iter(s)) if isinstance(s, dict) else s)
                               for s in body["sort"]]
        response: dict[str, Any] = {
            "took": 1, "timed_out": False, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {"total": {"value": total, "relation": "eq"}, "max_score": None, "hits": page}}
        if body.get("aggs") or body.get("aggregations"):
            response["aggregations"] = self._aggregations(body.get("aggs") or body["aggregations"],
                                                          [h["_source"] for h in hits])
        return Response(200, response)

    def _after(self, hit: dict[str, Any], sort: list[Any], after: list[Any]) -> bool:
        """Whether ``hit`` sorts after the ``search_after`` values."""
        for spec, bound in zip(sort, after, strict=True):
            name, order = (spec, "asc") if isinstance(spec, str) else next(iter(spec.items()))
            order = order.get("order", "asc") if isinstance(order, dict) else order
            value = _comparable(self._sort_key(hit, name))
            if value == bound:
                continue
            if value is None or bound is None:
                return bound is not None  # missing values sort last
            return value > bound if order == "asc" else value < bound
        return False

    @staticmethod
    def _sort_key(hit: dict[str, Any], name: str) -> Any:
        value = hit["_score"] if name == "_score" else _get(hit["_source"], name)
        if isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\dT", value):
            return _timestamp(value)
        return value

    def _aggregations(self, aggs: dict[str, Any], sources: list[dict[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, spec in aggs.items():
            sub = spec.get("aggs") or spec.get("aggregations")
            if "terms" in spec:
                counts: Counter[Any] = Counter()
                groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
                for source in sources:
                    values = _values(source, spec["terms"]["field"])
                    if not values and "missing" in spec["terms"]:
                        values = [spec["terms"]["missing"]]
                    for value in set(map(json.dumps, values)):
                        key = json.loads(value)
                        counts[key] += 1
                        groups[key].append(source)
                size = spec["terms"].get("size", 10)
                buckets = []
                for key, count in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[:size]:
                    bucket = {"key": key, "doc_count": count}
                    if sub:
                        bucket.update(self._aggregations(sub, groups[key]))
                    buckets.append(bucket)
                result[name] = {"doc_count_error_upper_bound": 0,
                                "sum_other_doc_count": sum(counts.values()) - sum(b["doc_count"] for b in buckets),
                                "buckets": buckets}
            elif "date_histogram" in spec:
                histogram = spec["date_histogram"]
                interval = histogram.get("fixed_interval") or histogram.get("calendar_interval") or "1h"
                step = _interval_seconds(interval)
                grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
                for source in sources:
                    ts = _timestamp(_get(source, histogram["field"]))
                    if ts is not None:
                        grouped[int(ts // step * step)].append(source)
                buckets = []
                for start in sorted(grouped):
                    bucket = {"key": start * 1000, "key_as_string": datetime.fromtimestamp(
                        start, timezone.utc).isoformat().replace("+00:00", "Z"), "doc_count": len(grouped[start])}
                    if sub:
                        bucket.update(self._aggregations(sub, grouped[start]))
                    buckets.append(bucket)
                result[name] = {"buckets": buckets}
            else:
                raise ValueError(f"the test double does not serve aggregation {spec}")
        return result

    # -- query DSL ---------------------------------------------------------------------------

    def _fields(self, index: Index) -> dict[str, dict[str, Any]]:
        return _flatten(index.mappings.get("properties", {}))

    def _matches(self, index: Index, doc_id: str, source: dict[str, Any], query: dict[str, Any]) -> float | None:
        """The score of ``source`` for ``query``, or None when it does not match."""
        (kind, spec), = query.items()
        if kind == "match_all":
            return 1.0
        if kind == "bool":
            score = 0.0
            for clause in _as_list(spec.get("must")) + _as_list(spec.get("filter")):
                s = self._matches(index, doc_id, source, clause)
                if s is None:
                    return None
                score += s if clause in _as_list(spec.get("must")) else 0.0
            for clause in _as_list(spec.get("must_not")):
                if self._matches(index, doc_id, source, clause) is not None:
                    return None
            should = _as_list(spec.get("should"))
            if should:
                matched = [s for c in should if (s := self._matches(index, doc_id, source, c)) is not None]
                needed = spec.get("minimum_should_match",
                                  0 if (spec.get("must") or spec.get("filter")) else 1)
                if len(matched) < int(needed):
                    return None
                score += sum(matched)
            return score or 1.0
        if kind == "ids":
            return 1.0 if doc_id in spec["values"] else None
        if kind == "term":
            (name, value), = spec.items()
            value = value["value"] if isinstance(value, dict) else value
            return 1.0 if value in _values(source, name) else None
        if kind == "terms":
            (name, values), = spec.items()
            return 1.0 if set(map(str, _values(source, name))) & set(map(str, values)) else None
        if kind == "exists":
            return 1.0 if _values(source, spec["field"]) else None
        if kind == "range":
            (name, bounds), = spec.items()
            values = _values(source, name)
            if not values:
                return None
            field_type = self._fields(index).get(name, {}).get("type")
            value = _timestamp(values[0]) if field_type == "date" else values[0]
            for op, bound in bounds.items():
                if op not in ("gt", "gte", "lt", "lte"):
                    continue
                limit = _timestamp(bound) if field_type == "date" else bound
                if not {"gt": value > limit, "gte": value >= limit, "lt": value < limit,
                        "lte": value <= limit}[op]:
                    return None
            return 1.0
        if kind in ("match", "multi_match"):
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
                for value in _values(source, self._source_field(index, name)):
                    found |= set(stems(str(value))) & wanted
            if operator == "and" and found != wanted or not found:
                return None
            return float(len(found))
        raise ValueError(f"the test double does not serve query [{kind}]")

    def _source_field(self, index: Index, name: str) -> str:
        return self._fields(index).get(name, {}).get("_parent", name)


def _comparable(value: Any) -> Any:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _interval_seconds(interval: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    named = {"minute": "1m", "hour": "1h", "day": "1d", "week": "1w"}
    interval = named.get(interval, interval)
    return int(interval[:-1] or 1) * units[interval[-1]]
