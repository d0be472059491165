"""What staff do with the queues: list them, move an incident on, record a fact-check verdict,
and export the verdicts as labelled data for the fakes model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from detector.exceptions import ReviewError
from detector.staff.territories import municipality_names
from indexer.schema import Incident, utcnow
from indexer.store import IncidentQuery

if TYPE_CHECKING:
    from detector.config import DetectorConfig
    from indexer.store import Store

QUEUES = ("routing", "factcheck")
STATUSES = ("new", "assigned", "answered", "closed")
EVERY = 100_000  # incidents read when a job needs all of them


def list_queue(store: Store, config: DetectorConfig, queue: str, *, status: tuple[str, ...] = ("new", "assigned"),
               sector: str | None = None, territory: str | None = None, limit: int = 50) -> list[Incident]:
    """A queue's incidents, nearest deadline first; ``territory`` is a town or a district."""
    towns = municipality_names(config.territories_dir()) if territory else set()
    query = IncidentQuery(queue=queue, status=status, sector=sector,
                          municipality=territory if territory in towns else None,
                          district=territory if territory and territory not in towns else None, limit=limit)
    return store.find_incidents(query)


def set_status(store: Store, incident_id: str, status: str) -> Incident:
    """Move an incident on (``new``, ``assigned``, ``answered``, ``closed``)."""
    if status not in STATUSES:
        raise ReviewError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    incident = store.get_incident(incident_id)
    if incident is None:
        raise ReviewError(f"no incident {incident_id!r} in the store")
    incident.status, incident.updated_at = status, utcnow()
    incident.closed_at = incident.updated_at if status == "closed" else None
    store.upsert_incidents([incident])
    return incident


def record_verdict(store: Store, item_id: str, verdict: str, by: str, *, debunk: str | None = None,
                   note: str = "") -> Incident:
    """A fact-checker's verdict on a fact-check item; a ``fake`` with a ``debunk`` link makes the
    story part of the debunk registry at the next detection."""
    from detector.incidents.factcheck import record_review  # with the clustering it needs: ~1.5 s of imports

    incident = store.get_incident(item_id)
    if incident is None or incident.queue != "factcheck":
        raise ReviewError(f"no fact-check item {item_id!r} in the store")
    record_review(incident, verdict, by, debunk=debunk, note=note)
    store.upsert_incidents([incident])
    return incident


def export_reviews(store: Store, path: Path | str) -> int:
    """Every decided fact-check item's posts as labelled lines (the fakes corpus format): a verdict
    of fake labels them ``fake``, true labels them ``ordinary``; unverified items are left out."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for incident in store.find_incidents(IncidentQuery(queue="factcheck", limit=EVERY)):
            if incident.verdict not in ("fake", "true"):
                continue
            review = incident.evidence.get("review") or {}
            for post_id in incident.post_ids:
                post = store.get(post_id)
                if post is None:
                    continue
                out.write(json.dumps({
                    "id": post.id, "text": post.text, "label": "fake" if incident.verdict == "fake" else "ordinary",
                    "category": "reviewed", "story": incident.cluster_id, "threat": bool(post.threat),
                    "platform": post.platform, "kind": post.kind, "source_kind": post.source_kind,
                    "reviewed_by": review.get("by"), "reviewed_at": review.get("at"),
                    "debunk": review.get("debunk"), "incident": incident.id}, ensure_ascii=False) + "\n")
                count += 1
    return count
