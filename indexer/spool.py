"""A durable spool: posts a store did not take wait here, in order, until it takes them.

Each failed batch becomes one JSON Lines file, written, flushed and fsync'd before the writer goes
on; replay reads the files oldest first and deletes each only after the store took all of it. So a
store outage in the middle of a crawl loses nothing, and a crash during replay repeats at most one
batch (upserts make that harmless). One replay runs at a time per directory, across threads and
processes (an advisory file lock), since parallel crawls share the spool. Items a store refuses for good (a mapping conflict, say) are
not replayed: they are kept in ``rejected/`` with the store's reason, for a person to look at.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

from indexer.exceptions import StoreUnavailable
from indexer.schema import Post

if TYPE_CHECKING:
    from indexer.store import Store

logger = logging.getLogger(__name__)


class Spool:
    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self._seq = 0

    def append(self, posts: Sequence[Post]) -> Path:
        return self._write(self.directory, [post.to_dict() for post in posts])

    def reject(self, rejected: Sequence[tuple[Post, str]]) -> Path:
        """Keep items the store refused for good, each with the reason, out of the replay."""
        return self._write(self.directory / "rejected",
                           [{**post.to_dict(), "_rejected": reason} for post, reason in rejected])

    def _write(self, directory: Path, records: list[dict[str, object]]) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        self._seq += 1
        path = directory / f"{time.time_ns():020d}-{os.getpid()}-{self._seq:06d}.jsonl"
        _dump(path, records)
        return path

    def files(self) -> list[Path]:
        return sorted(self.directory.glob("*.jsonl")) if self.directory.exists() else []

    def pending(self) -> int:
        """Posts waiting in the spool."""
        return sum(len(self._read(path)) for path in self.files())

    @staticmethod
    def _read(path: Path) -> list[Post]:
        with path.open(encoding="utf-8") as f:
            return [Post.from_dict(json.loads(line)) for line in f if line.strip()]

    def replay(self, store: Store, *, wait: bool = False) -> int:
        """Move spooled posts into ``store``, oldest file first; stop at the first failure.

        Returns how many posts the store took; :meth:`files` is empty afterwards exactly when
        everything was moved. If another replay holds the lock, returns 0 at once (or, with
        ``wait``, waits for it and then replays what is left).
        """
        with self._lock(wait) as locked:
            return self._replay(store) if locked else 0

    def _replay(self, store: Store) -> int:
        moved = 0
        for path in self.files():
            try:
                posts = self._read(path)
            except FileNotFoundError:
                continue
            try:
                result = store.upsert(posts)
            except StoreUnavailable as exc:
                logger.warning("spool replay stopped at %s: %s", path.name, exc)
                break
            if result.rejected:
                self.reject(result.rejected)
            if result.transient:  # keep what failed for now in place of the file, and stop
                _dump(path, [post.to_dict() for post in result.transient])
                moved += len(posts) - len(result.transient) - len(result.rejected)
                logger.warning("spool replay stopped at %s: %d items still refused", path.name,
                               len(result.transient))
                break
            path.unlink()
            moved += len(posts) - len(result.rejected)
        return moved

    @contextmanager
    def _lock(self, wait: bool) -> Iterator[bool]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".replay.lock", "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _dump(path: Path, records: Sequence[dict[str, object]]) -> None:
    """Write ``records`` as JSON Lines to ``path`` all at once: flushed, fsync'd, then renamed."""
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
