"""Whether a point is inside a district's outline (ray casting over the polygon's edges)."""

from __future__ import annotations

from typing import Sequence


def contains(outline: Sequence[tuple[float, float]], point: tuple[float, float]) -> bool:
    """``outline``: (lat, lon) vertices of a closed ring, the first not repeated at the end."""
    lat, lon = point
    inside = False
    j = len(outline) - 1
    for i, (lat_i, lon_i) in enumerate(outline):
        lat_j, lon_j = outline[j]
        if (lon_i > lon) != (lon_j > lon) and lat < (lat_j - lat_i) * (lon - lon_i) / (lon_j - lon_i) + lat_i:
            inside = not inside
        j = i
    return inside
