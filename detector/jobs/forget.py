"""Erasure on request and retention, everywhere the project keeps what it collected: the store
(posts, comments, incidents, the fact-check queue), the spool (waiting, ``rejected/``,
``quarantine/``) and the webhook and Telegram outboxes.

:func:`forget` first records the erasure (its selector is on the exclusion list from then on,
whatever fails after), deletes the posts, takes them out of the incidents that held them and out
of the spool and outboxes, then records how many of each went. An incident left without a post
is closed, not deleted: its history is the staff's record of what was done and stays; what it
quoted of the person is replaced (:func:`indexer.erasure.scrub_incident`). :func:`expire` applies
the retention in days of :class:`Retention`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from detector.exceptions import ConfigError, ReviewError
from detector.incidents.lifecycle import Change
from detector.incidents.sinks import rewrite_outbox
from detector.jobs.queues import ATTEMPTS, EVERY, change_incident
from indexer.erasure import ErasureRecord, Exclusions, Selector, scrub_incident
from indexer.exceptions import VersionConflict
from indexer.schema import Incident, Post, utcnow
from indexer.spool import Spool
from indexer.store import Holding, IncidentQuery

if TYPE_CHECKING:
    from indexer.store import Store

OUTBOX_SETTINGS = ("INCIDENTS_OUTBOX", "SPIKES_OUTBOX", "SPIKES_TELEGRAM_OUTBOX", "SOURCES_OUTBOX",
                   "SOURCES_TELEGRAM_OUTBOX")
CLOSED_REASON = "its posts were erased on request"
_TIMES = ("updated_at", "opened_at", "quarantined_at", "at")  # a queued record's time, first found


@dataclass(frozen=True)
class Places:
    """Where collected items wait outside the store: the spool's folder and the outboxes."""

    spool: Path | None = None
    outboxes: tuple[Path, ...] = ()

    @classmethod
    def from_settings(cls, get: Callable[[str], Any]) -> Places:
        outboxes = tuple(Path(str(get(name))) for name in OUTBOX_SETTINGS if get(name))
        return cls(Path(str(get("INDEXER_SPOOL_DIR"))) if get("INDEXER_SPOOL_DIR") else None, outboxes)


@dataclass(frozen=True)
class Retention:
    """Days each kind of item is kept (0: for ever). Settings: ``INDEXER_RETENTION_DAYS`` (posts
    and comments, by creation time), ``RETENTION_INCIDENTS_DAYS`` (closed incidents, from their
    closing), ``RETENTION_SPOOL_DAYS`` (the spool's rejected and quarantined files),
    ``RETENTION_OUTBOX_DAYS`` (records the receivers never took, and the outboxes' quarantine)."""

    posts_days: float = 180
    incidents_days: float = 365
    spool_days: float = 30
    outbox_days: float = 30

    @classmethod
    def from_settings(cls, get: Callable[[str], Any]) -> Retention:
        names = {"posts_days": "INDEXER_RETENTION_DAYS", "incidents_days": "RETENTION_INCIDENTS_DAYS",
                 "spool_days": "RETENTION_SPOOL_DAYS", "outbox_days": "RETENTION_OUTBOX_DAYS"}
        values: dict[str, float] = {}
        for field_name, setting in names.items():
            raw = get(setting)
            try:
                values[field_name] = float(raw if raw not in (None, "") else getattr(cls, field_name))
            except ValueError:
                raise ConfigError(f"{setting}={raw!r}: expected a number of days (0: keep for ever)") from None
            if values[field_name] < 0:
                raise ConfigError(f"{setting}={raw!r}: expected a number of days (0: keep for ever)")
        return cls(**values)

    @staticmethod
    def cutoff(now: datetime, days: float) -> datetime | None:
        return now - timedelta(days=days) if days > 0 else None


def forget(store: Store, selector: Selector, places: Places, *, by: str, reason: str,
           now: datetime | None = None) -> ErasureRecord:
    """Erase what ``selector`` names from the store, the spool and the outboxes; returns the
    erasure log's record of it (how many of each kind went)."""
    record = ErasureRecord(now or utcnow(), selector, by, reason)
    store.record_erasure(record)  # excluded from the next crawl on, whatever fails below
    result = store.forget(selector)
    removed = {post.id: post.shared_text for post in result.removed}
    if selector.kind == "post":
        removed.setdefault(selector.value, "")
    changed, closed = _scrub_incidents(store, removed, record.at)
    exclusions = Exclusions.of([record])
    counts = {**result.counts(), "incidents_changed": changed, "incidents_closed": closed}
    if places.spool is not None:
        counts["spool"] = Spool(places.spool).remove(lambda item: _excluded(exclusions, item), raw=tuple(removed))
    counts["outbox"] = sum(rewrite_outbox(path, lambda item: _without(item, removed)) for path in places.outboxes)
    done = dataclasses.replace(record, counts=counts)
    store.record_erasure(done)
    return done


