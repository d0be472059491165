"""How an incident moves on, and who moved it: new → assigned → answered → closed, back only with a
reason, every change in the incident's history (who, when, the field, from → to, why).

Staff's changes and the detector's own (reopening on a repeat appeal, withdrawing a fact-check item
its posts no longer support) are the same kind of change: :func:`apply` checks it against the rules
and records it; ``detector.jobs.queues.change_incident`` writes it, refused when the incident changed
meanwhile (the store's version), read again and applied again when it still makes sense.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from detector.exceptions import ReviewError
from indexer.schema import INCIDENT_STATUSES, Incident

ORDER = {status: n for n, status in enumerate(INCIDENT_STATUSES)}
VERDICTS = ("fake", "true", "misleading", "unverified")


@dataclass(frozen=True)
class Change:
    """One staff action: any of a status, an assignee, an official answer, a note, a verdict."""

    by: str
    status: str | None = None
    assignee: str | None = None
    answer: str | None = None
    note: str | None = None
    reason: str | None = None  # required to move back (reopen)
    verdict: str | None = None  # fact-check items: fake | true | unverified
    debunk: str | None = None  # with a verdict: the answer to link

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in ORDER:
            raise ReviewError(f"status must be one of {', '.join(INCIDENT_STATUSES)}, not {self.status!r}")
        if self.verdict is not None and self.verdict not in VERDICTS:
            raise ReviewError(f"verdict must be one of {', '.join(VERDICTS)}, not {self.verdict!r}")
        if not any((self.status, self.assignee, self.answer, self.note, self.verdict)):
            raise ReviewError("nothing to change: give a status, an assignee, an answer, a note or a verdict")


def apply(incident: Incident, change: Change, at: datetime) -> list[dict[str, Any]]:
    """Make ``change`` on ``incident`` (its staff fields) and return the history entries it adds;
    :class:`~detector.exceptions.ReviewError` when the rules refuse it (nothing is changed then)."""
    status = change.status
    if change.verdict is not None:
        status = status or ("assigned" if change.verdict == "unverified" else "closed")
    elif change.answer is not None and (status or incident.status) in ("new", "assigned"):
        status = status or "answered"
    elif change.assignee is not None and incident.status == "new":
        status = status or "assigned"
    if status is not None and status != "closed" and incident.merged_into:
        raise ReviewError(f"{incident.id} was merged into {incident.merged_into}: its posts are there, work on that one")
    if status is not None and ORDER[status] < ORDER[incident.status] and not change.reason:
        raise ReviewError(f"{incident.id} is {incident.status}: moving it back to {status} needs a reason "
                          "(--reason)")
    entries: list[dict[str, Any]] = []

    def record(name: str, new: Any, reason: str | None = None) -> None:
        old = getattr(incident, name)
        if old == new:
            return
        setattr(incident, name, new)
        entries.append({"at": at.isoformat(), "by": change.by, "field": name, "from": old, "to": new,
                        **({"reason": reason} if reason else {})})

    if change.assignee is not None:
        record("assignee", change.assignee)
    if change.answer is not None:
        record("answer", change.answer)
    if change.verdict is not None:
        review = {"verdict": change.verdict, "by": change.by, "at": at.isoformat(), "note": change.note or "",
                  "debunk": change.debunk or (incident.review or {}).get("debunk")}
        incident.reviews = [*incident.reviews, review]
        incident.review = review
        record("verdict", change.verdict)
    elif change.note:
        incident.notes = [*incident.notes, {"at": at.isoformat(), "by": change.by, "text": change.note}]
        entries.append({"at": at.isoformat(), "by": change.by, "field": "notes", "from": None, "to": change.note})
    if status is not None and status != incident.status:
        record("status", status, change.reason)
        incident.status_at = at
        incident.closed_at = at if status == "closed" else None
    incident.history = [*incident.history, *entries]
    return entries
