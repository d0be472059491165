"""What every part of the Elasticsearch double shares: its error, document field access, dates and durations."""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from typing import Any

from tests.support.http_double import Response

LONG_MAX = 2**63 - 1  # the sort value Elasticsearch gives a missing date or number sorted last (ascending)
LONG_MIN = -(2**63)


class EsError(Exception):
    """An error answer, in Elasticsearch's shape: ``{"error": {"root_cause", "type", "reason"}, "status"}``."""

    def __init__(self, status: int, kind: str, reason: str, *, wrapped_in: str | None = None,
                 **extra: Any) -> None:
        super().__init__(reason)
        self.status, self.kind, self.reason, self.wrapped_in, self.extra = status, kind, reason, wrapped_in, extra

    def response(self) -> Response:
        cause = {"type": self.kind, "reason": self.reason, **self.extra}
        if self.wrapped_in is None:
            return Response(self.status, {"error": {"root_cause": [cause], **cause}, "status": self.status})
        # Errors raised while searching shards come wrapped, with the cause as root_cause and caused_by.
        return Response(self.status, {"error": {"root_cause": [cause], "type": self.wrapped_in,
                                                "reason": "all shards failed", "phase": "query", "grouped": True,
                                                "failed_shards": [], "caused_by": cause},
                                      "status": self.status})


def error(status: int, kind: str, reason: str) -> Response:
    return EsError(status, kind, reason).response()


def get(doc: dict[str, Any], dotted: str) -> Any:
    value: Any = doc
    for part in dotted.split("."):
        if isinstance(value, list):
            value = [v.get(part) for v in value if isinstance(v, dict)]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def values(doc: dict[str, Any], dotted: str) -> list[Any]:
    """A field's values in a document: none, one, or many for an array."""
    value = doc.get(dotted) if "." not in dotted else get(doc, dotted)
    if value is None:
        return []
    if isinstance(value, list):
        flat: list[Any] = []
        for item in value:
            flat.extend(item if isinstance(item, list) else [item])
        return [v for v in flat if v is not None]
    return [value]


def timestamp(value: Any) -> float | None:
    """Seconds since the epoch of a date as documents and requests write it (ISO 8601 or epoch millis)."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) / 1000.0
    return _text_timestamp(str(value))


@functools.lru_cache(maxsize=1 << 18)  # the same dates are read again by every search that sorts or filters on them
def _text_timestamp(text: str) -> float:
    if text.lstrip("-").isdigit():
        return int(text) / 1000.0
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


def millis(value: Any) -> int | None:
    """A date as Elasticsearch keeps it: whole milliseconds since the epoch."""
    seconds = timestamp(value)
    return None if seconds is None else round(seconds * 1_000_000) // 1000


def iso_millis(value: int) -> str:
    return datetime.fromtimestamp(value / 1000, timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def flatten(properties: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """Dotted field name → its mapping, with multi-fields (``text.keyword``) pointing at their parent."""
    fields: dict[str, dict[str, Any]] = {}
    for name, spec in properties.items():
        dotted = f"{prefix}{name}"
        if "properties" in spec:
            fields.update(flatten(spec["properties"], f"{dotted}."))
            continue
        fields[dotted] = spec
        for sub, sub_spec in (spec.get("fields") or {}).items():
            fields[f"{dotted}.{sub}"] = {**sub_spec, "_parent": dotted}
    return fields


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` merged into a copy of ``base``: objects merge key by key, anything else is replaced
    (how templates compose and how a partial update's ``doc`` applies)."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


UNITS = {"nanos": 1e-9, "micros": 1e-6, "ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(value: str) -> float:
    """Seconds in a time value (``30s``, ``1m``, ``500ms``), as ``keep_alive`` takes it."""
    text = str(value).strip()
    for unit in sorted(UNITS, key=len, reverse=True):
        if text.endswith(unit) and text[:-len(unit)].replace(".", "", 1).isdigit():
            return float(text[:-len(unit)]) * UNITS[unit]
    raise EsError(400, "illegal_argument_exception", f"failed to parse setting [keep_alive] with value [{value}] "
                                                     "as a time value: unit is missing or unrecognized")


def interval_seconds(interval: str) -> int:
    """A histogram interval in seconds: fixed (``3600s``, ``1h``) or a calendar unit of fixed length."""
    named = {"minute": "1m", "hour": "1h", "day": "1d", "week": "1w"}
    interval = named.get(interval, interval)
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    for unit in ("ms", "s", "m", "h", "d", "w"):
        if interval.endswith(unit) and interval[:-len(unit)].isdigit():
            return int(int(interval[:-len(unit)] or 1) * units[unit])
    raise EsError(400, "illegal_argument_exception", f"the test double does not serve interval [{interval}]")
