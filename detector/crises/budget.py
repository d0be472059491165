"""An alert budget across every series: the threshold that, on the series' own past, would have
raised at most ``SPIKES_ALERTS_PER_WEEK`` alerts a week in all of them together.

The negative binomial's tail probabilities are exact for counts that behave as the model says;
real ones do not quite: one person files five appeals about five yards within a minute, a
housing office enters a day's letters at once. Their p-values are too small, and a hundred series
tested every hour turn a few such hours a day into a stream of alerts nobody reads. So the
threshold is set where the staff's tolerance puts it: on the calibration buckets (the run's past,
after the baseline's first days), the scores ``corrected p / alpha`` of every series and bucket
are thresholded as the detector would (minimum count, one alert per event), and the threshold is
lowered until the events it gives are within the budget — never raised above ``alpha``, so a
clean series keeps the model's threshold. It is a correction for the number of series tested
that learns how far the model's p-values are from the truth on this very data.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

CALIBRATION_MIN_WEEKS = 1.0  # less past than this: the model's thresholds alone
CALIBRATION_SKIP_HOURS = 72  # after the gap: the baseline's first days, while its level is mostly prior


def budget_threshold(score: np.ndarray, eligible: np.ndarray, events: Callable[[np.ndarray], int],
                     allowed: float) -> float:
    """The largest threshold t ≤ 1 such that ``events(eligible & (score < t))`` ≤ ``allowed``.

    ``score`` (series × calibration buckets) is p / alpha, ``eligible`` where the window holds the
    minimum count; ``events`` counts the alerts a hot matrix gives (after the cooldown)."""
    thresholds = np.append(np.unique(score[eligible & (score < 1.0)]), 1.0)
    low, high = 0, thresholds.size - 1  # nothing is below the least score: no events at ``low``
    if events(eligible & (score < thresholds[high])) <= allowed:
        return 1.0
    while high - low > 1:  # events(< thresholds[low]) ≤ allowed < events(< thresholds[high])
        middle = (low + high) // 2
        if events(eligible & (score < thresholds[middle])) <= allowed:
            low = middle
        else:
            high = middle
    return float(thresholds[low])
