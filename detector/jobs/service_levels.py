"""Service levels: how fast and how well the bodies answer citizens, per body, sector and territory.

Over the routing incidents opened in ``[since, until)``: the share answered by an official account
within ``ANSWERS_TARGET_HOURS`` (24 h by default) of the citizen's post, and the share whose first
substantive answer came within it (an отписка counts as no answer); the median and the 90th
percentile of the time to the first answer; the share of first answers that are отписки; and how
many are overdue ``now`` (open, unanswered, past the target or their routing deadline). What
``monitor answers``, the weekly report and the workspace show.

    levels = service_levels(store, config, since, until, now)
    for row in levels.rows: print(row.group, row.key, row.share_in_target)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from indexer.store import IncidentQuery

if TYPE_CHECKING:
    from detector.config import DetectorConfig
    from indexer.schema import Incident
    from indexer.store import Store

GROUPS = ("body", "sector", "territory")  # the group kinds of the rows, in the order they are listed
INCIDENTS = 1_000_000  # incidents read at most for one report
NONE = "—"  # the key of incidents without a body, sector or territory


@dataclass(frozen=True, slots=True)
class ServiceRow:
    """One group's service level; ``group`` is ``body``, ``sector``, ``territory`` or ``total``.
    Shares are None where nothing was there to share (no incident, no answer)."""

    group: str
    key: str
    incidents: int
    answered: int  # with an official answer, at any time
    in_target: int  # answered within the target
    substantive_in_target: int  # whose first substantive answer came within the target
    otpiski: int  # whose first answer is an отписка
    overdue: int  # open, unanswered, past the target or the deadline, now
    median_hours: float | None  # time to the first answer
    p90_hours: float | None

    @property
    def share_in_target(self) -> float | None:
        return self.in_target / self.incidents if self.incidents else None

    @property
    def share_substantive_in_target(self) -> float | None:
        return self.substantive_in_target / self.incidents if self.incidents else None

    @property
    def share_otpiski(self) -> float | None:
        return self.otpiski / self.answered if self.answered else None

    def as_dict(self) -> dict[str, Any]:
        return {"group": self.group, "key": self.key, "incidents": self.incidents, "answered": self.answered,
                "in_target": self.in_target, "share_in_target": self.share_in_target,
                "substantive_in_target": self.substantive_in_target,
                "share_substantive_in_target": self.share_substantive_in_target, "otpiski": self.otpiski,
                "share_otpiski": self.share_otpiski, "overdue": self.overdue, "median_hours": self.median_hours,
                "p90_hours": self.p90_hours}


@dataclass(frozen=True, slots=True)
class ServiceLevels:
    """The service levels of a period: the total first, then a row per (group kind, key)."""

    since: datetime
    until: datetime
    now: datetime
    target_hours: float
    total: ServiceRow
    rows: list[ServiceRow] = field(default_factory=list)

    def group(self, kind: str) -> list[ServiceRow]:
        """The rows of one group kind (``body``, ``sector``, ``territory``), most incidents first."""
        return [row for row in self.rows if row.group == kind]

    def as_dict(self) -> dict[str, Any]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat(), "now": self.now.isoformat(),
                "target_hours": self.target_hours, "total": self.total.as_dict(),
                "rows": [row.as_dict() for row in self.rows]}


def service_levels(store: Store, config: DetectorConfig, since: datetime, until: datetime,
                   now: datetime) -> ServiceLevels:
    """The service levels of the routing incidents opened in ``[since, until)``, as of ``now``."""
    target = timedelta(hours=config.answers_target_hours)
    incidents = [i for i in store.find_incidents(IncidentQuery(queue="routing", since=since, limit=INCIDENTS))
                 if i.opened_at < until]
    rows = [_row(kind, key, members, target, now) for kind in GROUPS
            for key, members in sorted(_grouped(incidents, kind).items(), key=lambda kv: (-len(kv[1]), kv[0]))]
    return ServiceLevels(since, until, now, config.answers_target_hours, _row("total", "all", incidents, target, now),
                         rows)


def _grouped(incidents: Iterable[Incident], kind: str) -> dict[str, list[Incident]]:
    groups: dict[str, list[Incident]] = {}
    for incident in incidents:
        groups.setdefault(_key(incident, kind), []).append(incident)
    return groups


def _key(incident: Incident, kind: str) -> str:
    if kind == "body":
        return incident.body or NONE
    if kind == "sector":
        return incident.sector or NONE
    place = incident.territory
    return (place.district or place.municipality or NONE) if place is not None else NONE


def _row(kind: str, key: str, incidents: Sequence[Incident], target: timedelta, now: datetime) -> ServiceRow:
    waits = sorted(_hours(i.answered_at - i.opened_at) for i in incidents if i.answered_at is not None)
    limit = target.total_seconds() / 3600
    return ServiceRow(
        kind, key, len(incidents), len(waits), sum(1 for w in waits if w <= limit),
        sum(1 for i in incidents if (first := _first_substantive(i)) is not None and first - i.opened_at <= target),
        sum(1 for i in incidents if i.answered_at is not None and i.answer_quality == "otpiska"),
        sum(1 for i in incidents if _overdue(i, target, now)),
        _percentile(waits, 0.5), _percentile(waits, 0.9))


def _first_substantive(incident: Incident) -> datetime | None:
    times = [str(a["at"]) for a in incident.answers if a.get("quality") == "substantive" and a.get("at")]
    return datetime.fromisoformat(min(times)) if times else None


def _overdue(incident: Incident, target: timedelta, now: datetime) -> bool:
    """Open, without an official answer by ``now``, and past the target or its routing deadline."""
    if incident.status not in ("new", "assigned") or (incident.answered_at is not None and incident.answered_at <= now):
        return False
    due = min(incident.opened_at + target, incident.deadline or incident.opened_at + target)
    return now > due


def _percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile of sorted ``values`` (None when empty)."""
    if not values:
        return None
    return round(values[max(0, math.ceil(share * len(values)) - 1)], 2)


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600
