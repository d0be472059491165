"""The commercial tools' spike rules, as their documentation describes them, for comparison.

Both are implemented as favourably as their descriptions allow, and share with ours the minimum
count (``min_count``, on the count each rule tests) and the cooldown (one alert per event):

- **Meltwater** (community.meltwater.com, "Understanding Alert Types"): for social searches "it
  compares the last hour with the past 12 hours … To make sure the results are really unusual,
  we compare them with the previous day and week". Here: the last bucket's count must exceed
  mean + k·sd of the 12 buckets before it, *and* of the 12 buckets around the same time the day
  before, *and* the week before (so an evening peak that is there every evening does not count).
- **Socialmetrix** (Variation alerts): checked hourly, "[average last 24 hours] > [average last 7
  days] + [standard deviation] × [threshold]", threshold 1.5, 2 or 3 (k = 3, the least noisy).
  Here: the sum of the last 24 hours against the mean and sd of the 24-hour sums of the 7 days
  before them (the sd of 24-hour sums, not of single hours, which would almost never fire).

The standard deviation is floored at √mean (Poisson), without which any post after a silent
half-day would be "infinitely" unusual.
"""

from __future__ import annotations

import numpy as np

from detector.crises.detect import Alert, cooldown, trailing_sum
from detector.crises.series import Counts


def meltwater_rule(counts: Counts, *, k: float = 3.0, min_count: int = 5, cooldown_buckets: int = 24,
                   report_from: int = 0) -> list[Alert]:
    matrix = counts.matrix.astype(float)
    per_day = max(1, round(86400 / counts.bucket.total_seconds()))
    hot = matrix >= min_count
    checks = [(0, None)] + ([(per_day, 6), (7 * per_day, 6)] if per_day >= 12 else [])  # hourly-ish buckets
    for offset, half in checks:
        mean, sd = _reference(matrix, offset, half)
        hot &= matrix > mean + k * np.maximum(sd, np.sqrt(mean))
    return _alerts(counts, hot, matrix, mean_of=_reference(matrix, 0, None)[0], window=1, method="meltwater",
                   cooldown_buckets=cooldown_buckets, report_from=report_from)


def _reference(matrix: np.ndarray, offset: int, half: int | None, n: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of ``n`` buckets: the ``n`` before t (``half`` None), or those from
    t − ``offset`` − ``half`` on (around the same time ``offset`` buckets ago). Where the window
    would start before the data, the mean is +inf: no alert without a reference."""
    lag = 1 if half is None else offset - (n - half - 1)  # the window's last bucket is t - lag
    sums, squares = trailing_sum(matrix, n), trailing_sum(matrix ** 2, n)
    mean, sd = np.full(matrix.shape, np.inf), np.zeros(matrix.shape)
    if lag + n - 1 < matrix.shape[1]:
        m, q = sums[:, n - 1:-lag] / n, squares[:, n - 1:-lag] / n
        mean[:, lag + n - 1:] = m
        sd[:, lag + n - 1:] = np.sqrt(np.maximum(q - m ** 2, 0) * n / (n - 1))
    return mean, sd


def ksigma_rule(counts: Counts, *, k: float = 3.0, min_count: int = 5, cooldown_buckets: int = 24,
                report_from: int = 0) -> list[Alert]:
    per_day = max(1, round(86400 / counts.bucket.total_seconds()))
    day = trailing_sum(counts.matrix.astype(float), per_day)
    week = 7 * per_day
    mean, sd = np.full(day.shape, np.inf), np.zeros(day.shape)
    if per_day + week <= day.shape[1]:
        sums, squares = trailing_sum(day, week), trailing_sum(day ** 2, week)
        # the 24-hour sums ending in (t - 24h - 7d, t - 24h]: the week before the day judged
        m = sums[:, week - 1:-per_day] / week
        mean[:, week - 1 + per_day:] = m
        sd[:, week - 1 + per_day:] = np.sqrt(np.maximum(squares[:, week - 1:-per_day] / week - m ** 2, 0)
                                              * week / (week - 1))
    hot = (day >= min_count) & (day > mean + k * np.maximum(sd, np.sqrt(mean)))
    return _alerts(counts, hot, day, mean_of=mean, window=per_day, method="ksigma",
                   cooldown_buckets=cooldown_buckets, report_from=report_from)


def _alerts(counts: Counts, hot: np.ndarray, tested: np.ndarray, *, mean_of: np.ndarray, window: int,
            method: str, cooldown_buckets: int, report_from: int) -> list[Alert]:
    return [Alert(counts.keys[s], t, counts.time(t), window, int(tested[s, t]), round(float(mean_of[s, t]), 2),
                  float("nan"), method=method)
            for s, t in cooldown(hot, cooldown_buckets) if t >= report_from]
