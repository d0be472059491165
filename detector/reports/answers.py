"""How fast and how well each body answered: the report's table of answer times and отписки.

An answer counts when it is substantive: an отписка ("обращение передано в профильное
ведомство") does not stop the clock. The figures come from what the detector recorded on each
incident (``answers``, ``answered_at``, ``answer_quality``); :func:`answer_times` is meant to become
a call to the service levels' library function once both are in one place.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from indexer.schema import Incident

DAY = timedelta(hours=24)
NO_BODY = "не назначен"


@dataclass(frozen=True, slots=True)
class AnswerTimes:
    """One body's figures over a set of incidents (``None`` where nothing was there to measure)."""

    body: str
    incidents: int
    answered: int  # with a substantive answer
    judged: int  # opened at least 24 h ago or answered in substance within 24 h: what ``within_24h`` is a share of
    within_24h: float | None  # share answered in substance within 24 h, of those open at least 24 h
    median_hours: float | None  # time to the first substantive answer
    p90_hours: float | None
    otpiska: float | None  # share of the answered (any answer) whose first answer is an отписка
    overdue: int  # past the deadline now, without a substantive answer, not closed


def first_substantive(incident: Incident) -> datetime | None:
    """The time of the first answer in substance, if any."""
    times = [_time(a.get("at")) for a in incident.answers if a.get("quality") == "substantive"]
    found = [t for t in times if t is not None]
    if found:
        return min(found)
    if not incident.answers and incident.answer_quality == "substantive":
        return incident.answered_at
    return None


def answer_times(incidents: Iterable[Incident], now: datetime) -> list[AnswerTimes]:
    """Per body (most incidents first): the share answered within 24 h, median and p90 hours to
    answer, the share of отписки and the incidents overdue at ``now``."""
    by_body: dict[str, list[Incident]] = defaultdict(list)
    for incident in incidents:
        by_body[incident.body or NO_BODY].append(incident)
    rows = [_body_times(body, group, now) for body, group in by_body.items()]
    return sorted(rows, key=lambda row: (-row.incidents, row.body))


def _body_times(body: str, incidents: list[Incident], now: datetime) -> AnswerTimes:
    hours: list[float] = []
    judged = quick = answered_any = otpiski = overdue = 0
    for incident in incidents:
        answered = first_substantive(incident)
        if answered is not None:
            hours.append(max(0.0, (answered - incident.opened_at).total_seconds() / 3600))
        if answered is not None and answered - incident.opened_at <= DAY:
            judged, quick = judged + 1, quick + 1
        elif now - incident.opened_at >= DAY:
            judged += 1
        if incident.answered_at is not None or incident.answers:
            answered_any += 1
            otpiski += incident.answer_quality == "otpiska"
        overdue += _overdue(incident, answered, now)
    return AnswerTimes(body, len(incidents), len(hours), judged, quick / judged if judged else None,
                       _quantile(hours, 0.5), _quantile(hours, 0.9), otpiski / answered_any if answered_any else None,
                       overdue)


def _overdue(incident: Incident, answered: datetime | None, now: datetime) -> bool:
    return (incident.deadline is not None and incident.status != "closed" and now > incident.deadline
            and (answered is None or answered > now))


def _quantile(values: list[float], share: float) -> float | None:
    """The ``share`` quantile by linear interpolation (numpy's default), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value)
    return None