def expire(store: Store, retention: Retention, places: Places, *, by: str = "retention",
           now: datetime | None = None) -> ErasureRecord:
    """Delete what is older than ``retention`` keeps, everywhere; recorded in the erasure log."""
    now = now or utcnow()
    counts = store.expire(Retention.cutoff(now, retention.posts_days), Retention.cutoff(now, retention.incidents_days))
    spool_cutoff = Retention.cutoff(now, retention.spool_days)
    if places.spool is not None and spool_cutoff is not None:
        counts["spool"] = Spool(places.spool).expire(spool_cutoff)
    outbox_cutoff = Retention.cutoff(now, retention.outbox_days)
    if outbox_cutoff is not None:
        moment = outbox_cutoff.isoformat()
        counts["outbox"] = sum(rewrite_outbox(path, lambda item: None if _time(item) < moment else item)
                               for path in places.outboxes)
    record = ErasureRecord(now, Selector("expired", _policy(retention)), by, "retention", counts)
    store.record_erasure(record)
    return record


def _scrub_incidents(store: Store, removed: Mapping[str, str], now: datetime) -> tuple[int, int]:
    """Take the removed posts out of every incident holding one; close those left with none."""
    if not removed:
        return 0, 0
    holding = Holding(post_ids=tuple(removed))
    changed = closed = 0
    for incident in store.find_incidents(IncidentQuery(holding=holding, limit=EVERY)):
        scrubbed = scrub_incident(incident, removed)
        if scrubbed is None:
            continue
        if (scrubbed.added_posts, scrubbed.excluded_posts) != (incident.added_posts, incident.excluded_posts):
            _scrub_moves(store, incident.id, set(removed))  # first: the detector's write applies the stored moves
        store.upsert_incidents([scrubbed])
        changed += 1
        if not scrubbed.post_ids and scrubbed.status != "closed":
            change_incident(store, incident.id, Change(by="erasure", status="closed", reason=CLOSED_REASON), now=now)
            closed += 1
    return changed, closed


def _scrub_moves(store: Store, incident_id: str, ids: set[str]) -> None:
    """The removed posts out of staff's moves (a merge's, a split's), a versioned staff write."""
    for _ in range(ATTEMPTS):
        incident = store.get_incident(incident_id)
        if incident is None:
            return
        incident.added_posts = [p for p in incident.added_posts if p not in ids]
        incident.excluded_posts = [p for p in incident.excluded_posts if p not in ids]
        incident.post_ids = [p for p in incident.post_ids if p not in ids]
        try:
            store.update_incident(incident)
            return
        except VersionConflict:
            continue
    raise ReviewError(f"{incident_id} kept changing while the erased posts were taken out of it ({ATTEMPTS} tries)")


def _excluded(exclusions: Exclusions, item: Mapping[str, Any]) -> bool:
    try:
        return exclusions.excludes(Post.from_dict(dict(item))) is not None
    except (TypeError, ValueError, KeyError):
        return False


def _without(item: dict[str, Any], removed: Mapping[str, str]) -> dict[str, Any] | None:
    """A queued record without the removed posts: an incident scrubbed (dropped when it is left
    with none), a quarantined line dropped when it names one; anything else as it is."""
    if "line" in item:
        return None if any(post_id in str(item["line"]) for post_id in removed) else item
    if "post_ids" not in item:
        return item
    incident = Incident.from_dict(item)
    scrubbed = scrub_incident(incident, removed)
    if scrubbed is None:
        return item
    return scrubbed.to_dict() if scrubbed.post_ids else None


def _time(item: Mapping[str, Any]) -> str:
    """A queued record's time (ISO 8601 in UTC, as written); the newest possible when it has none."""
    return next((str(item[name]) for name in _TIMES if item.get(name)), "9999")


def _policy(retention: Retention) -> str:
    return (f"posts {retention.posts_days:g}d, closed incidents {retention.incidents_days:g}d, "
            f"spool {retention.spool_days:g}d, outboxes {retention.outbox_days:g}d")
