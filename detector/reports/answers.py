"""The report's table of answer times and отписки per body: the service levels
(:mod:`detector.jobs.service_levels`) of the week's routing incidents, so the report,
``monitor answers`` and the workspace give one set of figures for one week.

An отписка ("обращение передано в профильное ведомство") is no answer: the clock runs to the first
answer in substance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from detector.jobs.service_levels import NONE, measure

if TYPE_CHECKING:
    from datetime import datetime

    from detector.jobs.service_levels import ServiceLevels
    from detector.reports.weeks import Week
    from indexer.schema import Incident

NO_BODY = "не назначен"
TARGET_HOURS = 24.0  # the centre's rule, unless ANSWERS_TARGET_HOURS says otherwise


def answer_times(incidents: Iterable[Incident], week: Week, now: datetime,
                 target_hours: float = TARGET_HOURS) -> ServiceLevels:
    """The service levels of the incidents opened in ``week``, as of ``now``: the report shows the
    total in its headline and the rows by body (``.group("body")``) in its table."""
    return measure(incidents, week.start, week.end, now, target_hours)


def body_name(key: str) -> str:
    """A body's row key as the report names it (the incidents routing gave no body share one row)."""
    return NO_BODY if key == NONE else key
