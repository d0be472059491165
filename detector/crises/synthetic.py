"""Realistic hourly complaint series with bursts of known start, size and duration (seeded).

The background follows what a region's monitoring sees (../shared/DOMAIN.md: ~150-700 problem
messages a day in a region, the top sectors in the busiest towns): per sector × district, quiet
series of 0.5-3 posts a day, medium ones of 3-15, busy ones of 15-80. Each has the daily rhythm
(few posts at night, a peak at 19-21 h local time, UTC+3), the weekly one (Monday +25%, Saturday
−20%), its own slightly shifted hours, day-to-day variation (a series' own, CV 0.25, and the
region's, CV 0.1: weather, news) and a slow drift of its level. Bursts (a water outage, dust from
a repair, a story that grows across groups) come only after the warm-up weeks: 0-2 per series,
lasting 2-48 hours, shaped as a step, a ramp (growing) or a spike (sharp start, decay), adding
6-15 posts or 0.5-2 days' worth of the series' usual volume, whichever is more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np

from detector.crises.series import Counts, SeriesKey

LOCAL_HOURS = np.array([0.5, 0.3, 0.2, 0.15, 0.15, 0.2, 0.4, 0.7, 1.0, 1.2, 1.2, 1.2,
                        1.2, 1.2, 1.1, 1.1, 1.1, 1.2, 1.4, 1.6, 1.8, 1.8, 1.4, 0.9])
WEEKDAYS = np.array([1.25, 1.1, 1.0, 1.0, 0.95, 0.8, 0.9])  # Monday first
UTC_OFFSET = 3
SECTORS = ("amenities", "roads", "housing", "waste", "energy", "transport")
START = datetime(2026, 9, 7, tzinfo=timezone.utc)  # a Monday


@dataclass(frozen=True)
class Burst:
    series: int
    start: int  # bucket index
    duration: int  # buckets
    extra: int  # posts added
    shape: str


@dataclass
class SyntheticSet:
    counts: Counts
    bursts: list[Burst]
    warmup: int  # buckets before the first burst may start; alerts there are not scored
    daily_rates: np.ndarray


def generate(seed: int = 1, series: int = 240, weeks: int = 7, warmup_weeks: int = 3) -> SyntheticSet:
    rng = np.random.default_rng(seed)
    hours = weeks * 7 * 24
    rates = _daily_rates(rng, series)
    background = _background(rng, rates, hours)
    warmup = warmup_weeks * 7 * 24
    bursts = _bursts(rng, rates, hours, warmup)
    matrix = rng.poisson(background)
    for burst in bursts:
        matrix[burst.series, burst.start:burst.start + burst.duration] += _burst_counts(rng, burst)
    keys = [SeriesKey(SECTORS[n % len(SECTORS)], f"район {n // len(SECTORS) + 1:02d}") for n in range(series)]
    return SyntheticSet(Counts(keys, START, timedelta(hours=1), matrix), bursts, warmup, rates)


def _daily_rates(rng: np.random.Generator, series: int) -> np.ndarray:
    kind = rng.choice(3, size=series, p=[0.45, 0.35, 0.20])
    low = np.array([0.5, 3.0, 15.0])[kind]
    high = np.array([3.0, 15.0, 80.0])[kind]
    return np.exp(rng.uniform(np.log(low), np.log(high)))


def _background(rng: np.random.Generator, rates: np.ndarray, hours: int) -> np.ndarray:
    series, days = rates.size, hours // 24
    local = (np.arange(hours) + UTC_OFFSET) % 24
    shift = rng.integers(-1, 2, size=series)  # some districts write an hour earlier or later
    day_shape = np.stack([np.roll(LOCAL_HOURS, s)[local] for s in shift]) / LOCAL_HOURS.mean()
    weekday = WEEKDAYS[(np.arange(hours) // 24) % 7] / WEEKDAYS.mean()
    own = rng.gamma(16.0, 1 / 16.0, size=(series, days))  # CV 0.25
    region = rng.gamma(100.0, 1 / 100.0, size=days)  # CV 0.1
    drift = np.exp(np.cumsum(rng.normal(0, 0.03, size=(series, days)), axis=1))
    per_day = own * region * drift
    return rates[:, None] / 24 * day_shape * weekday * np.repeat(per_day, 24, axis=1)


def _bursts(rng: np.random.Generator, rates: np.ndarray, hours: int, warmup: int) -> list[Burst]:
    bursts = []
    for s, rate in enumerate(rates):
        taken: list[int] = []
        for _ in range(rng.choice(3, p=[0.35, 0.45, 0.20])):
            start = int(rng.integers(warmup, hours - 48))
            if any(abs(start - other) < 4 * 24 for other in taken):
                continue
            taken.append(start)
            duration = int(rng.choice([2, 4, 6, 12, 24, 48], p=[0.15, 0.2, 0.2, 0.2, 0.15, 0.1]))
            extra = max(rng.uniform(6, 15), rng.uniform(0.5, 2.0) * rate * max(1.0, duration / 24))
            bursts.append(Burst(s, start, duration, int(round(extra)), str(rng.choice(["step", "ramp", "spike"]))))
    return bursts


def _burst_counts(rng: np.random.Generator, burst: Burst) -> np.ndarray:
    steps = np.arange(burst.duration) + 0.5
    weights = {"step": np.ones(burst.duration), "ramp": steps,
               "spike": np.exp(-steps / max(1.0, burst.duration / 3))}[burst.shape]
    local = (burst.start + np.arange(burst.duration) + UTC_OFFSET) % 24
    weights = weights * np.sqrt(LOCAL_HOURS[local])  # fewer people notice or write at night
    return rng.multinomial(burst.extra, weights / weights.sum())
