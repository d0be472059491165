"""Scored posts read once, into what the spike detector and its explanations need, in memory that
does not grow with the number of posts (``monitor spikes --from-jsonl``).

- Counts per sector × territory and bucket (the series × buckets of the range).
- Stories: counts per cluster and bucket only for clusters seen in the last ``story_hours`` of the
  range read so far; a cluster silent for longer is dropped as the range moves on. At the end,
  :func:`~detector.crises.series.growing_stories` keeps the few that grow.
- Explanations: for each series and day, a uniform sample (reservoir) of ``per_day`` posts, cut
  to the fields an explanation shows, so an alert is explained without reading the file again.

Memory is bounded by series × buckets plus the last ``story_hours``' clusters, not by posts.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

from detector.crises.series import SeriesKey, record_time, territory_name

TEXT_CHARS = 1000  # of a sampled post's text: enough for its new words and its example line
SAMPLE_PER_DAY = 12  # posts kept per series and day for explanations


@dataclass
class SeriesStream:
    """What one pass over scored posts leaves: counts, the stories' recent counts, samples."""

    bucket: timedelta
    story_hours: float = 24.0
    per_day: int = SAMPLE_PER_DAY
    counts: Counter[tuple[SeriesKey, int]] = field(default_factory=Counter)
    stories: dict[str, Counter[int]] = field(default_factory=dict)  # cluster → slot → posts
    samples: dict[tuple[SeriesKey, int], list[dict[str, Any]]] = field(default_factory=dict)
    seen: Counter[tuple[SeriesKey, int]] = field(default_factory=Counter)
    last_slot: int | None = None
    _pruned_at: int = -(10**12)
    _rng: random.Random = field(default_factory=lambda: random.Random(1))

    @property
    def step(self) -> float:
        return self.bucket.total_seconds()

    def add_all(self, records: Iterable[Mapping[str, Any]]) -> SeriesStream:
        for record in records:
            self.add(record)
        return self

    def add(self, record: Mapping[str, Any]) -> None:
        """Count one scored post; one without a sector or a date is skipped."""
        if not record.get("sector"):
            return
        when = record_time(record)
        if when is None:
            return
        slot = math.floor(when.timestamp() / self.step)
        key = SeriesKey(str(record["sector"]), territory_name(record.get("territory")))
        self.counts[key, slot] += 1
        self._sample(key, slot, record)
        if record.get("cluster_id"):
            self._story(str(record["cluster_id"]), slot, record)
        if self.last_slot is None or slot > self.last_slot:
            self.last_slot = slot

    def cells(self) -> list[tuple[SeriesKey, datetime, int]]:
        """The sector × territory counts as ``(key, bucket start, posts)``."""
        return [(key, self.time(slot), n) for (key, slot), n in self.counts.items()]

    def story_cells(self) -> list[tuple[SeriesKey, datetime, int]]:
        """Each recent cluster's counts in the last ``story_hours`` of the range."""
        if self.last_slot is None:
            return []
        first = self.last_slot - self._story_buckets() + 1
        return [(SeriesKey(cluster=cluster), self.time(slot), n) for cluster, slots in self.stories.items()
                for slot, n in slots.items() if slot >= first]

    def sample(self, key: SeriesKey, since: datetime, until: datetime) -> list[dict[str, Any]]:
        """The sampled posts of ``key`` created in ``[since, until)``."""
        first, last = math.floor(since.timestamp() / 86400), math.floor(until.timestamp() / 86400)
        kept = (p for day in range(first, last + 1) for p in self.samples.get((key, day), ()))
        return [p for p in kept if since <= p["_when"] < until]

    def time(self, slot: int) -> datetime:
        return datetime.fromtimestamp(slot * self.step, timezone.utc)

    def _story_buckets(self) -> int:
        return max(1, round(self.story_hours * 3600 / self.step))

    def _story(self, cluster: str, slot: int, record: Mapping[str, Any]) -> None:
        self.stories.setdefault(cluster, Counter())[slot] += 1
        self._sample(SeriesKey(cluster=cluster), slot, record)
        horizon = (self.last_slot or slot) - self._story_buckets()
        if horizon - self._pruned_at >= self._story_buckets():  # once per story window read
            self._prune(horizon)

    def _prune(self, horizon: int) -> None:
        """Drop the clusters with no post after ``horizon``: none of theirs can be in the last
        story window of the range, which ends at or after the latest post read so far."""
        old = [c for c, slots in self.stories.items() if max(slots) < horizon]
        for cluster in old:
            del self.stories[cluster]
        gone = {SeriesKey(cluster=c) for c in old}
        for sampled in [k for k in self.samples if k[0] in gone]:
            del self.samples[sampled]
            self.seen.pop(sampled, None)
        self._pruned_at = horizon

    def _sample(self, key: SeriesKey, slot: int, record: Mapping[str, Any]) -> None:
        """Reservoir sampling (Algorithm R) per series and day."""
        day = math.floor(slot * self.step / 86400)
        cell = (key, day)
        self.seen[cell] += 1
        kept = self.samples.setdefault(cell, [])
        if len(kept) < self.per_day:
            kept.append(_compact(record, self.time(slot)))
        else:
            n = self._rng.randrange(self.seen[cell])
            if n < self.per_day:
                kept[n] = _compact(record, self.time(slot))


def _compact(record: Mapping[str, Any], bucket_start: datetime) -> dict[str, Any]:
    """The fields an explanation reads, the text cut to ``TEXT_CHARS``."""
    when = record_time(record) or bucket_start
    territory = record.get("territory")
    return {"id": record.get("id"), "created_at": record.get("created_at"), "source_id": record.get("source_id"),
            "url": record.get("url"), "metrics": record.get("metrics") or {},
            "text": str(record.get("text") or "")[:TEXT_CHARS],
            "territory": {"street": territory.get("street")} if isinstance(territory, Mapping) else None,
            "_when": when}

