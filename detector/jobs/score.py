"""``score_stream``: JSON Lines in, the same lines with their scores out (``monitor score``).

One output line per input line, in order; a line that is not a JSON object with ``text`` comes
out as ``{"error": ...}`` so line numbers still match. Lines are scored in batches, since the
models cost about as much for one text as for hundreds.
"""

from __future__ import annotations

import json
from typing import IO, TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from detector.scoring import Detector

BATCH = 256


def score_stream(detector: Detector, lines: IO[str], out: IO[str], batch: int = BATCH) -> int:
    """Score ``lines`` to ``out`` in order; returns how many lines were read."""
    count = 0
    for chunk in _chunks(lines, batch):
        records, errors = [], {}
        for n, line in enumerate(chunk):
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or "text" not in record:
                    raise ValueError("expected an object with at least 'id' and 'text'")
            except ValueError as exc:
                errors[n] = {"error": f"line {count + n + 1}: {exc}"}
                record = {"text": ""}
            records.append(record)
        scored = detector.score_many(records)
        for n, result in enumerate(scored):
            out.write(json.dumps(errors.get(n, result), ensure_ascii=False) + "\n")
        count += len(chunk)
    return count


def _chunks(lines: IO[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for line in lines:
        if not line.strip():
            continue
        chunk.append(line)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
