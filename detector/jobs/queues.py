"""What staff do with the queues: list them, move an incident on (status, assignee, the official
answer, notes), record a fact-check verdict, and export the verdicts as labelled data for the fakes
model. Every change is versioned and recorded (``detector.incidents.lifecycle``)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from detector.exceptions import ReviewError
from detector.incidents.lifecycle import Change, apply
from detector.staff.territories import municipality_names
from indexer.exceptions import VersionConflict
from indexer.schema import Incident, utcnow
from indexer.store import IncidentQuery

if TYPE_CHECKING:
    from detector.config import DetectorConfig
    from indexer.store import Store

QUEUES = ("routing", "factcheck")
ATTEMPTS = 3  # reads and writes of one staff change before it is refused for racing others
EVERY = 100_000  # incidents read when a job needs all of them


def list_queue(store: Store, config: DetectorConfig, queue: str, *, status: tuple[str, ...] = ("new", "assigned"),
               sector: str | None = None, territory: str | None = None, limit: int = 50) -> list[Incident]:
    """A queue's incidents, nearest deadline first; ``territory`` is a town or a district."""
    towns = municipality_names(config.territories_dir()) if territory else set()
    query = IncidentQuery(queue=queue, status=status, sector=sector,
                          municipality=territory if territory in towns else None,
                          district=territory if territory and territory not in towns else None, limit=limit)
    return store.find_incidents(query)


def change_incident(store: Store, incident_id: str, change: Change, *, now: datetime | None = None) -> Incident:
    """Apply a staff change (``lifecycle.Change``) and write it. When the incident changed since it
    was read (another person, the detector adding a post), it is read again and the change applied
    again, if the rules still allow it; after ``ATTEMPTS`` such races, it is refused."""
    for _ in range(ATTEMPTS):
        incident = store.get_incident(incident_id)
        if incident is None:
            raise ReviewError(f"no incident {incident_id!r} in the store")
        if change.verdict is not None and incident.queue != "factcheck":
            raise ReviewError(f"{incident_id} is not a fact-check item: a verdict is for the fact-check queue")
        if not apply(incident, change, now or utcnow()):
            return incident  # nothing to change: already so
        try:
            return store.update_incident(incident)
        except VersionConflict:
            continue
    raise ReviewError(f"{incident_id} kept changing while this change was being written ({ATTEMPTS} tries): "
                      "nothing was written; look at it again")


def set_status(store: Store, incident_id: str, status: str, *, by: str = "staff", reason: str | None = None
               ) -> Incident:
    """Move an incident on (``new``, ``assigned``, ``answered``, ``closed``); back only with a reason."""
    return change_incident(store, incident_id, Change(by=by, status=status, reason=reason))


def record_verdict(store: Store, item_id: str, verdict: str, by: str, *, debunk: str | None = None,
                   note: str = "", now: datetime | None = None) -> Incident:
    """A fact-checker's verdict on a fact-check item: ``fake`` and ``true`` close it, ``unverified``
    keeps it in work; a ``fake`` with a ``debunk`` link makes the story part of the debunk registry
    at the next detection."""
    return change_incident(store, item_id, Change(by=by, verdict=verdict, debunk=debunk, note=note or None),
                           now=now)


def export_reviews(store: Store, path: Path | str) -> int:
    """Every decided fact-check item's posts as labelled lines (the fakes corpus format): a verdict
    of fake labels them ``fake``, true labels them ``ordinary``; unverified items are left out."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for incident in store.find_incidents(IncidentQuery(queue="factcheck", limit=EVERY)):
            if incident.verdict not in ("fake", "true"):
                continue
            review = incident.review or {}
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
