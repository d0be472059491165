"""Service levels: how fast and how well the bodies answer citizens, per body, sector and territory.

Over the routing incidents opened in ``[since, until)`` (crises left out: a spike is no citizen's
appeal to answer), as of ``now``, with an отписка counting as no answer:

- the share whose first substantive answer came within ``ANSWERS_TARGET_HOURS`` (24 h by default)
  of the citizen's post, of the incidents that can be judged (their target passed by ``now``, or
  answered in substance within it);
- the median and the 90th percentile (nearest rank) of the hours to the first substantive answer;
- the share of отписки: of the incidents with any official answer, those whose first answer is one;
- overdue now: open, without a substantive answer by ``now``, past the target or the routing
  deadline, whichever comes first.

One computation for ``monitor answers``, the weekly report (its answer table is the rows by body)
and the workspace's page of service levels.

    levels = service_levels(store, config, since, until, now)
    for row in levels.group("body"): print(row.key, row.share_in_target)
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
OPEN = ("new", "assigned")


@dataclass(frozen=True, slots=True)
class ServiceRow:
    """One group's service level; ``group`` is ``body``, ``sector``, ``territory`` or ``total``.
    Shares are None where nothing was there to share (nothing to judge, no answer)."""

    group: str
    key: str
    incidents: int
    judged: int  # the target passed by now, or answered in substance within it: what the 24-hour share is of
    answered: int  # with an official answer of any kind, at any time
    substantive: int  # with a substantive answer, at any time
    in_target: int  # whose first substantive answer came within the target
    any_in_target: int  # whose first answer of any kind (an отписка too) came within the target
    otpiski: int  # whose first answer is an отписка
    overdue: int  # open, without a substantive answer, past the target or the deadline, now
    median_hours: float | None  # to the first substantive answer
    p90_hours: float | None

    @property
    def share_in_target(self) -> float | None:
        return self.in_target / self.judged if self.judged else None

    @property
    def share_otpiski(self) -> float | None:
        return self.otpiski / self.answered if self.answered else None

    def as_dict(self) -> dict[str, Any]:
        return {"group": self.group, "key": self.key, "incidents": self.incidents, "judged": self.judged,
                "answered": self.answered, "substantive": self.substantive, "in_target": self.in_target,
                "share_in_target": self.share_in_target, "any_in_target": self.any_in_target,
                "otpiski": self.otpiski, "share_otpiski": self.share_otpiski, "overdue": self.overdue,
                "median_hours": self.median_hours, "p90_hours": self.p90_hours}


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
    incidents = store.find_incidents(IncidentQuery(queue="routing", since=since, until=until, limit=INCIDENTS))
    return measure(incidents, since, until, now, config.answers_target_hours)


def measure(incidents: Iterable[Incident], since: datetime, until: datetime, now: datetime,
            target_hours: float) -> ServiceLevels:
    """The service levels of routing incidents already read (those opened in ``[since, until)``)."""
    target = timedelta(hours=target_hours)
    counted = [i for i in incidents if i.kind != "crisis" and since <= i.opened_at < until]
    rows = [_row(kind, key, members, target, now) for kind in GROUPS
            for key, members in sorted(_grouped(counted, kind).items(), key=lambda kv: (-len(kv[1]), kv[0]))]
    return ServiceLevels(since, until, now, target_hours, _row("total", "all", counted, target, now), rows)


def first_substantive(incident: Incident) -> datetime | None:
    """The time of the first answer in substance (an older record may hold only its first answer's time)."""
    times = [_time(a.get("at")) for a in incident.answers if a.get("quality") == "substantive"]
    found = [t for t in times if t is not None]
    if found:
        return min(found)
    if not incident.answers and incident.answer_quality == "substantive":
        return incident.answered_at
    return None


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
    firsts = [(i, first_substantive(i)) for i in incidents]
    quick = [first is not None and first - i.opened_at <= target for i, first in firsts]
    judged = sum(1 for i, fast in zip(incidents, quick, strict=True) if fast or now - i.opened_at >= target)
    waits = sorted(max(0.0, _hours(first - i.opened_at)) for i, first in firsts if first is not None)
    replied = [i for i in incidents if i.answered_at is not None or i.answers]
    return ServiceRow(
        kind, key, len(incidents), judged, len(replied), len(waits), sum(quick),
        sum(1 for i in replied if i.answered_at is not None and i.answered_at - i.opened_at <= target),
        sum(1 for i in replied if i.answer_quality == "otpiska"),
        sum(1 for i, first in firsts if _overdue(i, first, target, now)),
        _percentile(waits, 0.5), _percentile(waits, 0.9))


def _overdue(incident: Incident, first: datetime | None, target: timedelta, now: datetime) -> bool:
    """Open, without a substantive answer by ``now``, and past the target or its routing deadline."""
    if incident.status not in OPEN or (first is not None and first <= now):
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


def _time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value)
    return None
