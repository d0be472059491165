"""Time series of post counts: one per sector × territory (or per cluster), in fixed time buckets.

A :class:`SeriesKey` names a series; :class:`Counts` holds every series of one run as a matrix
(series × buckets, zeros where nothing was written), built from the store's
``count_buckets`` rows or from scored posts in JSON Lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from detector.exceptions import ConfigError, DataError
from indexer.store import BucketCount

BY_TERRITORY = ("sector", "municipality", "district")
BY_CLUSTER = ("cluster_id",)


@dataclass(frozen=True, slots=True)
class SeriesKey:
    """``sector`` × ``territory`` (a district, else a town, else None: not known), or ``cluster``.

    ``str(key)`` is the stable name alerts carry: ``housing:Заречный``, ``roads:*``
    (territory unknown), ``cluster:<id>``.
    """

    sector: str | None = None
    territory: str | None = None
    cluster: str | None = None

    def __str__(self) -> str:
        if self.cluster is not None:
            return f"cluster:{self.cluster}"
        return f"{self.sector or '*'}:{self.territory or '*'}"

    def as_dict(self) -> dict[str, str | None]:
        if self.cluster is not None:
            return {"cluster": self.cluster}
        return {"sector": self.sector, "territory": self.territory}

    @classmethod
    def from_row(cls, by: Sequence[str], values: Sequence[str | None]) -> SeriesKey:
        named = dict(zip(by, values, strict=True))
        if "cluster_id" in named:
            return cls(cluster=named["cluster_id"])
        return cls(named.get("sector"), named.get("district") or named.get("municipality") or named.get("street"))


def territory_name(territory: Any) -> str | None:
    """The territory a post's series is keyed by: its district, else its town, else its street;
    a plain string is taken as it is."""
    if isinstance(territory, (dict, Mapping)):  # a dict first: no ABC check per post
        for part in ("district", "municipality", "street"):
            if territory.get(part):
                return str(territory[part])
        return None
    return str(territory) if territory else None


def parse_bucket(value: str) -> timedelta:
    """``1h``, ``30m``, ``1d`` → a timedelta that divides a day."""
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if not (value[:-1].isdigit() and value[-1:] in units and int(value[:-1]) > 0):
        raise ConfigError(f"expected a bucket like 1h, 30m or 1d, got {value!r}")
    bucket = timedelta(**{units[value[-1]]: int(value[:-1])})
    if bucket > timedelta(days=1) or (86400 % bucket.total_seconds() and bucket != timedelta(days=1)):
        raise ConfigError(f"a bucket must divide a day (1h, 2h, 6h, 1d, ...), got {value!r}")
    return bucket


@dataclass
class Counts:
    """Counts of every series: ``matrix[s, t]`` posts of ``keys[s]`` in bucket ``start + t*bucket``."""

    keys: list[SeriesKey]
    start: datetime
    bucket: timedelta
    matrix: np.ndarray

    @property
    def buckets(self) -> int:
        return int(self.matrix.shape[1])

    def time(self, index: int) -> datetime:
        return self.start + index * self.bucket

    def index(self, when: datetime) -> int:
        """The bucket that holds ``when`` (may be outside the matrix)."""
        return math.floor((when - self.start) / self.bucket)

    @classmethod
    def build(cls, cells: Iterable[tuple[SeriesKey, datetime, int]], bucket: timedelta,
              since: datetime | None = None, until: datetime | None = None) -> Counts:
        """From ``(key, time in the bucket, count)``; the range runs from ``since`` (else the first
        bucket seen) to ``until`` (else the last), aligned to the Unix epoch."""
        cells = list(cells)
        step = bucket.total_seconds()
        slots = [math.floor(when.timestamp() / step) for _, when, _ in cells]
        first = math.floor(since.timestamp() / step) if since else min(slots, default=0)
        last = math.ceil(until.timestamp() / step) - 1 if until else max(slots, default=first)
        keys = sorted({key for key, _, _ in cells}, key=str)
        rows = {key: n for n, key in enumerate(keys)}
        matrix = np.zeros((len(keys), max(0, last - first + 1)), dtype=np.int64)
        for (key, _, count), slot in zip(cells, slots, strict=True):
            if first <= slot <= last:
                matrix[rows[key], slot - first] += count
        return cls(keys, datetime.fromtimestamp(first * step, timezone.utc), bucket, matrix)

    @classmethod
    def from_store_rows(cls, rows: Iterable[BucketCount], by: Sequence[str], bucket: timedelta,
                        since: datetime, until: datetime) -> Counts:
        return cls.build(((SeriesKey.from_row(by, row.key), row.start, row.count) for row in rows),
                         bucket, since, until)


def growing_stories(cells: Iterable[tuple[SeriesKey, datetime, int]], until: datetime, *, hours: float,
                    stories: int, min_count: int) -> list[tuple[SeriesKey, datetime, int]]:
    """The cells of the ``stories`` clusters that grow most at the end of the range: of those with
    posts in the last ``hours`` before ``until``, the ones whose last quarter of it holds at least
    ``min_count`` posts and half as many again per hour as the rest, most posts in that quarter first.

    A story is a series only while it grows: one series per cluster ever seen would grow with the
    posts (most clusters are a single post, which can never be a spike)."""
    cells = [cell for cell in cells if cell[1] >= until - timedelta(hours=hours)]
    recent_from = until - timedelta(hours=hours / 4)
    recent: dict[SeriesKey, int] = {}
    before: dict[SeriesKey, int] = {}
    for key, when, count in cells:
        side = recent if when >= recent_from else before
        side[key] = side.get(key, 0) + count
    growing = [key for key, n in recent.items() if n >= min_count and n > before.get(key, 0) / 2]
    chosen = set(sorted(growing, key=lambda k: (-recent[k], str(k)))[:stories])
    return [cell for cell in cells if cell[0] in chosen]


def record_time(record: Mapping[str, Any]) -> datetime | None:
    """A scored post's ``created_at`` (ISO 8601, ``Z`` or no zone: UTC); None without one."""
    value = record.get("created_at")
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value if isinstance(value, str) else str(value))
    except ValueError as exc:
        raise DataError(f"post {record.get('id')!r}: created_at {value!r} is not an ISO 8601 time") from exc
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
