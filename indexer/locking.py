"""An advisory file lock shared by the processes of one machine: the spool's replay and the
outboxes' senders each take one, so two crawls or detects never replay or send the same lines."""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def locked(path: Path, *, wait: bool) -> Iterator[bool]:
    """An exclusive lock on ``path`` for this block: True when held; False at once when another
    process (or open file) holds it and ``wait`` is off."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
