"""Scored posts read once, into what the spike detector and its explanations need, in memory that
does not grow with the number of posts (``monitor spikes --from-jsonl``).

- Counts per sector × territory and bucket (the series × buckets of the range).
- Stories: counts per cluster and bucket only for clusters seen in the last ``story_hours`` of the
  range read so far; a cluster silent for longer is dropped as the range moves on. At the end,
  :func:`~detector.crises.series.growing_stories` keeps the few that grow.
- Explanations: for each series and day, and for each story, a uniform sample (reservoir) of
  ``per_day`` posts, so an alert is explained without reading the file again.

Memory is bounded by series × buckets plus the last ``story_hours``' clusters, not by posts.
Series are plain tuples while counting (a dataclass key would be hashed in Python a million times).
"""

from __future__ import annotations

import gc
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

from detector.crises.series import SeriesKey, record_time, territory_name

SAMPLE_PER_DAY = 12  # posts kept per series and day (and per story) for explanations

Sample = list[Any]  # [posts seen, [(time, record), ...]]: one reservoir


class _Story:
    """One cluster read lately: its latest bucket, its posts per bucket, its sample."""

    __slots__ = ("last", "slots", "sample")

    def __init__(self, slot: int) -> None:
        self.last = slot
        self.slots: dict[int, int] = {}
        self.sample: Sample = [0, []]


@dataclass
class SeriesStream:
    """What one pass over scored posts leaves: counts, the stories' recent counts, samples."""

    bucket: timedelta
    story_hours: float = 24.0
    per_day: int = SAMPLE_PER_DAY
    last_slot: int | None = None
    _counts: dict[tuple[str, str | None, int], int] = field(default_factory=dict)
    _samples: dict[tuple[str, str | None, int], Sample] = field(default_factory=dict)
    _stories: dict[str, _Story | tuple[int, datetime, Mapping[str, Any]]] = field(default_factory=dict)
    _pruned_at: int = -(10**12)
    _rng: random.Random = field(default_factory=lambda: random.Random(1))
    step: float = field(init=False)
    story_buckets: int = field(init=False)

    def __post_init__(self) -> None:
        self.step = self.bucket.total_seconds()
        self.story_buckets = max(1, round(self.story_hours * 3600 / self.step))

    def add_all(self, records: Iterable[Mapping[str, Any]]) -> SeriesStream:
        """Count every record. The cyclic garbage collector is paused meanwhile: a million parsed
        posts are a million new containers for it to scan again and again (a third of the pass's
        time), and the pass makes no cycles, so reference counting frees all it drops."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            for record in records:
                self.add(record)
        finally:
            if enabled:
                gc.enable()
        return self

    def add(self, record: Mapping[str, Any]) -> None:
        """Count one scored post; one without a sector or a date is skipped."""
        sector = record.get("sector")
        when = record_time(record) if sector else None
        if when is None:
            return
        seconds = when.timestamp()
        slot = math.floor(seconds / self.step)
        series = (str(sector), territory_name(record.get("territory")))
        cell = (*series, slot)
        self._counts[cell] = self._counts.get(cell, 0) + 1
        day = (*series, math.floor(seconds / 86400))
        self._keep(self._samples.get(day) or self._samples.setdefault(day, [0, []]), when, record)
        if record.get("cluster_id"):
            self._story(str(record["cluster_id"]), slot, when, record)
        if self.last_slot is None or slot > self.last_slot:
            self.last_slot = slot
            if slot - self.story_buckets - self._pruned_at >= self.story_buckets:  # once per story window
                self._prune(slot - self.story_buckets)

    def cells(self) -> list[tuple[SeriesKey, datetime, int]]:
        """The sector × territory counts as ``(key, bucket start, posts)``."""
        return [(SeriesKey(sector, territory), self.time(slot), n)
                for (sector, territory, slot), n in self._counts.items()]

    def story_cells(self) -> list[tuple[SeriesKey, datetime, int]]:
        """Each recent cluster's counts in the last ``story_hours`` of the range (one post: none,
        it cannot grow)."""
        if self.last_slot is None:
            return []
        first = self.last_slot - self.story_buckets + 1
        return [(SeriesKey(cluster=cluster), self.time(slot), n) for cluster, story in self._stories.items()
                if isinstance(story, _Story) and story.last >= first for slot, n in story.slots.items()
                if slot >= first]

    def sample(self, key: SeriesKey, since: datetime, until: datetime) -> list[Mapping[str, Any]]:
        """The sampled posts of ``key`` created in ``[since, until)``."""
        if key.cluster is not None:
            story = self._stories.get(key.cluster)
            kept = story.sample[1] if isinstance(story, _Story) else []
        else:
            first, last = math.floor(since.timestamp() / 86400), math.floor(until.timestamp() / 86400)
            kept = [p for day in range(first, last + 1)
                    for p in self._samples.get((str(key.sector), key.territory, day), [0, []])[1]]
        return [record for when, record in kept if since <= when < until]

    def time(self, slot: int) -> datetime:
        return datetime.fromtimestamp(slot * self.step, timezone.utc)

    def _story(self, cluster: str, slot: int, when: datetime, record: Mapping[str, Any]) -> None:
        """Most clusters are one post: it is held as it is, and a story is built at the second."""
        story = self._stories.get(cluster)
        if story is None:
            self._stories[cluster] = (slot, when, record)
        else:
            if isinstance(story, tuple):
                first, first_when, first_record = story
                story = self._stories[cluster] = _Story(first)
                story.slots[first] = 1
                self._keep(story.sample, first_when, first_record)
            story.slots[slot] = story.slots.get(slot, 0) + 1
            story.last = max(story.last, slot)
            self._keep(story.sample, when, record)

    def _prune(self, horizon: int) -> None:
        """Drop the clusters with no post after ``horizon``: none of theirs can be in the last
        story window of the range, which ends at or after the latest post read so far."""
        self._stories = {c: story for c, story in self._stories.items()
                         if (story[0] if isinstance(story, tuple) else story.last) >= horizon}
        self._pruned_at = horizon

    def _keep(self, sample: Sample, when: datetime, record: Mapping[str, Any]) -> None:
        """Reservoir sampling (Algorithm R); the record is kept as it was read."""
        sample[0] += 1
        kept = sample[1]
        if len(kept) < self.per_day:
            kept.append((when, record))
        elif (n := self._rng.random() * sample[0]) < self.per_day:  # uniform in [0, per_day) when it is
            kept[int(n)] = (when, record)
