"""The Elasticsearch double's HTTP surface: routes, limits, faults, templates, aliases, documents, bulk,
searches and points in time. What each part does is in its own module; see the package docstring."""

from __future__ import annotations

import base64
import binascii
import fnmatch
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import orjson

from tests.support.es_double.aggregations import MAX_BUCKETS
from tests.support.es_double.by_query import delete_by_query
from tests.support.es_double.common import EsError, duration, error, merge
from tests.support.es_double.index import Index
from tests.support.es_double.search import MAX_RESULT_WINDOW, Cache, PointInTime, Shard, search
from tests.support.http_double import HttpDouble, Request, Response

VERSION = "8.19.0"
MAX_CONTENT_LENGTH = 100 * 1024 * 1024  # http.max_content_length: 100mb
REFRESHING = ("", "true", "wait_for")


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    error: str
    times: int
    after: int  # matching requests let through before the first fault


@dataclass
class Hook:
    method: str
    path: re.Pattern[str]
    action: Callable[[], None]
    after: int


@dataclass
class ItemFault:
    match: Callable[[str, dict[str, Any]], bool]
    status: int
    error: str
    times: int


class ElasticsearchDouble(HttpDouble):
    content_type = "application/vnd.elasticsearch+json;compatible-with=8"
    logged_body_limit = 1 << 20  # bulk loads of many megabytes are not kept in the request log

    def __init__(self, port: int = 0, *, near_real_time: bool = False, users: dict[str, str] | None = None,
                 api_keys: Iterable[str] = ()) -> None:
        super().__init__(port)
        self.near_real_time = near_real_time
        self.users = dict(users or {})  # with users or API keys, every request must carry one (else 401)
        self.api_keys = set(api_keys)  # "id:api_key", as the client encodes it
        self.indices: dict[str, Index] = {}
        self.templates: dict[str, dict[str, Any]] = {}
        self.component_templates: dict[str, dict[str, Any]] = {}
        self.ilm_policies: dict[str, dict[str, Any]] = {}
        self.pits: dict[str, PointInTime] = {}
        self.cache = Cache()
        self.faults: list[Fault] = []
        self.hooks: list[Hook] = []
        self.item_faults: list[ItemFault] = []
        self.bulk_requests = 0
        self._outage: tuple[int, int] | None = None
        self.max_result_window = MAX_RESULT_WINDOW  # index.max_result_window
        self.max_buckets = MAX_BUCKETS  # search.max_buckets
        self.max_content_length = MAX_CONTENT_LENGTH  # http.max_content_length

    def headers(self) -> dict[str, str]:
        return {"X-Elastic-Product": "Elasticsearch"}

    # -- faults and hooks ---------------------------------------------------------------------

    def fail(self, method: str, path: str, status: int, *, times: int = 1, after: int = 0,
             error: str | None = None) -> None:
        """Answer ``times`` requests matching ``method`` and the ``path`` regex with ``status``, after
        letting ``after`` of them through."""
        kind = error or {429: "es_rejected_execution_exception", 503: "unavailable_shards_exception"}.get(
            status, "exception")
        with self.lock:
            self.faults.append(Fault(method, re.compile(path), status, kind, times, after))

    def before(self, method: str, path: str, action: Callable[[], None], *, after: int = 0) -> None:
        """Run ``action`` once, in the server, just before the ``after + 1``-th matching request is
        answered: a write by "someone else" between two pages of a read."""
        with self.lock:
            self.hooks.append(Hook(method, re.compile(path), action, after))

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

    # -- for tests: load, look inside -----------------------------------------------------------

    def load(self, target: str, docs: Iterable[tuple[str, dict[str, Any]]]) -> int:
        """Write documents straight into ``target`` (an index, or an alias with one), searchable at
        once: large data sets for tests, without going through HTTP."""
        with self.lock:
            index = self._write_index(target)
            count = 0
            for doc_id, source in docs:
                index.index(doc_id, source, visible=False)
                count += 1
            index.refresh()
            return count

    def docs(self, target: str) -> dict[str, dict[str, Any]]:
        """id → source of every document in the indices ``target`` names (index, alias or pattern)."""
        with self.lock:
            return {doc_id: doc.source for index in self._resolve(target) for doc_id, doc in index.docs.items()}

    def sent(self, method: str, path: str) -> list[Request]:
        """The requests received (not the dropped ones) whose method and path match these regexes."""
        methods, pattern = re.compile(method), re.compile(path)
        with self.lock:
            return [r for r in self.requests if methods.fullmatch(r.method) and pattern.fullmatch(r.path)]

    @property
    def points_in_time(self) -> list[str]:
        """The ids of the points in time open now."""
        with self.lock:
            return [pit_id for pit_id, pit in self.pits.items() if pit.alive()]

    # -- dispatch ----------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        with self.lock:
            if len(request.body) > self.max_content_length:  # Netty answers before any handler runs
                return Response(413, None, {"Connection": "close"})
            refused = self._unauthenticated(request)
            if refused is not None:
                return refused
            for hook in self.hooks:
                if hook.method == request.method and hook.path.fullmatch(request.path):
                    hook.after -= 1
                    if hook.after == -1:
                        hook.action()
            for fault in self.faults:
                if fault.times > 0 and fault.method == request.method and fault.path.fullmatch(request.path):
                    if fault.after > 0:
                        fault.after -= 1
                        continue
                    fault.times -= 1
                    return error(fault.status, fault.error, f"injected {fault.status} by the test double")
            try:
                return self._route(request)
            except EsError as exc:
                return exc.response()
            except KeyError as exc:
                return error(404, "index_not_found_exception", f"no such index [{exc.args[0]}]")
            except (ValueError, TypeError) as exc:
                return error(400, "parsing_exception", str(exc))

    def _unauthenticated(self, request: Request) -> Response | None:
        """Security on (``users`` or ``api_keys``): a request without valid credentials gets the 401
        Elasticsearch sends, with its ``WWW-Authenticate`` challenge."""
        if not self.users and not self.api_keys:
            return None
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        user, _, password = decoded.partition(":")
        if scheme == "Basic" and user in self.users and self.users[user] == password:
            return None
        if scheme == "ApiKey" and decoded in self.api_keys:
            return None
        reason = (f"unable to authenticate user [{user}] for REST request [{request.path}]" if scheme == "Basic"
                  else f"missing authentication credentials for REST request [{request.path}]")
        challenge = 'Basic realm="security", charset="UTF-8", ApiKey'
        response = EsError(401, "security_exception", reason, header={"WWW-Authenticate": [challenge]}).response()
        response.headers["WWW-Authenticate"] = challenge
        return response

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
            return self._ilm_policy(method, parts[2], r)
        if head == "_aliases" and method == "POST":
            return self._aliases(r.json())
        if head == "_alias" and len(parts) == 2:
            return self._get_alias(parts[1])
        if head == "_bulk":
            return self._bulk(None, r)
        if head == "_reindex" and method == "POST":
            return self._reindex(r.json(), r.query.get("refresh") in REFRESHING)
        if head == "_refresh":
            return self._refresh("*")
        if head == "_search":
            return self._search(None, r)
        if head == "_pit" and method == "DELETE":
            return self._close_pit((r.json() or {}).get("id"))
        if len(parts) == 1:
            return self._index_endpoint(method, head, r)
        return self._index_action(method, head, parts[1:], r)

    def _index_action(self, method: str, target: str, parts: list[str], r: Request) -> Response:
        action = parts[0]
        if action == "_bulk":
            return self._bulk(target, r)
        if action == "_search":
            return self._search(target, r)
        if action == "_count":
            return self._count(target, r.json() or {})
        if action == "_refresh":
            return self._refresh(target)
        if action == "_pit" and method == "POST":
            return self._open_pit(target, r.query.get("keep_alive"))
        if action == "_alias" and len(parts) == 1:
            return self._get_alias("*", target)
        if action == "_mget":
            return self._mget(target, r.json())
        if action == "_delete_by_query" and method == "POST":
            return delete_by_query(self._resolve(target), r.json() or {}, r.query, self.near_real_time)
        if action == "_mapping" and method == "PUT":  # new fields only, as a cluster allows
            for index in self._resolve(target):
                index.mappings = merge(index.mappings, r.json() or {})
            return Response(200, {"acknowledged": True})
        if action in ("_doc", "_create", "_update") and len(parts) <= 2:
            return self._document(method, target, action, parts[1] if len(parts) == 2 else None, r)
        return error(400, "illegal_argument_exception", f"the test double does not serve {method} {r.path}")

    # -- templates, policies, indices, aliases -------------------------------------------------

    @staticmethod
    def _put_or_get(method: str, store: dict[str, Any], name: str, r: Request, key: str) -> Response:
        if method == "PUT":
            store[name] = r.json()
            return Response(200, {"acknowledged": True})
        if method == "DELETE":
            store.pop(name, None)
            return Response(200, {"acknowledged": True})
        if name not in store:
            return error(404, "resource_not_found_exception", f"{key} [{name}] missing")
        item = "index_template" if key == "index_templates" else "component_template"
        return Response(200, {key: [{"name": name, item: store[name]}]})

    def _ilm_policy(self, method: str, name: str, r: Request) -> Response:
        if method == "PUT":
            self.ilm_policies[name] = r.json()
            return Response(200, {"acknowledged": True})
        if name not in self.ilm_policies:
            return error(404, "resource_not_found_exception", f"Lifecycle policy not found: {name}")
        return Response(200, {name: {"version": 1, "policy": self.ilm_policies[name]["policy"]}})

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
            merged = merge(merged, self.component_templates[component].get("template", {}))
        return merge(merged, chosen.get("template", {}))

    def _create_index(self, name: str, body: dict[str, Any] | None = None) -> Index:
        if name in self.indices:
            raise EsError(400, "resource_already_exists_exception", f"index [{name}] already exists")
        spec = merge(self._template_for(name), body or {})
        if name in self._all_aliases():
            raise ValueError(f"an alias named [{name}] exists")
        index = Index(name, spec.get("mappings", {}), spec.get("settings", {}), set(spec.get("aliases", {})))
        self.indices[name] = index
        return index

    def _index_endpoint(self, method: str, name: str, r: Request) -> Response:
        if method in ("HEAD", "GET"):
            targets = self._resolve(name, missing_ok=True)
            if not targets:
                return Response(404) if method == "HEAD" else error(404, "index_not_found_exception", name)
            if method == "HEAD":
                return Response(200)
            return Response(200, {i.name: {"aliases": {a: {} for a in i.aliases}, "mappings": i.mappings,
                                           "settings": {"index": i.settings}} for i in targets})
        if method == "PUT":
            self._create_index(name, r.json())
            return Response(200, {"acknowledged": True, "shards_acknowledged": True, "index": name})
        if method == "DELETE":
            for index in self._resolve(name):
                del self.indices[index.name]
            return Response(200, {"acknowledged": True})
        return error(405, "method_not_allowed", f"{method} /{name}")

    def _all_aliases(self) -> set[str]:
        return {a for i in self.indices.values() for a in i.aliases}

    def _resolve(self, target: str, missing_ok: bool = False) -> list[Index]:
        found: dict[str, Index] = {}
        for part in target.split(","):
            part = "*" if part == "_all" else part
            matched = False
            for index in self.indices.values():
                if fnmatch.fnmatchcase(index.name, part) or any(fnmatch.fnmatchcase(a, part)
                                                                for a in index.aliases):
                    found[index.name] = index
                    matched = True
            if not matched and "*" not in part and not missing_ok:
                raise KeyError(part)
        return sorted(found.values(), key=lambda i: i.name)

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
            raise EsError(400, "illegal_argument_exception",
                          f"no write index is defined for alias [{target}]. The write index may be explicitly "
                          "disabled using is_write_index=false or the alias points to multiple indices without "
                          "one being designated as a write index")
        return self._create_index(target)

    def _refresh(self, target: str) -> Response:
        for index in self._resolve(target, missing_ok=True):
            index.refresh()
        return Response(200, {"_shards": {"total": 1, "successful": 1, "failed": 0}})

    # -- documents ---------------------------------------------------------------------------

    def _document(self, method: str, target: str, action: str, doc_id: str | None, r: Request) -> Response:
        refresh = r.query.get("refresh")
        conditions = {"if_seq_no": r.query.get("if_seq_no"), "if_primary_term": r.query.get("if_primary_term")}
        if method in ("PUT", "POST") and action in ("_doc", "_create"):
            index = self._write_index(target)
            create = action == "_create" or r.query.get("op_type") == "create"
            item = index.index(doc_id or uuid.uuid4().hex, r.json(), create=create,
                               visible=self._visible(refresh), **conditions)
        elif method == "POST" and action == "_update" and doc_id is not None:
            item = self._write_index(target).update(doc_id, r.json() or {}, visible=self._visible(refresh),
                                                    **conditions)
        elif doc_id is not None and method in ("GET", "HEAD", "DELETE"):
            index = self._single(target)
            if method == "DELETE":
                item = index.delete(doc_id, visible=self._visible(refresh), **conditions)
            else:
                got = index.got(doc_id)
                return Response(200 if got["found"] else 404, got)
        else:
            return error(400, "illegal_argument_exception", f"the test double does not serve {method} {r.path}")
        status = item.pop("status")
        if "error" in item:
            return EsError(status, item["error"]["type"], item["error"]["reason"],
                           index_uuid=item["_index"], shard="0", index=item["_index"]).response()
        if refresh in ("", "true"):
            item["forced_refresh"] = True
        return Response(status, item)

    def _visible(self, refresh: str | None) -> bool:
        """Whether a write is searchable at once: a refresh was asked for, or the double is not near-real-time."""
        return refresh in REFRESHING or not self.near_real_time

    def _single(self, target: str) -> Index:
        targets = self._resolve(target)
        if len(targets) > 1:
            raise EsError(400, "illegal_argument_exception",
                          f"alias [{target}] has more than one index associated with it "
                          f"[{', '.join(i.name for i in targets)}], can't execute a single index op")
        return targets[0]

    def _mget(self, target: str, body: dict[str, Any]) -> Response:
        docs = []
        for spec in body.get("docs") or [{"_id": i} for i in body.get("ids", [])]:
            name = spec.get("_index", target)
            try:
                docs.append(self._single(name).got(spec["_id"]))
            except KeyError:
                docs.append({"_index": name, "_id": spec["_id"], "error": {
                    "type": "index_not_found_exception", "reason": f"no such index [{name}]"}})
        return Response(200, {"docs": docs})

    def _bulk(self, default_index: str | None, r: Request) -> Response:
        if r.body and not r.body.endswith(b"\n"):
            return error(400, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]")
        refresh = r.query.get("refresh")
        lines = [line for line in r.body.split(b"\n") if line.strip()]
        items: list[dict[str, Any]] = []
        touched: set[str] = set()
        position = 0
        while position < len(lines):
            (op, meta), = orjson.loads(lines[position]).items()
            if op not in ("index", "create", "update", "delete"):
                return error(400, "illegal_argument_exception", f"Malformed action/metadata line [{position + 1}], "
                                                                f"expected one of [create, delete, index, update] "
                                                                f"but found [{op}]")
            position += 1
            source = None
            if op != "delete":
                source = orjson.loads(lines[position])
                position += 1
            item = self._bulk_item(op, meta, source, default_index, not self.near_real_time)
            touched.add(item.get("_index") or "")
            items.append({op: item})
        if refresh in REFRESHING:  # a refresh shows everything written so far, not only this request
            for name in touched & set(self.indices):
                self.indices[name].refresh()
        errors = any("error" in next(iter(i.values())) for i in items)
        return Response(200, {"took": 1, "errors": errors, "items": items})

    def _bulk_item(self, op: str, meta: dict[str, Any], source: dict[str, Any] | None,
                   default_index: str | None, visible: bool) -> dict[str, Any]:
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
        except EsError as exc:
            return {"_index": target, "_id": doc_id, "status": exc.status, "error": {"type": exc.kind,
                                                                                     "reason": exc.reason}}
        conditions = {"if_seq_no": meta.get("if_seq_no"), "if_primary_term": meta.get("if_primary_term")}
        if op == "delete":
            return index.delete(str(doc_id), visible=visible, **conditions)
        assert source is not None
        if op == "update":
            return index.update(str(doc_id), source, visible=visible, **conditions)
        return index.index(str(doc_id) if doc_id is not None else uuid.uuid4().hex, source, create=op == "create",
                           visible=visible, **conditions)

    def _reindex(self, body: dict[str, Any], refresh: bool) -> Response:
        names = body["source"]["index"]
        sources = self._resolve(names if isinstance(names, str) else ",".join(names))
        created = updated = 0
        for index in sources:
            for doc_id, doc in list(index.searchable.items()):
                item = self._write_index(body["dest"]["index"]).index(doc_id, doc.source, visible=refresh
                                                                      or not self.near_real_time)
                created += item["result"] == "created"
                updated += item["result"] == "updated"
        return Response(200, {"took": 1, "total": created + updated, "created": created, "updated": updated,
                              "failures": []})

    # -- search ------------------------------------------------------------------------------

    def _shards(self, target: str) -> list[Shard]:
        return [Shard(index.name, index.searchable, index.fields, number, index.generation)
                for number, index in enumerate(self._resolve(target))]

    def _search(self, target: str | None, r: Request) -> Response:
        body = r.json() or {}
        seq_no = r.query.get("seq_no_primary_term") == "true"
        if "pit" not in body:
            return Response(200, search(self._shards(target or "*"), body, seq_no=seq_no, cache=self.cache,
                                        max_result_window=self.max_result_window, max_buckets=self.max_buckets))
        if target is not None:
            raise EsError(400, "action_request_validation_exception",
                          "Validation Failed: 1: [indices] cannot be used with point in time. Do not specify any "
                          "index with point in time.;")
        pit = self._pit(body["pit"].get("id"))
        if body["pit"].get("keep_alive"):
            pit.expires = time.monotonic() + duration(body["pit"]["keep_alive"])
        return Response(200, search(pit.shards, body, pit=pit, seq_no=seq_no, cache=self.cache,
                                    max_result_window=self.max_result_window, max_buckets=self.max_buckets))

    def _count(self, target: str, body: dict[str, Any]) -> Response:
        found = search(self._shards(target), {"query": body.get("query"), "size": 0, "track_total_hits": True})
        return Response(200, {"count": found["hits"]["total"]["value"], "_shards": found["_shards"]})

    def _open_pit(self, target: str, keep_alive: str | None) -> Response:
        if not keep_alive:
            raise EsError(400, "action_request_validation_exception",
                          "Validation Failed: 1: [keep_alive] is not specified;")
        pit = PointInTime.open(self._shards(target), duration(keep_alive))
        self.pits[pit.id] = pit
        return Response(200, {"id": pit.id, "_shards": {"total": len(pit.shards), "successful": len(pit.shards),
                                                        "skipped": 0, "failed": 0}})

    def _pit(self, pit_id: str | None) -> PointInTime:
        for stale in [key for key, pit in self.pits.items() if not pit.alive()]:
            del self.pits[stale]
        if pit_id not in self.pits:
            raise EsError(404, "search_context_missing_exception", f"No search context found for id [{pit_id}]",
                          wrapped_in="search_phase_execution_exception")
        return self.pits[pit_id]

    def _close_pit(self, pit_id: str | None) -> Response:
        try:
            self._pit(pit_id)
        except EsError:
            return Response(404, {"succeeded": True, "num_freed": 0})
        del self.pits[str(pit_id)]
        return Response(200, {"succeeded": True, "num_freed": 1})
