"""What each bucket of each series should hold: a seasonal, robust baseline with its uncertainty.

expected[s, t] = level[s, t] × rhythm[t]. The rhythm (time of day × day of week, mean 1) is
pooled over all series, because people write in the evening, less at night and more on Mondays
whatever the district, and a district with 2 posts a day cannot teach it alone. The level of
each series comes from its own past, ``history`` buckets ending ``gap`` buckets before the
bucket judged (so an event never raises its own baseline), with buckets far above the first
estimate capped (so last week's burst does not either), and a weak prior: the series' capped
level over the whole range (at least the median series' level), worth ``prior`` buckets. ``dispersion[s, t]`` is the negative
binomial's 1/r: day-to-day variation (pooled) plus the level's own sampling error (1 / posts it
was estimated from), so a quiet district is judged with the doubt its few posts leave.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAY = 86400


@dataclass(frozen=True)
class Rhythm:
    """Multipliers (mean 1) per slot of the day and per weekday (Monday = 0)."""

    day: np.ndarray
    week: np.ndarray

    def at(self, first_slot: int, buckets: int, slots_per_day: int) -> np.ndarray:
        slots = np.arange(first_slot, first_slot + buckets)
        weekday = (slots // slots_per_day + 3) % 7  # 1970-01-01 was a Thursday
        return self.day[slots % slots_per_day] * self.week[weekday]


def fit_rhythm(matrix: np.ndarray, first_slot: int, slots_per_day: int, *, shrink: float = 20.0,
               min_weeks: float = 2.0) -> Rhythm:
    """The pooled rhythm of ``matrix`` (series × buckets). Each multiplier is shrunk toward 1 by
    ``shrink`` posts; the weekly one stays flat with less than ``min_weeks`` of data."""
    totals = matrix.sum(axis=0).astype(float)
    slots = np.arange(first_slot, first_slot + totals.size)
    day = _multipliers(totals, slots % slots_per_day, slots_per_day, shrink)
    if slots_per_day >= 24:  # hourly or finer: smooth over neighbouring slots, around midnight too
        day = (np.roll(day, 1) + 2 * day + np.roll(day, -1)) / 4
    day /= day.mean()
    week = np.ones(7)
    if totals.size >= min_weeks * 7 * slots_per_day:
        weekday = (slots // slots_per_day + 3) % 7
        week = _multipliers(totals / day[slots % slots_per_day], weekday, 7, shrink)
    return Rhythm(day, week / week.mean())


def own_rhythm(matrix: np.ndarray, pooled: np.ndarray, first_slot: int, slots_per_day: int, *,
               shrink: float = 10.0) -> np.ndarray:
    """Each series' rhythm (series × buckets): the pooled one, times the series' own ratio per slot
    of the day, shrunk toward 1 by ``shrink`` posts, so a busy district that writes an hour later
    than the others gets its own curve and a quiet one keeps the pooled."""
    learn = pooled[:matrix.shape[1]]
    slots = (np.arange(first_slot, first_slot + learn.size)) % slots_per_day
    seen = np.stack([np.bincount(slots, weights=row, minlength=slots_per_day) for row in matrix.astype(float)])
    share = np.bincount(slots, weights=learn, minlength=slots_per_day) / max(learn.sum(), 1e-9)
    wanted = matrix.sum(axis=1, keepdims=True) * share
    ratio = (seen + shrink) / (wanted + shrink)
    ratio /= (ratio * share).sum(axis=1, keepdims=True)
    every = np.arange(first_slot, first_slot + pooled.size) % slots_per_day
    return pooled * ratio[:, every]


def _multipliers(totals: np.ndarray, groups: np.ndarray, size: int, shrink: float) -> np.ndarray:
    """Per group: (posts seen + ``shrink``) / (posts an average bucket would give + ``shrink``)."""
    sums = np.bincount(groups, weights=totals, minlength=size)
    seen = np.bincount(groups, minlength=size)
    overall = totals.sum() / max(totals.size, 1)
    return (sums + shrink) / (overall * seen + shrink)


@dataclass
class Baseline:
    expected: np.ndarray  # series × buckets
    dispersion: np.ndarray  # series × buckets: the negative binomial's 1/r
    rhythm: np.ndarray  # buckets
    day_dispersion: float
    clumping: np.ndarray  # series × 1: how many posts arrive together, on average (≥ 1; see _clumping)


def fit_baseline(matrix: np.ndarray, rhythm: np.ndarray, *, history: int, gap: int, prior: float,
                 slots_per_day: int, cap_sigmas: float = 4.0) -> Baseline:
    """The baseline of every bucket of every series; see the module docstring."""
    counts = matrix.astype(float)
    raw_level = _rolling_level(counts, rhythm, history, gap, _prior_level(counts, rhythm), prior)
    first = raw_level * rhythm
    capped = np.minimum(counts, np.ceil(first + cap_sigmas * np.sqrt(first + 0.1 * first ** 2) + 1))
    prior_level = _prior_level(capped, rhythm)
    if prior_level.shape[0] >= 5:  # a new or short-lived series starts from a typical one's level
        prior_level = np.maximum(prior_level, np.median(prior_level))
    level = _rolling_level(capped, rhythm, history, gap, prior_level, prior)
    expected = level * rhythm
    posts = _window_sum(capped, history, gap) + prior * prior_level
    day = _day_dispersion(capped, expected, slots_per_day)
    return Baseline(expected, day + 1.0 / (posts + 1.0), rhythm, day, _clumping(capped, expected, day))


def _clumping(capped: np.ndarray, expected: np.ndarray, day: float, shrink: float = 20.0) -> np.ndarray:
    """Each series' variance per bucket over what the negative binomial allows for it (Pearson's
    dispersion), shrunk toward 1 by ``shrink`` posts and kept in [1, 10]. Real posts come in clumps
    (five appeals from one person in a minute, a day's letters entered at once): at a quiet hour's
    0.2 posts the negative binomial's variance is ≈ its mean, and such a clump would look like an
    event of one chance in a billion."""
    excess = ((capped - expected) ** 2 / (1.0 + day * expected)).sum(axis=1, keepdims=True)
    return np.clip((excess + shrink) / (expected.sum(axis=1, keepdims=True) + shrink), 1.0, 10.0)


def _prior_level(counts: np.ndarray, rhythm: np.ndarray) -> np.ndarray:
    """Each series' level over the whole range, its far-out buckets capped: the weak prior."""
    weight = np.maximum(np.atleast_2d(rhythm).sum(axis=-1, keepdims=True), 1e-9)
    mean = counts.sum(axis=1, keepdims=True) / weight
    first = mean * rhythm
    capped = np.minimum(counts, np.ceil(first + 4 * np.sqrt(first + 0.1 * first ** 2) + 1))
    return capped.sum(axis=1, keepdims=True) / weight


def _window_sum(values: np.ndarray, history: int, gap: int) -> np.ndarray:
    """For each bucket t: the sum of ``values`` over ``[t - gap - history + 1, t - gap]``."""
    cum = np.concatenate([np.zeros(values.shape[:-1] + (1,)), np.cumsum(values, axis=-1)], axis=-1)
    t = np.arange(values.shape[-1])
    end = np.clip(t - gap + 1, 0, None)
    begin = np.clip(end - history, 0, None)
    return cum[..., end] - cum[..., begin]


def _rolling_level(counts: np.ndarray, rhythm: np.ndarray, history: int, gap: int,
                   prior_level: np.ndarray, prior: float) -> np.ndarray:
    posts = _window_sum(counts, history, gap)
    weight = _window_sum(rhythm, history, gap)
    return (posts + prior * prior_level) / (weight + prior)


def _day_dispersion(counts: np.ndarray, expected: np.ndarray, per_day: int) -> float:
    """Day-to-day variation beyond Poisson, pooled: Σ((D − E)² − E) / Σ E² over series-days,
    leaving out the days far above their expectation (bursts are what we look for, not noise)."""
    days = counts.shape[1] // per_day
    if days < 2:
        return 0.05
    shape = (counts.shape[0], days, per_day)
    observed = counts[:, :days * per_day].reshape(shape).sum(axis=2)
    wanted = expected[:, :days * per_day].reshape(shape).sum(axis=2)
    keep = (wanted > 0) & (observed <= wanted + 3 * np.sqrt(wanted + 0.25 * wanted ** 2) + 2)
    excess = ((observed - wanted) ** 2 - wanted)[keep].sum()
    return float(np.clip(excess / max((wanted[keep] ** 2).sum(), 1e-9), 0.0, 0.5))
