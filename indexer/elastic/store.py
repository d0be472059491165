"""The Elasticsearch store: the Store interface over the official client.

Writes go through ``helpers.streaming_bulk`` with deterministic ids: a new post is indexed whole, a
re-crawled one gets the crawler's fields as a partial update (what the detector wrote stays), and
the detector's findings are set by a script, so neither owner clears the other's fields. Before each batch the store asks the posts
alias where the known ids live, so an update lands in the index that holds the item even when its
month would now be computed differently (an item that had no date, or a mapping migration).
429 and 5xx are retried with exponential backoff (``INDEXER_ES_MAX_RETRIES``,
``INDEXER_ES_INITIAL_BACKOFF``, ``INDEXER_ES_MAX_BACKOFF``); what still fails comes back in the
:class:`~indexer.store.UpsertResult` (transient failures to spool, rejected items with their
reason), the first few logged with their document id. An unreachable cluster raises
:class:`~indexer.exceptions.StoreUnavailable`, and the caller spools the batch.

Bulk requests stay under ``INDEXER_ES_MAX_CHUNK_BYTES`` (below the cluster's
``http.max_content_length``, which answers a larger body with 413). A document that alone does not
fit is refused for good (``document_too_large``) without being sent; one the cluster still
refuses as too large when sent alone is refused for good too (``request_entity_too_large``), so
neither goes round the spool forever.

Reads of any size go through :mod:`indexer.elastic.paging`: hits past one page through a point in
time with ``search_after``, counts per bucket through composite aggregations. Searches and counts
are near-real-time: an item is visible about one refresh interval after it is written
(``INDEXER_ES_REFRESH`` makes each write wait for it, which tests use).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

import orjson
from elastic_transport import TransportError
from elasticsearch import ApiError, ConflictError, NotFoundError

from indexer.elastic import erasure, paging
from indexer.elastic.bulk import Action, BulkWriter
from indexer.elastic.client import connect
from indexer.elastic.layout import Layout, install
from indexer.erasure import ErasureRecord, ForgetResult, Selector
from indexer.exceptions import StoreUnavailable, VersionConflict
from indexer.schema import DETECTOR_FIELDS, Incident, Post
from indexer.store import (
    BucketCount,
    IncidentQuery,
    Query,
    UpsertResult,
    check_series_fields,
    holding_keys,
    safe_url,
)

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

logger = logging.getLogger(__name__)

RETRY_STATUSES = (429, 502, 503, 504)
SERIES_PATHS = {"sector": "sector", "municipality": "territory.municipality", "district": "territory.district",
                "street": "territory.street", "cluster_id": "cluster_id"}
NONE = "\u2400"  # stands for "no value" in terms aggregations (``missing``), never a real name
SET_FIELDS = "for (e in params.fields.entrySet()) { ctx._source[e.getKey()] = e.getValue(); }"
# The same for an incident, its overdue flag then following the stored status (times are ISO 8601
# in UTC, which compare as text).
# Posts staff moved (``added_posts``, ``excluded_posts``: staff's fields, which the detector's write
# keeps) are applied over the ``post_ids`` written, so a detect run that read an incident before a
# merge or a split and writes it after cannot put a moved post back.
SET_INCIDENT = (SET_FIELDS + " ctx._source.overdue = ctx._source.deadline != null && (ctx._source.status == 'new'"
                " || ctx._source.status == 'assigned') && ctx._source.deadline.compareTo(params.now) < 0;"
                " def out = ctx._source.excluded_posts; def added = ctx._source.added_posts;"
                " if (ctx._source.post_ids != null && ((out != null && !out.isEmpty())"
                " || (added != null && !added.isEmpty()))) { def kept = new ArrayList();"
                " for (p in ctx._source.post_ids) { if (out == null || !out.contains(p)) { kept.add(p); } }"
                " if (added != null) { for (p in added) { if (!kept.contains(p) && (out == null || !out.contains(p)))"
                " { kept.add(p); } } } ctx._source.post_ids = kept; ctx._source.posts_count = kept.size(); }")
MAX_TERMS = 65_536  # index.max_terms_count's default: the most values one terms query may hold
MAX_CHUNK_BYTES = 10 * 1024 * 1024  # well under http.max_content_length (100mb by default)


class ElasticsearchStore:
    """A :class:`~indexer.store.Store` in an Elasticsearch cluster (8.x or 9.x)."""

    def __init__(self, client: Elasticsearch, layout: Layout, *, url: str = "", chunk_size: int = 500,
                 max_chunk_bytes: int = MAX_CHUNK_BYTES, max_retries: int = 3, initial_backoff: float = 2.0,
                 max_backoff: float = 60.0, refresh: bool = False, log_failures: int = 5) -> None:
        self.client = client
        self.layout = layout
        self.url = safe_url(url)
        self.chunk_size = chunk_size
        self.max_chunk_bytes = max_chunk_bytes
        self.max_retries = max_retries
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.refresh = refresh
        self.log_failures = log_failures
        self.failures: Counter[str] = Counter()
        self.page_size = paging.PAGE  # hits or buckets per request
        self._installed = False

    @classmethod
    def from_url(cls, url: str, options: Mapping[str, Any]) -> ElasticsearchStore:
        layout = Layout(prefix=options.get("INDEXER_ES_PREFIX") or "monitor",
                        retention_days=int(options.get("INDEXER_RETENTION_DAYS") or 180))
        return cls(connect(url, options), layout, url=url,
                   chunk_size=int(options.get("INDEXER_ES_CHUNK_SIZE") or 500),
                   max_chunk_bytes=int(options.get("INDEXER_ES_MAX_CHUNK_BYTES") or MAX_CHUNK_BYTES),
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
        """id → (the index holding it, its text, its title), for the ids already stored (a page of
        ids a request)."""
        stored: dict[str, tuple[str, str | None, str | None]] = {}
        for start in range(0, len(ids), self.page_size):
            chunk = ids[start:start + self.page_size]
            try:
                found = self.client.search(index=self.layout.posts, query={"ids": {"values": chunk}},
                                           size=len(chunk), source={"includes": ["text", "title"]},
                                           track_total_hits=False)
            except NotFoundError:  # no posts index yet
                return {}
            stored.update((hit["_id"], (hit["_index"], hit["_source"].get("text"), hit["_source"].get("title")))
                          for hit in found["hits"]["hits"])
        return stored

    def _actions(self, posts: Mapping[str, Post],
                 stored: Mapping[str, tuple[str, str | None, str | None]]) -> Iterator[Action]:
        """A new post is indexed whole; a stored one gets the crawl's fields only, as a partial
        update, so what the detector wrote stays; either is marked changed when its text is new."""
        now = datetime.now(timezone.utc).isoformat()
        changed = b',"changed_at":' + orjson.dumps(now) + b"}"
        for post_id, post in posts.items():
            if post_id not in stored:
                when = post.created_at or post.crawled_at or datetime.now(timezone.utc)
                # to_document is one JSON object: changed_at is spliced in before its closing brace
                source = orjson.dumps(post.to_document())[:-1] + changed
                yield Action.index(self.layout.posts_index(when.astimezone(timezone.utc)), post_id, source)
                continue
            index, text, title = stored[post_id]
            crawled = {name: value for name, value in post.to_dict().items() if name not in DETECTOR_FIELDS}
            if (text, title) != (post.text, post.title):
                crawled["changed_at"] = now
            yield Action.update(index, post_id, {"doc": crawled})

    def _bulk(self, posts: Mapping[str, Post], stored: Mapping[str, tuple[str, str | None, str | None]]
              ) -> UpsertResult:
        result = UpsertResult()
        for outcome in self._writer().write(self._actions(posts, stored)):
            if outcome.ok:
                if outcome.result == "created":
                    result.new += 1
                else:
                    result.updated += 1
                continue
            post, reason = posts[outcome.doc_id], outcome.kind or f"http_{outcome.status}"
            self.failures[reason] += 1
            result.failures[reason] = result.failures.get(reason, 0) + 1
            if sum(self.failures.values()) <= self.log_failures:
                logger.error("%s refused %s (%s %s): %s", self.url, post.id, outcome.status, reason, outcome.reason)
            if outcome.status in RETRY_STATUSES:
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
            actions = [Action.update(located[post_id], post_id, {
                "script": {"source": SET_FIELDS, "lang": "painless", "params": {"fields": dict(found)}}})
                for post_id, found in findings.items() if post_id in located]
            return sum(outcome.ok for outcome in self._writer().write(actions))

    def set_cursor(self, source_id: str, cursor: dict[str, Any]) -> None:
        with self._writing():
            self._ensure_templates()
            self.client.index(index=self.layout.alias("state"), id=source_id,
                              document={"source_id": source_id, "cursor": cursor,
                                        "updated_at": datetime.now(timezone.utc).isoformat()},
                              refresh="wait_for" if self.refresh else None)

    def set_source_health(self, source_id: str, health: dict[str, Any]) -> None:
        """Into the source's document of the sources index (``monitor setup`` writes its watchlist fields)."""
        with self._writing():
            self._ensure_templates()
            # A script sets it whole (a partial document would keep the old health's stale keys).
            fields = {"id": source_id, "health": health}
            self.client.update(index=self.layout.alias("sources"), id=source_id, upsert=fields,
                               script={"source": SET_FIELDS, "lang": "painless", "params": {"fields": fields}},
                               refresh="wait_for" if self.refresh else None)

    def _writer(self) -> BulkWriter:
        """What every bulk write shares: requests sized, 429/5xx retried with backoff, refused items reported."""
        return BulkWriter(self.client, chunk_size=self.chunk_size, max_chunk_bytes=self.max_chunk_bytes, options={
            "max_retries": self.max_retries, "initial_backoff": self.initial_backoff, "max_backoff": self.max_backoff,
            "retry_on_status": RETRY_STATUSES, "raise_on_error": False, "raise_on_exception": True,
            "refresh": "wait_for" if self.refresh else False})

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
        """Up to ``query.limit`` posts, any number (:func:`indexer.elastic.paging.hits`)."""
        sort: list[Any] = ["_score", {"created_at": "desc"}] if query.text and query.sort == "relevance" \
            else [{"created_at": {"order": "desc", "missing": "_last"}}]
        sort.append({"id": "asc"})  # ties in a stable order, page after page
        hits = self._hits(self.layout.posts, query=self._query(query), sort=sort, limit=query.limit)
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

    def _hits(self, index: str, *, query: dict[str, Any], sort: list[Any], limit: int | None,
              **options: Any) -> list[dict[str, Any]]:
        """Hits of any number, ``limit`` at most (None: all); none before the index exists."""
        with self._reading():
            try:
                return paging.hits(self.client, index, query=query, sort=sort, limit=limit,
                                   page_size=self.page_size, **options)
            except NotFoundError as exc:
                return self._missing(exc, [])

    def _buckets(self, query: dict[str, Any], sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Every bucket of a composite aggregation over the posts; none before they have an index."""
        with self._reading():
            try:
                return paging.buckets(self.client, self.layout.posts, query=query, sources=sources,
                                      page_size=self.page_size)
            except NotFoundError as exc:
                return self._missing(exc, [])

    def _missing(self, exc: NotFoundError, empty: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A missing index reads as empty; any other 404 (a point in time expired) is a failed read."""
        if exc.error == "index_not_found_exception":
            return empty
        raise StoreUnavailable(f"Elasticsearch store {self.url}: {_describe(exc)}") from exc

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
            must.append({"multi_match": {"query": query.text, "fields": ["text", "title", "origin.text"],
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
        changed = {bound: moment.isoformat() for bound, moment in (("gte", query.changed_since),
                                                                   ("lt", query.changed_until)) if moment is not None}
        if changed:
            filters.append({"range": {"changed_at": changed}})
        for field, values in (("_id", query.ids), ("source_id", query.source_ids),
                              ("cluster_id", query.cluster_ids), ("bands", query.bands)):
            if values is not None:
                filters.append(_any_of(field, values))
        return {"bool": {"must": must, "filter": filters}} if must or filters else {"match_all": {}}

    def get_cursor(self, source_id: str) -> dict[str, Any] | None:
        with self._reading():
            try:
                found = self.client.get(index=self.layout.alias("state"), id=source_id)
            except NotFoundError:
                return None
        return dict(found["_source"]["cursor"])

    def get_source_health(self, source_id: str) -> dict[str, Any] | None:
        return self.source_health((source_id,)).get(source_id)

    def source_health(self, source_ids: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
        query: dict[str, Any] = {"exists": {"field": "health.state"}}
        if source_ids is not None:
            query = {"bool": {"filter": [query, _any_of("_id", tuple(source_ids))]}}
        hits = self._hits(self.layout.alias("sources"), query=query, sort=[], limit=None, source=True)
        return {hit["_id"]: hit["_source"]["health"] for hit in hits}

    def comment_counts(self, source_id: str, since: datetime) -> dict[str, int]:
        posts = self._hits(self.layout.posts, query={"bool": {"filter": [
            {"term": {"source_id": source_id}}, {"term": {"kind": "post"}},
            {"range": {"created_at": {"gte": since.isoformat()}}}]}}, sort=[], limit=None, source=False)
        counts = {hit["_id"]: 0 for hit in posts}
        roots = list(counts)
        for start in range(0, len(roots), self.page_size):  # a page of ids a query: under index.max_terms_count
            query = {"bool": {"filter": [{"term": {"kind": "comment"}},
                                         {"terms": {"thread_root": roots[start:start + self.page_size]}}]}}
            for row in self._buckets(query, [{"root": {"terms": {"field": "thread_root"}}}]):
                counts[row["key"]["root"]] = int(row["doc_count"])
        return counts

    def count_buckets(self, since: datetime, until: datetime, bucket: timedelta,
                      by: Sequence[str] = ("sector", "municipality", "district"),
                      complaints_only: bool = True) -> list[BucketCount]:
        """A composite aggregation: the time bucket, then one terms source per ``by`` field (a
        bucket for posts without a value), paged, so no response nears ``search.max_buckets``."""
        check_series_fields(by)
        sources: list[dict[str, Any]] = [
            {"t": {"date_histogram": {"field": "created_at", "fixed_interval": f"{int(bucket.total_seconds())}s"}}}]
        sources += [{f"k{n}": {"terms": {"field": SERIES_PATHS[name], "missing_bucket": True}}}
                    for n, name in enumerate(by)]
        filters: list[dict[str, Any]] = [{"range": {"created_at": {"gte": since.isoformat(), "lt": until.isoformat()}}}]
        if complaints_only:
            filters.append({"term": {"is_complaint": True}})
        return [BucketCount(tuple(_text(row["key"][f"k{n}"]) for n in range(len(by))),
                            datetime.fromtimestamp(row["key"]["t"] / 1000, timezone.utc), int(row["doc_count"]))
                for row in self._buckets({"bool": {"filter": filters}}, sources)]

    def upsert_incidents(self, incidents: Sequence[Incident]) -> None:
        if not incidents:
            return
        now = datetime.now(timezone.utc).isoformat()
        actions = [Action.update(self.layout.alias("incidents"), i.id, {
            "script": {"source": SET_INCIDENT, "lang": "painless",
                       "params": {"fields": _without(i.detector_part(), "overdue"), "now": now}},
            "upsert": i.to_dict()}) for i in incidents]
        with self._writing():
            self._ensure_templates()
            refused = [outcome for outcome in self._writer().write(actions) if not outcome.ok]
        if refused:
            first = refused[0]
            raise StoreUnavailable(f"Elasticsearch store {self.url}: {len(refused)} incidents refused, first "
                                   f"{first.doc_id} ({first.status} {first.kind}): {first.reason}")

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
        hits = self._hits(self.layout.alias("incidents"), query=_incident_query(query),
                          sort=[{"deadline": {"order": "asc", "missing": "_last"}}, {"opened_at": {"order": "desc"}}],
                          limit=query.limit + query.offset, seq_no_primary_term=True)[query.offset:]
        found = [Incident.from_dict(hit["_source"], f"{hit['_seq_no']}:{hit['_primary_term']}") for hit in hits]
        if query.holding is None:
            return found
        # The index knows an incident's first cluster and a street without its town: the keys decide.
        keys = query.holding.keys()
        return [incident for incident in found if holding_keys(incident) & keys]

    # -- erasure and retention (indexer/elastic/erasure.py) ------------------------------------

    def forget(self, selector: Selector) -> ForgetResult:
        query = erasure.selector_query(selector)
        with self._writing():
            self._refresh(self.layout.posts)  # what was just written is matched too
        hits = self._hits(self.layout.posts, query=query, sort=[{"id": "asc"}], limit=None)
        with self._writing():
            if hits:
                erasure.delete_matching(self.client, self.layout.posts, query)
        reposts = self._hits(self.layout.posts, query=erasure.origin_query(selector), sort=[{"id": "asc"}],
                             limit=None, source=False)
        # a partial document: only the original goes; the search fields follow the document
        actions = [Action.update(hit["_index"], hit["_id"], {"doc": {"origin": None}}) for hit in reposts]
        with self._writing():
            cleared = sum(outcome.ok for outcome in self._writer().write(actions))
        return ForgetResult(removed=[Post.from_dict(hit["_source"]) for hit in hits], reposts=cleared)

    def expire(self, posts_before: datetime | None, incidents_closed_before: datetime | None) -> dict[str, int]:
        counts = {"posts": 0, "comments": 0, "incidents": 0}
        with self._writing():
            if posts_before is not None and self._refresh(self.layout.posts):
                for kind, name in (("post", "posts"), ("comment", "comments")):
                    counts[name] = erasure.delete_matching(self.client, self.layout.posts,
                                                           erasure.older_posts(posts_before, kind))
            incidents = self.layout.alias("incidents")
            if incidents_closed_before is not None and self._refresh(incidents):
                counts["incidents"] = erasure.delete_matching(self.client, incidents,
                                                              erasure.closed_incidents(incidents_closed_before))
        return counts

    def record_erasure(self, record: ErasureRecord) -> None:
        with self._writing():
            self._ensure_templates()
            if not self.client.indices.exists_alias(name=self.layout.alias("erasures")):
                install(self.client, self.layout)  # templates put before the erasure log existed
            # waits for a refresh: the next crawl's exclusion list must hold it
            self.client.index(index=self.layout.alias("erasures"), id=record.id, document=record.to_dict(),
                              refresh="wait_for")

    def erasures(self) -> list[ErasureRecord]:
        hits = self._hits(self.layout.alias("erasures"), query={"match_all": {}},
                          sort=[{"id": "asc"}], limit=None)
        return [ErasureRecord.from_dict(hit["_source"]) for hit in hits]

    def _refresh(self, target: str) -> bool:
        """Refresh ``target`` so a by-query write sees every write made so far; False when it does not exist."""
        try:
            self.client.indices.refresh(index=target)
        except NotFoundError:
            return False
        return True

    def count_incidents(self, query: IncidentQuery) -> int:
        with self._reading():
            try:
                return int(self.client.count(index=self.layout.alias("incidents"),
                                             query=_incident_query(query))["count"])
            except NotFoundError:
                return 0

    def close(self) -> None:
        self.client.close()



def _incident_query(query: IncidentQuery) -> dict[str, Any]:
    """``query`` as an Elasticsearch query over the incidents."""
    filters: list[dict[str, Any]] = []
    for field, value in (("queue", query.queue), ("sector", query.sector),
                         ("territory.municipality", query.municipality),
                         ("territory.district", query.district)):
        if value is not None:
            filters.append({"term": {field: value}})
    if query.status:
        filters.append({"terms": {"status": list(query.status)}})
    opened = {bound: moment.isoformat() for bound, moment in (("gte", query.since), ("lt", query.until))
              if moment is not None}
    if opened:
        filters.append({"range": {"opened_at": opened}})
    if query.status_since is not None:
        filters.append({"range": {"status_at": {"gte": query.status_since.isoformat()}}})
    if query.updated_since is not None:
        filters.append({"range": {"updated_at": {"gte": query.updated_since.isoformat()}}})
    due = {bound: moment.isoformat() for bound, moment in (("gte", query.due_since), ("lt", query.due_until))
           if moment is not None}
    if due:
        filters.append({"range": {"deadline": due}})
    if query.holding is not None:
        holding = query.holding
        filters.append({"bool": {"minimum_should_match": 1, "should": [
            _any_of("post_ids", holding.post_ids), _any_of("cluster_id", holding.clusters),
            _any_of("territory.street", sorted({street for _, street in holding.streets}))]}})
    if query.body is not None:
        filters.append({"term": {"body": query.body}})
    if query.overdue_at is not None:
        filters.append({"terms": {"status": ["new", "assigned"]}})
        filters.append({"range": {"deadline": {"lt": query.overdue_at.isoformat()}}})
    return {"bool": {"filter": filters}} if filters else {"match_all": {}}


def _any_of(field: str, values: Sequence[str]) -> dict[str, Any]:
    """Documents whose ``field`` holds any of ``values``: terms queries of at most
    ``index.max_terms_count`` (65,536) values each, as many as it takes (5,000 new posts have
    ~100,000 band keys)."""
    if not values:
        return {"match_none": {}}
    chunks = [list(values[start:start + MAX_TERMS]) for start in range(0, len(values), MAX_TERMS)]
    clauses = [{"ids": {"values": chunk}} if field == "_id" else {"terms": {field: chunk}} for chunk in chunks]
    if len(clauses) == 1:
        return clauses[0]
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def _without(document: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in names}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")


def _describe(exc: Exception) -> str:
    """What failed, in a few words: the transport nests the socket's error three deep, and a 401
    means the credentials, which the answer's own reason does not say."""
    if isinstance(exc, ApiError):
        if exc.status_code == 401:
            return (f"HTTP 401 {exc.error}: the cluster refused the credentials (ES_USERNAME/ES_PASSWORD, "
                    "ES_API_KEY, or user:password@ in the URL)")
        return f"HTTP {exc.status_code} {exc.error}"
    cause: BaseException | None = exc
    while cause is not None and not (isinstance(cause, OSError) and cause.strerror):
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, OSError):
        return f"{type(exc).__name__}: {(cause.strerror or str(cause)).lower()}"
    return f"{type(exc).__name__}: {exc}"
