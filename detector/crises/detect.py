"""Find the buckets where a series is improbably high against its baseline, one alert per event.

For each bucket t and each window w (``SPIKES_WINDOWS``, in hours: 1, 3, 6, 12, 24), the posts of
the last w buckets are compared with the baseline's expectation for them under a negative
binomial (``detector.spikes.baseline``). A short window answers a sudden wave in the first hour;
a long one a story that grows slowly and never makes one hour remarkable. The smallest tail
probability, times the number of windows (Bonferroni), must be below ``SPIKES_ALPHA`` — below
``SPIKES_ALPHA_FIRST`` for the one-bucket window, because an alert in a wave's first hour is
worth most and a single hour's count is the least noisy test to loosen (the longer windows are
where a looser threshold breeds false alarms) — and the window must hold at least
``SPIKES_MIN_COUNT`` posts, so two posts in a silent district stay quiet however unlikely they
are. A series that alerted stays silent until it has been unremarkable for ``SPIKES_COOLDOWN_HOURS``: one event, one alert — unless an hour brings twice
the posts of the event's busiest hour so far, so a four-post blip at night cannot silence the
wave of a hundred posts that follows it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

import numpy as np
from scipy import special

from detector.crises.baseline import fit_baseline, fit_rhythm, own_rhythm
from detector.crises.budget import CALIBRATION_MIN_WEEKS, CALIBRATION_SKIP_HOURS, budget_threshold
from detector.crises.series import Counts, SeriesKey
from detector.exceptions import ConfigError

FIRST_SHARE = 0.5  # of the alert budget, for the one-bucket window; the longer ones share the rest
_SETTINGS = (("SPIKES_BUCKET", "bucket", str), ("SPIKES_ALPHA", "alpha", float),
             ("SPIKES_ALPHA_FIRST", "alpha_first", float), ("SPIKES_MIN_COUNT", "min_count", int),
             ("SPIKES_WINDOWS", "windows_hours", tuple), ("SPIKES_COOLDOWN_HOURS", "cooldown_hours", float),
             ("SPIKES_HISTORY_DAYS", "history_days", float), ("SPIKES_ALERTS_PER_WEEK", "alerts_per_week", float),
             ("SPIKES_STORIES", "stories", int), ("SPIKES_STORY_HOURS", "story_hours", float))


@dataclass(frozen=True)
class SpikeConfig:
    """The detector's thresholds (``SPIKES_*`` settings); defaults chosen by ``monitor eval spikes``.

    ``SpikeConfig.from_settings(settings)`` reads them; ``SpikeConfig(alpha=1e-6)`` overrides one.
    """

    bucket: timedelta = timedelta(hours=1)
    alpha: float = 1e-3
    alpha_first: float = 1e-2  # for the one-bucket window
    min_count: int = 4
    windows_hours: tuple[float, ...] = (1, 3, 6, 12, 24)
    cooldown_hours: float = 24.0
    history_days: float = 28.0
    gap_hours: float = 24.0
    prior_days: float = 1.0
    alerts_per_week: float = 1.0  # across every series, on the run's past (0: the model's thresholds alone)
    stories: int = 20  # clusters that are series of their own: those growing most in the last story_hours
    story_hours: float = 24.0

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], **overrides: Any) -> SpikeConfig:
        """The ``SPIKES_*`` settings of a mapping (missing ones keep the defaults); a value that
        cannot be used is a :class:`~detector.exceptions.ConfigError` naming the setting."""
        from detector.crises.series import parse_bucket

        values: dict[str, Any] = {}
        for setting, name, kind in _SETTINGS:
            raw = settings.get(setting)
            if raw is None or raw == "":
                continue
            try:
                if name == "bucket":
                    values[name] = parse_bucket(str(raw))
                elif name == "windows_hours":
                    parts = raw.split(",") if isinstance(raw, str) else raw
                    values[name] = tuple(float(w) for w in parts if str(w).strip())
                else:
                    values[name] = kind(raw)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{setting}={raw!r}: {exc}") from exc
        config = cls(**{**values, **overrides})
        if not (0 < config.alpha < 1 and 0 < config.alpha_first < 1) or config.min_count < 1 \
                or not config.windows_hours or config.alerts_per_week < 0 or config.stories < 0 \
                or config.story_hours <= 0:
            raise ConfigError(f"SPIKES_ALPHA and SPIKES_ALPHA_FIRST must be in (0, 1), SPIKES_MIN_COUNT ≥ 1, "
                              f"SPIKES_WINDOWS not empty, SPIKES_ALERTS_PER_WEEK ≥ 0, SPIKES_STORIES ≥ 0 and "
                              f"SPIKES_STORY_HOURS > 0; got {config.alpha}, {config.alpha_first}, "
                              f"{config.min_count}, {config.windows_hours}, {config.alerts_per_week}, "
                              f"{config.stories}, {config.story_hours}")
        return config

    def buckets(self, hours: float) -> int:
        return max(1, round(hours * 3600 / self.bucket.total_seconds()))

    def alpha_for(self, window: int | np.ndarray) -> float | np.ndarray:
        """The threshold for a window of this many buckets (or for an array of them)."""
        return np.where(np.asarray(window) == 1, self.alpha_first, self.alpha)

    @property
    def windows(self) -> tuple[int, ...]:
        return tuple(sorted({self.buckets(w) for w in self.windows_hours}))

    @property
    def slots_per_day(self) -> int:
        return max(1, round(86400 / self.bucket.total_seconds()))


@dataclass
class Alert:
    """One event in one series: the bucket it was first found in and the evidence."""

    key: SeriesKey
    index: int  # bucket index in the Counts it was found in
    start: datetime  # that bucket's start
    window: int  # buckets the test covered, ending with this one
    count: int  # posts in the window
    expected: float  # the baseline for the window
    p_value: float  # after the correction for several windows
    method: str = "ours"
    explanation: dict[str, Any] = field(default_factory=dict)

    @property
    def significance(self) -> float:
        """−log10 of the corrected tail probability: 5 means one chance in 100,000."""
        return round(-math.log10(max(self.p_value, 1e-300)), 1)


class SpikeDetector:
    """Alerts for every series of a :class:`Counts`; see the module docstring."""

    def __init__(self, config: SpikeConfig | None = None) -> None:
        self.config = config or SpikeConfig()
        self.thresholds = (1.0, 1.0)  # the last run's: the share of ``alpha`` the budget left (1 bucket, longer)

    def detect(self, counts: Counts, report_from: int = 0, rhythm_until: int | None = None,
               calibrate_until: int | None = None) -> list[Alert]:
        """Alerts in buckets ``report_from`` and later (earlier ones still start cooldowns); the
        rhythm is learnt from the buckets before ``rhythm_until`` (default: all), the alert budget
        from those before ``calibrate_until`` (default: ``report_from``, else all)."""
        if not counts.keys or counts.buckets == 0:
            return []
        config = self.config
        first_slot = round(counts.start.timestamp() / config.bucket.total_seconds())
        learn = counts.matrix[:, :rhythm_until] if rhythm_until else counts.matrix
        # An evening doubles the hour's posts; a burst does far more: it must not teach the rhythm.
        learn = np.minimum(learn, np.ceil(3 * learn.mean(axis=1, keepdims=True) + 3))
        pooled = fit_rhythm(learn, first_slot, config.slots_per_day).at(first_slot, counts.buckets,
                                                                          config.slots_per_day)
        rhythm = own_rhythm(learn, pooled, first_slot, config.slots_per_day)
        gap = max(config.buckets(config.gap_hours), max(config.windows))
        baseline = fit_baseline(counts.matrix, rhythm, history=config.buckets(config.history_days * 24),
                                gap=gap, prior=config.buckets(config.prior_days * 24),
                                slots_per_day=config.slots_per_day)
        best_p, best_w, best_x, best_m = self._tails(counts.matrix, baseline.expected, baseline.dispersion,
                                                            baseline.clumping)
        corrected = np.minimum(best_p * len(config.windows), 1.0)
        score, eligible = corrected / config.alpha_for(best_w), best_x >= config.min_count
        cool = round(config.cooldown_hours * 3600 / config.bucket.total_seconds())
        until = calibrate_until or report_from or None
        first = best_w == 1
        self.thresholds = (self._budget(counts, score, eligible & first, cool, gap, until, FIRST_SHARE),
                           self._budget(counts, score, eligible & ~first, cool, gap, until, 1 - FIRST_SHARE))
        threshold = np.where(first, *self.thresholds)
        events = cooldown(eligible & (score < threshold), cool, strength=counts.matrix)
        return [Alert(counts.keys[s], t, counts.time(t), int(best_w[s, t]), int(best_x[s, t]),
                      round(float(best_m[s, t]), 2), float(corrected[s, t]))
                for s, t in events if t >= report_from]

    def _budget(self, counts: Counts, score: np.ndarray, eligible: np.ndarray, cool: int, gap: int,
                until: int | None, share: float) -> float:
        """The share of the threshold that keeps the calibration buckets' alerts within ``share`` of
        the budget (:mod:`detector.crises.budget`): from the baseline's first days to ``until``."""
        config = self.config
        begin, end = gap + config.buckets(CALIBRATION_SKIP_HOURS), until if until is not None else counts.buckets
        weeks = (end - begin) / config.buckets(7 * 24)
        if config.alerts_per_week <= 0 or weeks < CALIBRATION_MIN_WEEKS:
            return 1.0
        strength = counts.matrix[:, begin:end]
        return budget_threshold(score[:, begin:end], eligible[:, begin:end],
                                lambda hot: sum(1 for _ in cooldown(hot, cool, strength=strength)),
                                config.alerts_per_week * share * weeks)

    def _tails(self, matrix: np.ndarray, expected: np.ndarray, dispersion: np.ndarray,
               clumping: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per bucket, the window whose tail probability lies furthest below its threshold
        (``alpha_first`` for one bucket, else ``alpha``): p, window, posts, expected."""
        shape = matrix.shape
        best_p, best_w = np.ones(shape), np.ones(shape, dtype=np.int64)
        best_x, best_m = np.zeros(shape, dtype=np.int64), np.zeros(shape)
        best_ratio = np.full(shape, np.inf)
        for w in self.config.windows:
            x, m = trailing_sum(matrix, w), trailing_sum(expected, w)
            candidates = (x >= self.config.min_count) & (x > m)
            if not candidates.any():
                continue
            p = np.ones(shape)
            clumps = np.broadcast_to(clumping, shape)[candidates]
            p[candidates] = nb_tail(x[candidates] / clumps, m[candidates] / clumps, dispersion[candidates])
            ratio = p / self.config.alpha_for(w)
            better = ratio < best_ratio
            best_ratio[better] = ratio[better]
            best_p[better], best_w[better], best_x[better], best_m[better] = p[better], w, x[better], m[better]
        return best_p, best_w, best_x, best_m


def trailing_sum(values: np.ndarray, window: int) -> np.ndarray:
    """For each bucket t: the sum over ``(t - window, t]`` (fewer buckets at the start)."""
    cum = np.concatenate([np.zeros(values.shape[:-1] + (1,), dtype=values.dtype), np.cumsum(values, axis=-1)],
                         axis=-1)
    t = np.arange(values.shape[-1])
    return cum[..., t + 1] - cum[..., np.clip(t + 1 - window, 0, None)]


def nb_tail(count: np.ndarray, mean: np.ndarray, dispersion: np.ndarray) -> np.ndarray:
    """P(X ≥ count) for a negative binomial with this mean and 1/r = ``dispersion``; ``count``
    need not be whole (counts of clumps): the tail is the regularised incomplete beta function
    I_q(count, r), q = mean / (r + mean), which at whole counts is the distribution's own."""
    r = 1.0 / np.maximum(dispersion, 1e-6)
    mean = np.maximum(mean, 1e-6)
    return np.asarray(special.betainc(np.maximum(count, 1e-9), r, mean / (r + mean)))


def cooldown(hot: np.ndarray, buckets: int, strength: np.ndarray | None = None,
             escalate: float = 2.0) -> Iterable[tuple[int, int]]:
    """(series, bucket) of the alerts ``hot`` (series × buckets) gives when a series that alerted
    stays silent until it has been cold for ``buckets``: one event, one alert. With ``strength``
    (series × buckets: each bucket's own posts), a hot bucket in the cooldown alerts again when it
    is ``escalate`` times the event's strongest hot bucket so far: the event has escalated."""
    for s in np.flatnonzero(hot.any(axis=1)):
        last, level = -10**9, 0.0
        for t in map(int, np.flatnonzero(hot[s])):
            now = float(strength[s, t]) if strength is not None else 0.0
            if t - last > buckets or (strength is not None and now >= escalate * level):
                yield int(s), int(t)
                level = now
            level, last = max(level, now), t
