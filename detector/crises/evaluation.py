"""``monitor eval spikes``: ours against the vendors' rules on the same synthetic series.

An alert in a burst's series from its first bucket to ``grace`` buckets after its last finds it
(the first such alert gives the delay, in buckets from the burst's start: 0 is an alert at the end
of its first bucket); any other alert after the warm-up is a false alarm. Figures: share of bursts
found, median delay, false alarms per series-week.

The median delay over the bursts a method finds rewards finding only the easy ones, so two more
views of delay are printed: over the bursts every method finds, and over all bursts with a missed
one counted as never found (how long until half the region's bursts are known, the figure of
surveillance "timeliness" measures), with the share found by the end of hour 1, 2, 4 and 7.
``ours`` runs with the alert budget (``SPIKES_ALERTS_PER_WEEK`` across every series, calibrated on
the warm-up), ``ours-model`` with the model's thresholds alone.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from detector.crises.detect import Alert, SpikeConfig, SpikeDetector
from detector.crises.rules import ksigma_rule, meltwater_rule
from detector.crises.synthetic import SyntheticSet, generate

GRACE = 24  # buckets after a burst's end in which an alert still counts as finding it
HORIZONS = (0, 1, 3, 6)  # delays (buckets) for the "found by the end of hour 1, 2, 4, 7" shares


@dataclass
class Score:
    method: str
    bursts: int
    found: int
    median_delay: float
    false_alarms: int
    series_weeks: float
    delays: dict[int, int]  # burst number → delay, for the bursts found
    common_delay: float = float("nan")  # median delay over the bursts every method found

    @property
    def recall(self) -> float:
        return self.found / self.bursts if self.bursts else 0.0

    @property
    def false_per_series_week(self) -> float:
        return self.false_alarms / self.series_weeks

    @property
    def median_to_find(self) -> float:
        """Median delay over all bursts, a missed one counting as never (inf)."""
        return _median(list(self.delays.values()) + [np.inf] * (self.bursts - self.found))

    def found_by(self, delay: int) -> float:
        """Share of all bursts found with at most this delay."""
        return sum(d <= delay for d in self.delays.values()) / self.bursts if self.bursts else 0.0

    def as_dict(self) -> dict[str, object]:
        return {"method": self.method, "bursts": self.bursts, "found": self.found, "recall": round(self.recall, 3),
                "median_delay_buckets": self.median_delay, "median_delay_all_found": self.common_delay,
                "median_delay_missed_never": self.median_to_find,
                "found_by_hour": {str(d + 1): round(self.found_by(d), 3) for d in HORIZONS},
                "false_alarms_per_series_week": round(self.false_per_series_week, 4)}


def score(method: str, alerts: list[Alert], data: SyntheticSet) -> Score:
    by_series: dict[int, list[int]] = {}
    row = {key: n for n, key in enumerate(data.counts.keys)}
    for alert in alerts:
        if alert.index >= data.warmup:
            by_series.setdefault(row[alert.key], []).append(alert.index)
    used: set[tuple[int, int]] = set()
    delays = {}
    for n, burst in enumerate(data.bursts):
        hits = [t for t in by_series.get(burst.series, [])
                if burst.start <= t < burst.start + burst.duration + GRACE]
        used.update((burst.series, t) for t in hits)
        if hits:
            delays[n] = min(hits) - burst.start
    alarms = sum(len(times) for times in by_series.values())
    weeks = len(data.counts.keys) * (data.counts.buckets - data.warmup) / (7 * 24)
    return Score(method, len(data.bursts), len(delays), _median(delays.values()), alarms - len(used), weeks,
                 delays)


def _median(values: Iterable[float]) -> float:
    values = list(values)
    return float(np.median(values)) if values else float("nan")


def methods(config: SpikeConfig) -> dict[str, Callable[[SyntheticSet], list[Alert]]]:
    cool = config.buckets(config.cooldown_hours)
    alone = dataclasses.replace(config, alerts_per_week=0.0)
    return {
        "ours": lambda d: SpikeDetector(config).detect(d.counts, report_from=d.warmup, rhythm_until=d.warmup),
        "ours-model": lambda d: SpikeDetector(alone).detect(d.counts, report_from=d.warmup, rhythm_until=d.warmup),
        "meltwater": lambda d: meltwater_rule(d.counts, min_count=config.min_count, cooldown_buckets=cool,
                                              report_from=d.warmup),
        "ksigma3": lambda d: ksigma_rule(d.counts, k=3.0, min_count=config.min_count, cooldown_buckets=cool,
                                         report_from=d.warmup),
    }


def evaluate(config: SpikeConfig | None = None, *, seed: int = 1, series: int = 240,
             weeks: int = 7) -> tuple[SyntheticSet, list[Score]]:
    config = config or SpikeConfig()
    data = generate(seed=seed, series=series, weeks=weeks)
    scores = [score(name, run(data), data) for name, run in methods(config).items()]
    common = set.intersection(*(set(s.delays) for s in scores))
    for s in scores:
        s.common_delay = _median(s.delays[n] for n in common)
    return data, scores


def lines(data: SyntheticSet, scores: list[Score], seed: int) -> list[str]:
    weeks = (data.counts.buckets - data.warmup) / (7 * 24)
    hours = "/".join(str(d + 1) for d in HORIZONS)
    out = [f"synthetic set: seed {seed}, {len(data.counts.keys)} series (sector × district), hourly, "
           f"{data.warmup // 168} warm-up weeks + {weeks:.0f} scored weeks, {len(data.bursts)} bursts",
           f"{'':<11}{'':>15}{'median delay':^34}{'found by the end of hour':^26}",
           f"{'method':<11}{'bursts found':>15}{'found':>9}{'all found':>11}{'missed=never':>14}"
           f"{hours:^26}{'false alarms/series-week':>26}"]
    for s in scores:
        shares = " ".join(f"{s.found_by(d):.2f}" for d in HORIZONS)
        out.append(f"{s.method:<11}{f'{s.found}/{s.bursts} {s.recall:.3f}':>15}{s.median_delay:>9.1f}"
                   f"{s.common_delay:>11.1f}{s.median_to_find:>14.1f}{shares:^26}{s.false_per_series_week:>26.4f}")
    out.append("delays in buckets (hours) from a burst's start, 0 = in its first hour; 'all found': over the "
               "bursts every method found; 'missed=never': over all bursts, a missed one never found")
    return out
