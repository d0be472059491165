"""Row keys in creation order: a stored post's rowid says when the post was created.

The table, every index (an index entry ends in its row's rowid) and the full-text index (its
lists of rows run in rowid order) then hold posts oldest to newest, so "the newest 20 posts with
this word, from this page, on this platform" reads 20 rows backwards from the end and stops,
instead of sorting every match. A key is the creation time in whole milliseconds times
:data:`PER_MS`, plus a count within that millisecond (posts created in the same millisecond are
listed newest-stored first); posts without a creation time get keys below every dated one, where
``ORDER BY created_at DESC`` puts them too.
"""

from __future__ import annotations

import math
from typing import Iterable

PER_MS = 1 << 20  # keys in one millisecond
MS_LIMIT = 8_700_000_000_000  # ±275 years around 1970 fit in 64 bits; times beyond share the edge
DATED = -MS_LIMIT * PER_MS  # the first key of a dated post
UNDATED = -(1 << 63) + 1  # keys from here up to DATED: posts without a creation time


def region(created_at: float | None) -> tuple[int, int]:
    """The keys a post created at ``created_at`` (a Unix time; None: unknown) may take: [start, end)."""
    if created_at is None:
        return UNDATED, DATED
    start = min(max(math.floor(created_at * 1000), -MS_LIMIT), MS_LIMIT) * PER_MS
    return start, start + PER_MS


def lowest(moment: float) -> int:
    """No post created at or after ``moment`` has a key below this."""
    return region(moment)[0]


def beyond(moment: float) -> int:
    """Every post created before ``moment`` has a key below this."""
    return region(moment)[1]


def assign(regions: Iterable[tuple[int, int]], taken: dict[int, int]) -> list[int | None]:
    """Keys for new posts in the given regions, each after the last key taken in its region
    (``taken``: region start → that key, updated here); None where a region is full."""
    keys: list[int | None] = []
    for start, end in regions:
        key = taken[start] + 1 if start in taken else start
        if key >= end:
            keys.append(None)
            continue
        taken[start] = key
        keys.append(key)
    return keys
