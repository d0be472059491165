"""ISO weeks (``2026-W49``) as the report counts them: Monday 00:00 to the next Monday, UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from detector.exceptions import ReportError

_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})")


@dataclass(frozen=True, slots=True, order=True)
class Week:
    """One ISO week; ``start`` and ``end`` bound it as ``[start, end)`` in UTC."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Week:
        """``2026-W49`` (or ``2026W49``); anything else, or a week the year lacks, is a :class:`ReportError`."""
        found = _WEEK.fullmatch(text.strip().upper())
        if found is None:
            raise ReportError(f"--week {text!r}: expected an ISO week like 2026-W49")
        year, number = int(found[1]), int(found[2])
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError as exc:
            raise ReportError(f"--week {text!r}: {year} has no week {number}") from exc
        return cls(year, number)

    @classmethod
    def of(cls, moment: datetime) -> Week:
        """The week holding ``moment``."""
        year, number, _ = moment.astimezone(timezone.utc).isocalendar()
        return cls(year, number)

    @classmethod
    def last_full(cls, now: datetime) -> Week:
        """The last week that has ended by ``now``: the one a weekly meeting looks back on."""
        return cls.of(now - timedelta(days=7))

    @property
    def start(self) -> datetime:
        return datetime.combine(date.fromisocalendar(self.year, self.number, 1), datetime.min.time(), timezone.utc)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=7)

    @property
    def sunday(self) -> date:
        """Its last day, as a reader names the week's end."""
        return (self.end - timedelta(days=1)).date()

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    def shifted(self, weeks: int) -> Week:
        """The week ``weeks`` later (earlier when negative)."""
        return Week.of(self.start + timedelta(weeks=weeks))

    def __str__(self) -> str:
        return self.label


def report_name(week: Week) -> str:
    """The report files' stem in the report folder: ``weekly-2026-W49`` (``.html``, ``.pdf``, ``.json``)."""
    return f"weekly-{week.label}"
