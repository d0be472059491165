"""A durable spool: posts a store did not take wait here, in order, until it takes them.

Each failed batch becomes one JSON Lines file, written, flushed and fsync'd before the writer goes
on; replay reads the files oldest first and deletes each only after the store took all of it. So a
store outage in the middle of a crawl loses nothing, and a crash during replay repeats at most one
batch (upserts make that harmless).
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

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
        self.directory.mkdir(parents=True, exist_ok=True)
        self._seq += 1
        path = self.directory / f"{time.time_ns():020d}-{os.getpid()}-{self._seq:06d}.jsonl"
        tmp = path.with_suffix(".part")
        with tmp.open("w", encoding="utf-8") as f:
            for post in posts:
                f.write(json.dumps(post.to_dict(), ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        tmp.rename(path)
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

    def replay(self, store: Store) -> int:
        """Move spooled posts into ``store``, oldest file first; stop at the first failure."""
        moved = 0
        for path in self.files():
            posts = self._read(path)
            try:
                store.upsert(posts)
            except StoreUnavailable as exc:
                logger.warning("spool replay stopped at %s: %s", path.name, exc)
                break
            path.unlink()
            moved += len(posts)
        return moved
