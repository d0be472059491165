"""The Store interface every backend implements, and the queries and results it speaks in.

The crawler, the CLI and the detector talk only to this interface, so the embedded SQLite store
and the Elasticsearch store are interchangeable; one contract test module runs on both. This
module imports no backend: :mod:`indexer.backends` picks one by URL scheme.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Mapping, Protocol, Sequence
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from indexer.erasure import ErasureRecord, ForgetResult, Selector
    from indexer.schema import Incident, Post


@dataclass(frozen=True, slots=True)
class Query:
    """What to look for. ``text`` matches Russian word forms; every other field narrows."""

    text: str | None = None
    platform: str | None = None
    source_id: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    changed_since: datetime | None = None  # new, or text changed, since (what detection must read again)
    changed_until: datetime | None = None  # ... and before
    # What the detector reads around new posts: any of these ids, pages, clusters, LSH band keys.
    ids: tuple[str, ...] | None = None
    source_ids: tuple[str, ...] | None = None
    cluster_ids: tuple[str, ...] | None = None
    bands: tuple[str, ...] | None = None  # posts sharing one of these keys (Post.bands): near-copy candidates
    limit: int = 20
    sort: str = "newest"  # newest | relevance


@dataclass(frozen=True, slots=True)
class Holding:
    """Incidents holding any of these: a post, a cluster of near-copies, a street of a town. These
    are all a new post can join (``detector/incidents/grouping.py``), so a detect tick reads them
    rather than every open incident of the region."""

    post_ids: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    streets: tuple[tuple[str | None, str], ...] = ()  # (municipality, street)

    def keys(self) -> set[str]:
        return ({_key("post", p) for p in self.post_ids} | {_key("cluster", c) for c in self.clusters}
                | {_key("street", m or "", s) for m, s in self.streets})


def holding_keys(incident: Incident) -> set[str]:
    """What an incident holds, as :meth:`Holding.keys` spells it: its posts, its clusters, its street."""
    clusters = {incident.cluster_id, *(incident.evidence.get("clusters") or ())} - {None, ""}
    place = incident.territory
    streets = {_key("street", place.municipality or "", place.street)} if place is not None and place.street else set()
    return {_key("post", p) for p in incident.post_ids} | {_key("cluster", str(c)) for c in clusters} | streets


def _key(*parts: str) -> str:
    return "\x1f".join(parts)


@dataclass(frozen=True, slots=True)
class IncidentQuery:
    """Which incidents: every field narrows; ``status`` is a set of statuses (None: any)."""

    queue: str | None = None
    status: tuple[str, ...] | None = None
    sector: str | None = None
    municipality: str | None = None
    district: str | None = None
    since: datetime | None = None  # opened at or after
    until: datetime | None = None  # opened before (with ``since``: a week's incidents)
    status_since: datetime | None = None  # its status last changed at or after
    updated_since: datetime | None = None  # its last post at or after
    due_since: datetime | None = None  # its deadline at or after ...
    due_until: datetime | None = None  # ... and before
    holding: Holding | None = None  # only those holding one of these
    body: str | None = None  # routed to this responsible body
    overdue_at: datetime | None = None  # only those past their deadline at this moment, not answered or closed
    limit: int = 100
    offset: int = 0  # skip this many first (a page of a queue)


SERIES_FIELDS = ("sector", "municipality", "district", "street", "cluster_id")


def check_series_fields(by: Sequence[str]) -> None:
    """``count_buckets`` groups only by :data:`SERIES_FIELDS`; say which others were asked for."""
    unknown = [name for name in by if name not in SERIES_FIELDS]
    if unknown:
        raise ValueError(f"count_buckets: cannot group by {unknown}; expected some of {SERIES_FIELDS}")
"""What :meth:`Store.count_buckets` can group by: a post's sector, its territory's parts, its cluster."""


@dataclass(frozen=True, slots=True)
class BucketCount:
    """How many posts fell in one time bucket of one series: ``key`` holds the values of the
    ``by`` fields in order (None where a post has none)."""

    key: tuple[str | None, ...]
    start: datetime
    count: int


@dataclass(slots=True)
class UpsertResult:
    """What a write did. ``transient`` items failed for now (spool them and replay); ``rejected``
    ones were refused for good, with the store's reason (keep them aside for a person to look at);
    ``failures`` counts both by reason."""

    new: int = 0
    updated: int = 0
    transient: list[Post] = field(default_factory=list)
    rejected: list[tuple[Post, str]] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)


class Store(Protocol):
    """Where posts, comments and crawl cursors live."""

    def upsert(self, posts: Sequence[Post]) -> UpsertResult:
        """The crawl's write: insert new posts whole; for known ids update the crawl's own fields
        (text, metrics, edits: everything but :data:`~indexer.schema.DETECTOR_FIELDS`), never
        duplicate. A post is marked changed (``Query.changed_since``) when it is new or its text
        or title changed, not when only its counters did."""

    def update_findings(self, findings: Mapping[str, Mapping[str, Any]]) -> int:
        """The detector's write: post id → some of :data:`~indexer.schema.DETECTOR_FIELDS`, each
        replaced whole; the crawl's fields are left as they are. Ids not stored are skipped;
        returns how many posts were updated."""

    def get(self, post_id: str) -> Post | None: ...

    def search(self, query: Query) -> list[Post]: ...

    def count(self, query: Query) -> int: ...

    def get_cursor(self, source_id: str) -> dict[str, Any] | None:
        """The newest item a completed crawl of ``source_id`` stored, as the spider wrote it."""

    def set_cursor(self, source_id: str, cursor: dict[str, Any]) -> None: ...

    def get_source_health(self, source_id: str) -> dict[str, Any] | None:
        """What the last crawl of ``source_id`` recorded of its health (``crawler/health``), as written."""

    def set_source_health(self, source_id: str, health: dict[str, Any]) -> None: ...

    def source_health(self, source_ids: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
        """Source id → its recorded health, for ``source_ids`` (None: every source with one)."""

    def comment_counts(self, source_id: str, since: datetime) -> dict[str, int]:
        """Post id → how many of its comments are stored, for posts created after ``since``.

        Spiders compare this with the platform's own count to decide whether to re-read a post's
        comments; counting what is stored (not the counter last seen) means a crawl killed between
        a post and its comments still fetches them next time.
        """

    def count_buckets(self, since: datetime, until: datetime, bucket: timedelta,
                      by: Sequence[str] = ("sector", "municipality", "district"),
                      complaints_only: bool = True) -> list[BucketCount]:
        """Posts created in ``[since, until)`` counted per ``bucket`` (aligned to the Unix epoch,
        UTC) and per value of the ``by`` fields (:data:`SERIES_FIELDS`); only complaints unless
        ``complaints_only`` is false. Empty buckets are left out. The spike detector's input."""

    def upsert_incidents(self, incidents: Sequence[Incident]) -> None:
        """The detector's write: a new incident is stored whole; for a stored one, every field but
        the staff's (:data:`~indexer.schema.STAFF_FIELDS`) is replaced, so a status or a verdict set
        meanwhile stays. The stored ``overdue`` flag follows the stored status."""

    def update_incident(self, incident: Incident) -> Incident:
        """A staff change: the staff's fields of ``incident`` are written if the stored incident is
        still at ``incident.version``; else :class:`~indexer.exceptions.VersionConflict` and nothing
        is written. Returns the incident with its new version."""

    def get_incident(self, incident_id: str) -> Incident | None:
        """The incident with its ``version``."""

    def find_incidents(self, query: IncidentQuery) -> list[Incident]:
        """Matching incidents, nearest deadline first (those without one last), then newest."""

    def forget(self, selector: Selector) -> ForgetResult:
        """Delete the posts and comments ``selector`` names (an author's, or one post) with every
        index entry of them; returns them as they were (``removed``), for the caller to take them
        out of incidents, the spool and the outboxes. Incidents are left to the caller."""

    def expire(self, posts_before: datetime | None, incidents_closed_before: datetime | None) -> dict[str, int]:
        """Retention: delete the posts and comments created before ``posts_before`` and the
        incidents closed before ``incidents_closed_before`` (None: keep them); how many of each went."""

    def record_erasure(self, record: ErasureRecord) -> None:
        """Keep ``record`` in the erasure log (the same id again replaces it)."""

    def erasures(self) -> list[ErasureRecord]:
        """The erasure log, oldest first: its selectors are the crawl's exclusion list."""

    def count_incidents(self, query: IncidentQuery) -> int:
        """How many incidents match ``query`` (its ``limit`` and ``offset`` aside): a queue's counts."""

    def close(self) -> None: ...


def safe_url(url: str) -> str:
    """``url`` without its user and password."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
