"""The Elasticsearch store: the Store interface over the official client.

Writes go through ``helpers.streaming_bulk`` with deterministic ids and ``index`` operations, so a
re-crawl updates counters instead of adding copies. Before each batch the store asks the posts
alias where the known ids live, so an update lands in the index that holds the item even when its
month would now be computed differently (an item that had no date, or a mapping migration).
429 and 5xx are retried with exponential backoff (``INDEXER_ES_MAX_RETRIES``,
``INDEXER_ES_INITIAL_BACKOFF``, ``INDEXER_ES_MAX_BACKOFF``); what still fails comes back in the
:class:`~indexer.store.UpsertResult` (transient failures to spool, rejected items with their
reason), the first few logged with their document id. An unreachable cluster raises
:class:`~indexer.exceptions.StoreUnavailable`, and the caller spools the batch.

Searches and counts are near-real-time: an item is visible about one refresh interval after it
is written (``INDEXER_ES_REFRESH`` makes each write wait for it, which tests use).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

from elastic_transport import TransportError
from elasticsearch import ApiError, ConflictError, NotFoundError, helpers

from indexer.elastic.client import connect
from indexer.elastic.layout import Layout, install
from indexer.exceptions import StoreUnavailable, VersionConflict
from indexer.schema import DETECTOR_FIELDS, Incident, Post
from indexer.store import BucketCount, IncidentQuery, Query, UpsertResult, check_series_fields, safe_url

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

logger = logging.getLogger(__name__)

RETRY_STATUSES = (429, 502, 503, 504)
SERIES_PATHS = {"sector": "sector", "municipality": "territory.municipality", "district": "territory.district",
                "street": "territory.street", "cluster_id": "cluster_id"}
NONE = "\u2400"  # stands for "no value" in terms aggregations (``missing``), never a real name
PAGE = 10_000  # Elasticsearch's default index.max_result_window
SET_FIELDS = "for (e in params.fields.entrySet()) { ctx._source[e.getKey()] = e.getValue(); }"
# The same for an incident, its overdue flag then following the stored status (times are ISO 8601
# in UTC, which compare as text).
SET_INCIDENT = (SET_FIELDS + " ctx._source.overdue = ctx._source.deadline != null && (ctx._source.status == 'new'"
                " || ctx._source.status == 'assigned') && ctx._source.deadline.compareTo(params.now) < 0;")


class ElasticsearchStore:
    """A :class:`~indexer.store.Store` in an Elasticsearch cluster (8.x or 9.x)."""

    def __init__(self, client: Elasticsearch, layout: Layout, *, url: str = "", chunk_size: int = 500,
                 max_retries: int = 3, initial_backoff: float = 2.0, max_backoff: float = 60.0,
                 refresh: bool = False, log_failures: int = 5) -> None:
        self.client = client
        self.layout = layout
        self.url = safe_url(url)
        self.chunk_size = chunk_size
        self.max_retries = max_retries
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.refresh = refresh
        self.log_failures = log_failures
        self.failures: Counter[str] = Counter()
        self.page_size = PAGE
        self._installed = False

    @classmethod
    def from_url(cls, url: str, options: Mapping[str, Any]) -> ElasticsearchStore:
        layout = Layout(prefix=options.get("INDEXER_ES_PREFIX") or "monitor",
                        retention_days=int(options.get("INDEXER_RETENTION_DAYS") or 180))
        return cls(connect(url, options), layout, url=url,
                   chunk_size=int(options.get("INDEXER_ES_CHUNK_SIZE") or 500),
                   max_retries=int(options.get("INDEXER_ES_MAX_RETRIES", 3)),
                   initial_backoff=float(options.get("INDEXER_ES_INITIAL_BACKOFF", 2.0)),
                   max_backoff=float(options.get("INDEXER_ES_MAX_BACKOFF", 60.0)),
                   refresh=_bool(options.get("INDEXER_ES_REFRESH", False)))

    # -- writes ------------------------------------------------------------------------------

    def upsert(self, posts: Sequence[Post]) -> UpsertResult:
        latest = {post.id: post for post in posts}  # a batch may see one item twice: keep the last
        with self._writing():
            self._ensure_templates()
            return self._bulk(latest, self._stored(list(latest)))

    def _ensure_templates(self) -> None:
        """Install the templates on first write if ``monitor setup`` never ran on this cluster.

        Without them the first post would create an index with guessed mappings.
        """
        if self._installed:
            return
        name = f"{self.layout.posts}-v{self.layout.version}"
        if not self.client.indices.exists_index_template(name=name):
            logger.warning("%s has no index template %s: installing templates now "
                           "(run `monitor setup` to also import the Kibana objects)", self.url, name)
            install(self.client, self.layout)
        self._installed = True

    def _locate(self, ids: list[str]) -> dict[str, str]:
        """id → the index holding it, for the ids already stored."""
        return {post_id: stored[0] for post_id, stored in self._stored(ids).items()}

    def _stored(self, ids: list[str]) -> dict[str, tuple[str, str | None, str | None]]:
        """id → (the index holding it, its text, its title), for the ids already stored."""
        if not ids:
            return {}
        try:
            found = self.client.search(index=self.layout.posts, query={"ids": {"values": ids}},
                                       size=len(ids), source={"includes": ["text", "title"]})
        except NotFoundError:  # no posts index yet
            return {}
        return {hit["_id"]: (hit["_index"], hit["_source"].get("text"), hit["_source"].get("title"))
                for hit in found["hits"]["hits"]}

    def _actions(self, posts: Mapping[str, Post],
                 stored: Mapping[str, tuple[str, str | None, str | None]]) -> Iterator[dict[str, Any]]:
        """A new post is indexed whole; a stored one gets the crawl's fields only, as a partial
        update, so what the detector wrote stays; either is marked changed when its text is new."""
        now = datetime.now(timezone.utc).isoformat()
        for post_id, post in posts.items():
            doc = post.to_dict()
            if post_id not in stored:
                when = post.created_at or post.crawled_at or datetime.now(timezone.utc)
                yield {"_op_type": "index", "_id": post_id, "_source": {**doc, "changed_at": now},
                       "_index": self.layout.posts_index(when.astimezone(timezone.utc))}
                continue
            index, text, title = stored[post_id]
            crawled = {name: value for name, value in doc.items() if name not in DETECTOR_FIELDS}
            if (text, title) != (post.text, post.title):
                crawled["changed_at"] = now
            yield {"_op_type": "update", "_id": post_id, "_index": index, "doc": crawled}

    def _bulk(self, posts: Mapping[str, Post], stored: Mapping[str, tuple[str, str | None, str | None]]
              ) -> UpsertResult:
        result = UpsertResult()
        for ok, item in helpers.streaming_bulk(self.client, self._actions(posts, stored),
                                               chunk_size=self.chunk_size, **self._bulk_options()):
            info = item.get("index") or item["update"]
            if ok:
                if info.get("result") == "created":
                    result.new += 1
                else:
                    result.updated += 1
                continue
            post = posts[info["_id"]]
            status = int(info.get("status") or 0)
            reason = (info.get("error") or {}).get("type") or f"http_{status}"
            self.failures[reason] += 1
            result.failures[reason] = result.failures.get(reason, 0) + 1
            if sum(self.failures.values()) <= self.log_failures:
                logger.error("%s refused %s (%s %s): %s", self.url, post.id, status, reason,
                             (info.get("error") or {}).get("reason"))
            if status in RETRY_STATUSES:
                result.transient.append(post)
            else:
                result.rejected.append((post, reason))
        return result

    def update_findings(self, findings: Mapping[str, Mapping[str, Any]]) -> int:
        unknown = {name for found in findings.values() for name in found} - set(DETECTOR_FIELDS)
        if unknown:
            raise ValueError(f"update_findings: {sorted(unknown)} are not the detector's fields")
        with self._writing():
            located = self._locate(list(findings))
            # A script sets each field whole: a partial document would merge objects key by key, and a
            # stale key of the old fake_evidence would survive.
            actions = [{"_op_type": "update", "_index": located[post_id], "_id": post_id,
                        "script": {"source": SET_FIELDS, "lang": "painless", "params": {"fields": dict(found)}}}
                       for post_id, found in findings.items() if post_id in located]
            updated = 0
            for ok, _item in helpers.streaming_bulk(self.client, actions, chunk_size=self.chunk_size,
                                                    **self._bulk_options()):
                updated += ok
            return updated

    def set_cursor(self, source_id: str, cursor: dict[str, Any]) -> None:
        with self._writing():
            self._ensure_templates()
            self.client.index(index=self.layout.alias("state"), id=source_id,
                              document={"source_id": source_id, "cursor": cursor,
                                        "updated_at": datetime.now(timezone.utc).isoformat()},
                              refresh="wait_for" if self.refresh else None)

    def _bulk_options(self) -> dict[str, Any]:
        """What every bulk write shares: 429/5xx retried with backoff, refused items reported."""
        return {"max_retries": self.max_retries, "initial_backoff": self.initial_backoff,
                "max_backoff": self.max_backoff, "retry_on_status": RETRY_STATUSES, "raise_on_error": False,
                "raise_on_exception": True, "refresh": "wait_for" if self.refresh else False}

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Turn a lost connection or any error answer into StoreUnavailable: the caller spools."""
        with self._unavailable(not_found_passes=False):
            yield

    # -- reads -------------------------------------------------------------------------------

    def get(self, post_id: str) -> Post | None:
        hits = self._search(query={"ids": {"values": [post_id]}}, size=1)
        return Post.from_dict(hits[0]["_source"]) if hits else None

    def search(self, query: Query) -> list[Post]:
        """Up to ``query.limit`` posts; past Elasticsearch's 10,000-hit window, page with search_after."""
        sort: list[Any] = ["_score", {"created_at": "desc"}] if query.text and query.sort == "relevance" \
            else [{"created_at": {"order": "desc", "missing": "_last"}}]
        sort.append({"id": "asc"})  # a tie-breaker, so search_after pages never skip or repeat
        hits: list[dict[str, Any]] = []
        after: list[Any] | None = None
        while len(hits) < query.limit:
            size = min(query.limit - len(hits), self.page_size)
            page = self._search(query=self._query(query), size=size, sort=sort,
                                **({"search_after": after} if after else {}))
            hits += page
            if len(page) < size:
                break
            after = page[-1]["sort"]
        return [Post.from_dict(hit["_source"]) for hit in hits]

    def count(self, query: Query) -> int:
        with self._reading():
            try:
                return int(self.client.count(index=self.layout.posts, query=self._query(query))["count"])
            except NotFoundError:
                return 0

    def _search(self, **body: Any) -> list[dict[str, Any]]:
        with self._reading():
            try:
                return list(self.client.search(index=self.layout.posts, **body)["hits"]["hits"])
            except NotFoundError:
                return []

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Turn a lost connection or a server error into StoreUnavailable (404s are handled inside)."""
        with self._unavailable(not_found_passes=True):
            yield

    @contextmanager
    def _unavailable(self, *, not_found_passes: bool) -> Iterator[None]:
        try:
            yield
        except (TransportError, ApiError) as exc:
            if not_found_passes and isinstance(exc, NotFoundError):
                raise
            raise StoreUnavailable(f"Elasticsearch store {self.url}: {_describe(exc)}") from exc

    @staticmethod
    def _query(query: Query) -> dict[str, Any]:
        must: list[dict[str, Any]] = []
        filters: list[dict[str, Any]] = []
        if query.text:
            must.append({"multi_match": {"query": query.text, "fields": ["text", "title"],
                                         "operator": "and"}})
        for field, value in (("platform", query.platform), ("source_id", query.source_id),
                             ("kind", query.kind)):
            if value is not None:
                filters.append({"term": {field: value}})
        window = {}
        if query.since is not None:
            window["gte"] = query.since.isoformat()
        if query.until is not None:
            window["lt"] = query.until.isoformat()
        if window:
            filters.append({"range": {"created_at": window}})
        if query.changed_since is not None:
            filters.append({"range": {"changed_at": {"gte": query.changed_since.isoformat()}}})
        return {"bool": {"must": must, "filter": filters}} if must or filters else {"match_all": {}}

    def get_cursor(self, source_id: str) -> dict[str, Any] | None:
        with self._reading():
            try:
                found = self.client.get(index=self.layout.alias("state"), id=source_id)
            except NotFoundError:
                return None
        return dict(found["_source"]["cursor"])

    def comment_counts(self, source_id: str, since: datetime) -> dict[str, int]:
        posts = self._search(query={"bool": {"filter": [
            {"term": {"source_id": source_id}}, {"term": {"kind": "post"}},
            {"range": {"created_at": {"gte": since.isoformat()}}}]}}, size=10_000, source=False)
        counts = {hit["_id"]: 0 for hit in posts}
        if not counts:
            return counts
        with self._reading():
            found = self.client.search(index=self.layout.posts, size=0, query={"bool": {"filter": [
                {"term": {"kind": "comment"}}, {"terms": {"thread_root": list(counts)}}]}},
                aggs={"roots": {"terms": {"field": "thread_root", "size": len(counts)}}})
        for bucket in found["aggregations"]["roots"]["buckets"]:
            counts[bucket["key"]] = int(bucket["doc_count"])
        return counts

    def count_buckets(self, since: datetime, until: datetime, bucket: timedelta,
                      by: Sequence[str] = ("sector", "municipality", "district"),
                      complaints_only: bool = True) -> list[BucketCount]:
        """Nested terms aggregations (one per ``by`` field) over a date histogram, in one request."""
        check_series_fields(by)
        aggs: dict[str, Any] = {"t": {"date_histogram": {"field": "created_at", "min_doc_count": 1,
                                                         "fixed_interval": f"{int(bucket.total_seconds())}s"}}}
        for level in reversed(range(len(by))):
            aggs = {f"k{level}": {"terms": {"field": SERIES_PATHS[by[level]], "size": 10_000, "missing": NONE},
                                  "aggs": aggs}}
        filters: list[dict[str, Any]] = [{"range": {"created_at": {"gte": since.isoformat(), "lt": until.isoformat()}}}]
        if complaints_only:
            filters.append({"term": {"is_complaint": True}})
        with self._reading():
            try:
                found = self.client.search(index=self.layout.posts, size=0, query={"bool": {"filter": filters}},
                                           aggs=aggs)
            except NotFoundError:
                return []
        return list(_bucket_counts(found["aggregations"], 0, ()))

    def upsert_incidents(self, incidents: Sequence[Incident]) -> None:
        if not incidents:
            return
        now = datetime.now(timezone.utc).isoformat()
        actions = [{"_op_type": "update", "_index": self.layout.alias("incidents"), "_id": i.id,
                    "script": {"source": SET_INCIDENT, "lang": "painless",
                               "params": {"fields": _without(i.detector_part(), "overdue"), "now": now}},
                    "upsert": i.to_dict()} for i in incidents]
        with self._writing():
            self._ensure_templates()
            _, errors = helpers.bulk(self.client, actions, **self._bulk_options())
        if isinstance(errors, list) and errors:
            raise StoreUnavailable(f"Elasticsearch store {self.url}: {len(errors)} incidents refused: "
                                   f"{errors[0]}")

    def update_incident(self, incident: Incident) -> Incident:
        seq_no, _, term = str(incident.version or "").partition(":")
        if not seq_no or not term:
            raise VersionConflict(incident.id, incident.version)
        fields = {"fields": incident.staff_part(), "now": datetime.now(timezone.utc).isoformat()}
        with self._writing():
            try:
                done = self.client.update(index=self.layout.alias("incidents"), id=incident.id,
                                          script={"source": SET_INCIDENT, "lang": "painless", "params": fields},
                                          if_seq_no=int(seq_no), if_primary_term=int(term),
                                          refresh="wait_for" if self.refresh else None)
            except ConflictError as exc:
                raise VersionConflict(incident.id, incident.version) from exc
        return dataclasses.replace(incident, version=f"{done['_seq_no']}:{done['_primary_term']}")

    def get_incident(self, incident_id: str) -> Incident | None:
        with self._reading():
            try:
                found = self.client.get(index=self.layout.alias("incidents"), id=incident_id)
            except NotFoundError:
                return None
        return Incident.from_dict(found["_source"], f"{found['_seq_no']}:{found['_primary_term']}")

    def find_incidents(self, query: IncidentQuery) -> list[Incident]:
        filters: list[dict[str, Any]] = []
        for field, value in (("queue", query.queue), ("sector", query.sector),
                             ("territory.municipality", query.municipality),
                             ("territory.district", query.district)):
            if value is not None:
                filters.append({"term": {field: value}})
        if query.status:
            filters.append({"terms": {"status": list(query.status)}})
        if query.since is not None:
            filters.append({"range": {"opened_at": {"gte": query.since.isoformat()}}})
        if query.status_since is not None:
            filters.append({"range": {"status_at": {"gte": query.status_since.isoformat()}}})
        with self._reading():
            try:
                found = self.client.search(
                    index=self.layout.alias("incidents"), size=query.limit, seq_no_primary_term=True,
                    query={"bool": {"filter": filters}} if filters else {"match_all": {}},
                    sort=[{"deadline": {"order": "asc", "missing": "_last"}}, {"opened_at": {"order": "desc"}}])
            except NotFoundError:
                return []
        return [Incident.from_dict(hit["_source"], f"{hit['_seq_no']}:{hit['_primary_term']}")
                for hit in found["hits"]["hits"]]

    def close(self) -> None:
        self.client.close()


def _without(document: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in names}


def _bucket_counts(aggs: Mapping[str, Any], level: int, key: tuple[str | None, ...]) -> Iterator[BucketCount]:
    if "t" in aggs:
        for bucket in aggs["t"]["buckets"]:
            if bucket["doc_count"]:
                yield BucketCount(key, datetime.fromtimestamp(bucket["key"] / 1000, timezone.utc),
                                  int(bucket["doc_count"]))
        return
    for bucket in aggs[f"k{level}"]["buckets"]:
        value = None if bucket["key"] == NONE else str(bucket["key"])
        yield from _bucket_counts(bucket, level + 1, (*key, value))


def _bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")


def _describe(exc: Exception) -> str:
    if isinstance(exc, ApiError):
        return f"HTTP {exc.status_code} {exc.error}"
    return f"{type(exc).__name__}: {exc}"
