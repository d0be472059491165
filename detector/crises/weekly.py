"""``monitor eval spikes --series FILE``: alerts a week on a real dated series, each week judged
as the detector would have judged it then.

The file is one post per line (``created_at``, ``sector``, ``territory``: as ``--from-jsonl`` reads
them). Weeks run Monday to Sunday in the series' own time zone (the first post's offset), from the
first whole one. For each week with enough past (the baseline's gap and first days, and a week to calibrate the alert budget
on), the detector sees the posts up to the week's end and reports the alerts inside it, its
budget calibrated on the days before only: an alert rate measured out of sample. The first
``decide_weeks`` whole weeks are where settings are chosen; the rest are reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from detector.crises.budget import CALIBRATION_MIN_WEEKS, CALIBRATION_SKIP_HOURS
from detector.crises.detect import Alert, SpikeConfig, SpikeDetector
from detector.crises.series import Counts, record_time
from detector.crises.stream import SeriesStream


@dataclass
class Week:
    start: datetime  # Monday 00:00 in the series' time zone
    days: float  # a last week may be cut short by the data
    alerts: list[Alert]
    decide: bool  # a week the settings were chosen on

    @property
    def per_week(self) -> float:
        return len(self.alerts) * 7 / self.days


def weekly_alerts(records: Iterable[Mapping[str, Any]], config: SpikeConfig, *, decide_weeks: int = 4,
                  min_days: float = 1.0) -> tuple[Counts, list[Week]]:
    """Every week of the series that has enough past, with its out-of-sample alerts."""
    records = list(records)
    first = min((when for r in records if (when := record_time(r)) is not None), default=None)
    counts = Counts.build(SeriesStream(config.bucket).add_all(records).cells(), config.bucket)
    if first is None or not counts.keys:
        return counts, []
    midnight = first.replace(hour=0, minute=0, second=0, microsecond=0)
    monday = midnight + timedelta(days=(7 - first.weekday()) % 7 if first != midnight else -first.weekday())
    past = timedelta(hours=config.gap_hours + CALIBRATION_SKIP_HOURS, weeks=CALIBRATION_MIN_WEEKS)
    weeks, start = [], monday
    while (begin := counts.index(start)) < counts.buckets:
        end = min(counts.buckets, counts.index(start + timedelta(days=7)))
        if end - begin >= config.buckets(min_days * 24) and start - first >= past:
            seen = Counts(counts.keys, counts.start, counts.bucket, counts.matrix[:, :end])
            alerts = SpikeDetector(config).detect(seen, report_from=max(begin, 0))
            weeks.append(Week(start, (end - begin) / config.buckets(24), alerts,
                              start < monday + timedelta(days=7 * decide_weeks)))
        start += timedelta(days=7)
    return counts, weeks


def lines(counts: Counts, weeks: list[Week], config: SpikeConfig, name: str) -> list[str]:
    decide = [w for w in weeks if w.decide]
    report = [w for w in weeks if not w.decide]
    out = [f"{name}: {len(counts.keys)} series, {counts.buckets // 24} days; SPIKES_ALERTS_PER_WEEK="
           f"{config.alerts_per_week:g}; each week judged with only its past (out of sample)",
           f"{'week from':<12}{'days':>6}{'alerts':>8}{'per week':>10}   set"]
    for week in weeks:
        out.append(f"{week.start:%Y-%m-%d}{week.days:>8.1f}{len(week.alerts):>8}{week.per_week:>10.1f}   "
                   f"{'decide' if week.decide else 'report'}")
    for label, part in (("decide", decide), ("report", report)):
        if part:
            total, days = sum(len(w.alerts) for w in part), sum(w.days for w in part)
            out.append(f"{label}: {total} alerts in {days:g} days = {total * 7 / days:.1f} a week")
    out += [f"  {w.start:%Y-%m-%d} {a.key} {a.start:%Y-%m-%d %H:%M} UTC, {a.count} posts in {a.window} h against "
            f"{a.expected:g} (significance {a.significance})" for w in report for a in w.alerts]
    return out
