"""What must hold of a store after every tick of crawling, detection and staff work.

Each check reads a :class:`Snapshot` (every stored post and incident, read once per tick) and
raises :class:`InvariantBroken` naming the posts or incidents at fault, at most ``SHOWN`` of them
and how many in all. The staff's side is what :class:`tests.support.staff.Staff` recorded doing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from indexer.schema import INCIDENT_STATUSES
from indexer.store import IncidentQuery, Query

if TYPE_CHECKING:
    from indexer.schema import Incident, Post
    from indexer.store import Store
    from tests.support.staff import Done

SHOWN = 5
EVERY = 1_000_000


class InvariantBroken(AssertionError):
    """An invariant does not hold; the message says which, where and for what."""


@dataclass
class Snapshot:
    """A store as one tick left it."""

    name: str  # the store, for messages
    when: str  # the tick, for messages
    posts: list[Post]
    incidents: dict[str, Incident]

    @classmethod
    def read(cls, store: Store, name: str, when: str) -> Snapshot:
        incidents = store.find_incidents(IncidentQuery(limit=EVERY))
        return cls(name, when, store.search(Query(limit=EVERY)), {i.id: i for i in incidents})

    def counts(self) -> dict[str, int]:
        """What two stores fed the same world and the same staff must agree on."""
        counted = {"posts": len(self.posts), "complaints": sum(1 for p in self.posts if p.is_complaint)}
        for incident in self.incidents.values():
            key = f"{incident.queue} incidents {incident.status}"
            counted[key] = counted.get(key, 0) + 1
        return counted


def _fail(snapshot: Snapshot, what: str, problems: list[str]) -> None:
    if problems:
        shown = "\n  ".join(problems[:SHOWN])
        more = f"\n  ... and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
        raise InvariantBroken(f"{snapshot.name}, {snapshot.when}: {what} ({len(problems)}):\n  {shown}{more}")


def every_post_stored_once(snapshot: Snapshot, published: Iterable[str]) -> None:
    """Every message the world published (as the crawler names it) is stored, once; nothing else is."""
    stored = Counter(post.id for post in snapshot.posts)
    expected = set(published)
    problems = [f"{pid}: published, not stored" for pid in sorted(expected - set(stored))]
    problems += [f"{pid}: stored {n} times" for pid, n in sorted(stored.items()) if n > 1]
    problems += [f"{pid}: stored, never published" for pid in sorted(set(stored) - expected)]
    _fail(snapshot, "posts lost, duplicated or made up", problems)


def staff_changes_kept(snapshot: Snapshot, done: Mapping[str, Done]) -> None:
    """What staff set (assignee, answer, notes, verdict, status) is still there; the status alone may
    have moved since, but only by a change in the incident's history that gives its reason."""
    problems = []
    for incident_id, set_ in sorted(done.items()):
        incident = snapshot.incidents.get(incident_id)
        if incident is None:
            problems.append(f"{incident_id}: staff changed it, the store no longer has it")
            continue
        for name in ("assignee", "answer", "verdict"):
            if getattr(set_, name) is not None and getattr(incident, name) != getattr(set_, name):
                problems.append(f"{incident_id}: staff set {name} {getattr(set_, name)!r} at {set_.at}, "
                                f"the store says {getattr(incident, name)!r}")
        notes = {note.get("text") for note in incident.notes}
        problems += [f"{incident_id}: staff's note {text!r} is gone" for text in set_.notes if text not in notes]
        if incident.status != set_.status:
            since = [h for h in incident.history[set_.history:] if h.get("field") == "status"]
            if not since or since[-1].get("to") != incident.status or not all(h.get("reason") for h in since):
                problems.append(f"{incident_id}: staff set status {set_.status!r} at {set_.at}, the store says "
                                f"{incident.status!r}, and its history since has no reasoned change to it: {since}")
    _fail(snapshot, "staff changes reverted", problems)


def closed_stays_closed(snapshot: Snapshot, closed_before: Mapping[str, int]) -> None:
    """An incident closed at the last tick (id → the length of its history then) is closed still,
    unless its history records the reopening with a reason."""
    problems = []
    for incident_id, length in sorted(closed_before.items()):
        incident = snapshot.incidents.get(incident_id)
        if incident is None:
            problems.append(f"{incident_id}: was closed, the store no longer has it")
            continue
        if incident.status == "closed":
            continue
        reopened = [h for h in incident.history[length:] if h.get("field") == "status" and h.get("from") == "closed"]
        if not reopened or not all(h.get("reason") for h in reopened):
            problems.append(f"{incident_id}: was closed, is {incident.status!r} with no reopening and reason in its "
                            f"history since: {incident.history[length:]}")
    _fail(snapshot, "closed incidents reopened without a reason", problems)


def status_follows_history(snapshot: Snapshot) -> None:
    """An incident's status is where its recorded changes took it ("new" when none), and every move
    back has its reason: no status changes unrecorded."""
    problems = []
    for incident in snapshot.incidents.values():
        moves = [h for h in incident.history if h.get("field") == "status"]
        recorded = moves[-1]["to"] if moves else "new"
        if incident.status != recorded:
            problems.append(f"{incident.id}: status {incident.status!r}, its history took it to {recorded!r}")
        for move in moves:
            if _order(move.get("to")) < _order(move.get("from")) and not move.get("reason"):
                problems.append(f"{incident.id}: moved back {move.get('from')} → {move.get('to')} by {move.get('by')} "
                                f"at {move.get('at')} with no reason")
    _fail(snapshot, "statuses the history does not explain", sorted(problems))


def complaints_in_one_incident(snapshot: Snapshot) -> None:
    """Every complaint the detector groups (a complaint with a sector, or a threat) is in exactly one
    routing incident, open or closed, and the post names that incident."""
    holders: dict[str, list[str]] = {}
    for incident in snapshot.incidents.values():
        if incident.queue == "routing" and incident.kind != "crisis":
            for post_id in incident.post_ids:
                holders.setdefault(post_id, []).append(incident.id)
    problems = []
    for post in snapshot.posts:
        if not ((post.is_complaint and post.sector) or post.threat):
            continue
        held = holders.get(post.id, [])
        if len(held) != 1:
            problems.append(f"{post.id}: a complaint in {len(held)} routing incidents {sorted(held)}")
        elif post.incident_id != held[0]:
            problems.append(f"{post.id}: in incident {held[0]}, names {post.incident_id!r}")
    _fail(snapshot, "complaints not in exactly one incident", sorted(problems))


def stores_agree(snapshots: list[Snapshot]) -> None:
    """Stores fed the same world and the same staff hold the same counts."""
    first, *others = snapshots
    for other in others:
        mine, theirs = first.counts(), other.counts()
        problems = [f"{key}: {first.name} {mine.get(key, 0)}, {other.name} {theirs.get(key, 0)}"
                    for key in sorted(set(mine) | set(theirs)) if mine.get(key, 0) != theirs.get(key, 0)]
        _fail(first, f"counts differ from {other.name}'s", problems)


def _order(status: Any) -> int:
    return INCIDENT_STATUSES.index(status) if status in INCIDENT_STATUSES else -1
