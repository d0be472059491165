"""Staff's moves of posts between routing incidents: merge one incident into another, split a post
out of one into an incident of its own.

The moves are staff's fields (``merged_into``, ``split_from``, ``added_posts``, ``excluded_posts``:
:data:`~indexer.schema.STAFF_FIELDS`), written with the store's version like every staff change and
recorded in both incidents' histories; the grouping (``detector/incidents/grouping.py``) respects
them at every later detect run. ``version``, when given, is the state of the incident the person
saw: a move made on an older one is refused (:class:`~indexer.exceptions.VersionConflict`) and
nothing is written.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from detector.exceptions import ReviewError
from detector.incidents.lifecycle import Change, apply
from detector.jobs.queues import ATTEMPTS
from indexer.exceptions import VersionConflict
from indexer.schema import Incident, utcnow

if TYPE_CHECKING:
    from indexer.store import Store


def merge_incidents(store: Store, into: str, other: str, *, by: str, now: datetime | None = None,
                    version: str | None = None) -> Incident:
    """``other`` joins ``into``: its posts and sources move to ``into``; ``other`` is closed
    (reason "объединён с ...") with ``merged_into`` set, so the detector sends its story's next
    posts to ``into``. Returns ``into`` as written."""
    at = now or utcnow()
    target = _routing(store, into, version)
    source = _routing(store, other, None)
    if target.id == source.id:
        raise ReviewError(f"{into}: an incident cannot be merged with itself")
    for incident in (target, source):
        if incident.merged_into:
            raise ReviewError(f"{incident.id} was merged into {incident.merged_into} already: merge with that one")
    moved = list(source.post_ids)

    def take(incident: Incident) -> None:
        incident.added_posts = list(dict.fromkeys([*incident.added_posts, *moved]))
        incident.excluded_posts = [p for p in incident.excluded_posts if p not in moved]
        incident.sources = list(dict.fromkeys([*incident.sources, *source.sources]))
        incident.apply_moves()
        _record(incident, by, at, "merged", None, source.id)

    def give(incident: Incident) -> None:
        apply(incident, Change(by=by, status="closed", reason=f"объединён с {target.id}"), at)
        incident.merged_into = target.id
        incident.excluded_posts = list(dict.fromkeys([*incident.excluded_posts, *moved]))
        incident.apply_moves()
        _record(incident, by, at, "merged_into", None, target.id)

    written = _write(store, target, take, version)
    _write(store, source, give, None)
    store.update_findings({post_id: {"incident_id": target.id} for post_id in moved})
    return written


def split_post(store: Store, incident_id: str, post_id: str, *, by: str, now: datetime | None = None,
               version: str | None = None) -> Incident:
    """``post_id`` leaves ``incident_id`` for a new incident of the same queue and routing (the
    post's own place when it has one), with ``split_from`` set so its near-copies join it from now
    on. Returns the new incident."""
    at = now or utcnow()
    parent = _routing(store, incident_id, version)
    if post_id not in parent.post_ids:
        raise ReviewError(f"{incident_id} holds no post {post_id!r}")
    if len(parent.post_ids) < 2:
        raise ReviewError(f"{incident_id} holds only {post_id}: there is nothing to split it from")
    child = store.get_incident(_split_id(parent.id, post_id)) or _split_incident(store, parent, post_id, by, at)
    if child.split_from != parent.id:
        raise ReviewError(f"{child.id} exists already and was not split from {parent.id}")

    def leave(incident: Incident) -> None:
        incident.excluded_posts = list(dict.fromkeys([*incident.excluded_posts, post_id]))
        incident.apply_moves()
        _record(incident, by, at, "split", post_id, child.id)

    _write(store, parent, leave, version)
    store.update_findings({post_id: {"incident_id": child.id}})
    return store.get_incident(child.id) or child


def _split_incident(store: Store, parent: Incident, post_id: str, by: str, at: datetime) -> Incident:
    """The new incident holding the split post: the parent's routing (body, sector, deadline,
    priority), the post's own place, cluster, source and title."""
    post = store.get(post_id)
    place = post.territory if post is not None and post.territory is not None else parent.territory
    cluster = post.cluster_id if post is not None else None
    text = " ".join((post.text if post is not None else "").split())
    child = dataclasses.replace(
        Incident(id=_split_id(parent.id, post_id), kind=parent.kind, queue=parent.queue, opened_at=at),
        priority=parent.priority, sector=parent.sector, territory=place, body=parent.body, deadline=parent.deadline, updated_at=at, post_ids=[post_id],
        sources=[post.source_id] if post is not None and post.source_id else [], cluster_id=cluster,
        title=(text[:117] + "…" if len(text) > 120 else text) or parent.title, split_from=parent.id,
        added_posts=[post_id], evidence={"route": parent.evidence.get("route"), "clusters": [cluster] if cluster else [],
                                         "split_from": parent.id})
    _record(child, by, at, "split_from", None, parent.id, reason=post_id)
    store.upsert_incidents([child])
    found = store.get_incident(child.id)
    if found is None:
        raise ReviewError(f"{child.id} was written but cannot be read back")
    return found


def _split_id(parent_id: str, post_id: str) -> str:
    return f"{parent_id}-split-{hashlib.sha1(post_id.encode()).hexdigest()[:8]}"


def _routing(store: Store, incident_id: str, version: str | None) -> Incident:
    incident = store.get_incident(incident_id)
    if incident is None:
        raise ReviewError(f"no incident {incident_id!r} in the store")
    if incident.queue != "routing" or incident.kind == "crisis":
        raise ReviewError(f"{incident_id} is not a routing incident: only the routing queue's incidents are merged "
                          "and split")
    if version is not None and incident.version != version:
        raise VersionConflict(incident_id, version)
    return incident


def _write(store: Store, incident: Incident, move: Callable[[Incident], None], version: str | None) -> Incident:
    """Make ``move`` and write it with the version read; when someone wrote meanwhile, read it
    again and make it again, unless the person's ``version`` was given (then it is refused)."""
    for attempt in range(ATTEMPTS):
        if attempt:
            fresh = store.get_incident(incident.id)
            if fresh is None:
                raise ReviewError(f"{incident.id} is gone from the store")
            incident = fresh
        move(incident)
        try:
            return store.update_incident(incident)
        except VersionConflict:
            if version is not None:
                raise
    raise ReviewError(f"{incident.id} kept changing while this move was being written ({ATTEMPTS} tries): "
                      "look at it again")


def _record(incident: Incident, by: str, at: datetime, name: str, old: Any, new: Any, *,
            reason: str | None = None) -> None:
    incident.history = [*incident.history, {"at": at.isoformat(), "by": by, "field": name, "from": old, "to": new,
                                             **({"reason": reason} if reason else {})}]
