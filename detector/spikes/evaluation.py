"""``monitor eval spikes``: ours against the vendors' rules on the same synthetic series.

An alert in a burst's series from its first bucket to ``grace`` buckets after its last finds it
(the first such alert gives the delay, in buckets from the burst's start); any other alert after
the warm-up is a false alarm. Figures: share of bursts found, median delay, false alarms per
series-week.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from detector.spikes.detect import Alert, SpikeConfig, SpikeDetector
from detector.spikes.rules import ksigma_rule, meltwater_rule
from detector.spikes.synthetic import SyntheticSet, generate

GRACE = 24  # buckets after a burst's end in which an alert still counts as finding it


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

    def as_dict(self) -> dict[str, object]:
        return {"method": self.method, "bursts": self.bursts, "found": self.found, "recall": round(self.recall, 3),
                "median_delay_buckets": self.median_delay, "median_delay_all_found": self.common_delay,
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


def _median(values: Iterable[int]) -> float:
    values = list(values)
    return float(np.median(values)) if values else float("nan")


def methods(config: SpikeConfig) -> dict[str, Callable[[SyntheticSet], list[Alert]]]:
    cool = config.buckets(config.cooldown_hours)
    return {
        "ours": lambda d: SpikeDetector(config).detect(d.counts, report_from=d.warmup, rhythm_until=d.warmup),
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
    out = [f"synthetic set: seed {seed}, {len(data.counts.keys)} series (sector × district), hourly, "
           f"{data.warmup // 168} warm-up weeks + {weeks:.0f} scored weeks, {len(data.bursts)} bursts",
           f"{'method':<11}{'bursts found':>15}{'median delay':>14}{'(all found)':>13}"
           f"{'false alarms/series-week':>26}"]
    for s in scores:
        out.append(f"{s.method:<11}{f'{s.found}/{s.bursts} {s.recall:.3f}':>15}{s.median_delay:>14.1f}"
                   f"{s.common_delay:>13.1f}{s.false_per_series_week:>26.4f}")
    out.append("delays in buckets (hours) from a burst's start; '(all found)': over the bursts every method found")
    return out
