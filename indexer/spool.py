"""A durable spool: posts a store did not take wait here, in order, until it takes them.

Each failed batch becomes one JSON Lines file, written, flushed and fsync'd before the writer goes
on; replay reads the files oldest first and deletes each only after the store took all of it. So a
store outage in the middle of a crawl loses nothing, and a crash during replay repeats at most one
batch (upserts make that harmless). One replay runs at a time per directory, across threads and
processes (an advisory file lock), since parallel crawls share the spool. Items a store refuses
for good (a mapping conflict, say) are not replayed: they are kept in ``rejected/`` with the
store's reason, for a person to look at.

A file that cannot be read whole (cut short by a full disk, damaged, edited by hand) does not stop
the replay: it is moved to ``quarantine/`` as it was, with a ``.reason`` file naming each bad line,
and the posts it still holds stay in the spool in its place, so the files after it replay and
nothing readable is lost.

Items of an author or post on the exclusion list (``monitor forget``) are dropped at replay.
Erasure and retention reach into it too: :meth:`Spool.remove` takes the items a test picks out
of every file (waiting, ``rejected/``, ``quarantine/``) under the replay's lock, and
:meth:`Spool.expire` deletes the files of ``rejected/`` and ``quarantine/`` older than a time.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from indexer.erasure import Exclusions
from indexer.exceptions import StoreUnavailable
from indexer.locking import locked
from indexer.schema import Post

if TYPE_CHECKING:
    from datetime import datetime

    from indexer.store import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Quarantined:
    """A spool file moved aside unread: where it is now, and what was wrong with it."""

    path: Path
    problems: tuple[str, ...]
    kept: int  # its readable posts, left in the spool


class Spool:
    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.quarantined: list[Quarantined] = []  # files this spool moved aside, oldest first
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
        """Posts waiting in the spool (the readable ones)."""
        return sum(len(_read(path)[0]) for path in self.files())

    def replay(self, store: Store, *, wait: bool = False) -> int:
        """Move spooled posts into ``store``, oldest file first; stop at the first failure.

        Returns how many posts the store took; :meth:`files` is empty afterwards exactly when
        everything was moved. If another replay holds the lock, returns 0 at once (or, with
        ``wait``, waits for it and then replays what is left).
        """
        with locked(self.directory / ".replay.lock", wait=wait) as mine:
            return self._replay(store) if mine else 0

    def _replay(self, store: Store) -> int:
        moved = 0
        try:
            exclusions = Exclusions.of(store.erasures()) if self.files() else Exclusions()
        except StoreUnavailable as exc:
            logger.warning("spool replay stopped before it began: %s", exc)
            return 0
        for path in self.files():
            try:
                posts, problems = _read(path)
            except FileNotFoundError:
                continue
            if problems:
                self._quarantine(path, posts, problems)
                if not posts:
                    continue
            if exclusions:  # collected while the exclusion list could not be read
                posts = [post for post in posts if exclusions.excludes(post) is None]
                if not posts:
                    path.unlink()
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

    def remove(self, match: Callable[[dict[str, Any]], bool], *, raw: Sequence[str] = ()) -> int:
        """Take out of every file the items ``match`` picks (each as its JSON object), and in
        ``quarantine/`` also the lines that cannot be read but hold one of the ``raw`` strings;
        returns how many went. Holds the replay's lock, so no replay stores them meanwhile."""
        removed = 0
        if not self.directory.exists():
            return 0
        with locked(self.directory / ".replay.lock", wait=True):
            for folder in (self.directory, self.directory / "rejected", self.directory / "quarantine"):
                for path in sorted(folder.glob("*.jsonl")) if folder.exists() else []:
                    removed += _remove_lines(path, match, raw)
        return removed

    def expire(self, before: datetime) -> int:
        """Delete the files of ``rejected/`` and ``quarantine/`` written before ``before`` (their
        names start with the time they were written); how many went. Waiting items stay."""
        limit = int(before.timestamp() * 1e9)
        gone = 0
        for folder in (self.directory / "rejected", self.directory / "quarantine"):
            for path in sorted(folder.glob("*.jsonl*")) if folder.exists() else []:
                written = path.name.split("-", 1)[0]
                if written.isdigit() and int(written) < limit:
                    path.unlink(missing_ok=True)
                    gone += path.suffix == ".jsonl"
        return gone

    def _quarantine(self, path: Path, posts: list[Post], problems: list[str]) -> None:
        """Move ``path`` aside as it is, with its reasons; its readable ``posts`` take its place."""
        aside = self.directory / "quarantine" / path.name
        aside.parent.mkdir(parents=True, exist_ok=True)
        aside.with_name(aside.name + ".reason").write_text("\n".join(problems) + "\n", encoding="utf-8")
        path.replace(aside)
        if posts:
            _dump(path, [post.to_dict() for post in posts])
        self.quarantined.append(Quarantined(aside, tuple(problems), len(posts)))
        logger.error("spool file %s cannot be read whole (%s%s): moved to %s; its %d readable items stay in "
                     "the spool", path.name, problems[0], f" and {len(problems) - 1} more" if len(problems) > 1
                     else "", aside, len(posts))


def _read(path: Path) -> tuple[list[Post], list[str]]:
    """The posts of a spool file, and what is wrong with each line that is not one."""
    posts: list[Post] = []
    problems: list[str] = []
    for number, line in enumerate(path.read_bytes().splitlines(), 1):
        if not line.strip():
            continue
        try:
            posts.append(Post.from_dict(json.loads(line.decode("utf-8"))))
        except (UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError) as exc:
            problems.append(f"line {number}: {type(exc).__name__}: {exc}")
    return posts, problems


def _remove_lines(path: Path, match: Callable[[dict[str, Any]], bool], raw: Sequence[str]) -> int:
    """Rewrite ``path`` without the lines ``match`` picks (or, unreadable, that hold a ``raw``
    string); how many lines went. A file left empty is deleted."""
    kept: list[bytes] = []
    removed = 0
    for line in path.read_bytes().splitlines():
        try:
            record = json.loads(line.decode("utf-8"))
            picked = isinstance(record, dict) and match(record)
        except (UnicodeDecodeError, ValueError):
            text = line.decode("utf-8", "replace")
            picked = any(value in text for value in raw)
        if picked:
            removed += 1
        elif line.strip():
            kept.append(line)
    if not removed:
        return 0
    if not kept:
        path.unlink()
        return removed
    tmp = path.with_suffix(".part")
    with tmp.open("wb") as f:
        f.write(b"\n".join(kept) + b"\n")
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    return removed


def _dump(path: Path, records: Sequence[dict[str, object]]) -> None:
    """Write ``records`` as JSON Lines to ``path`` all at once: flushed, fsync'd, then renamed."""
    tmp = path.with_suffix(".part")
    # 0600: a spool file holds posts with their authors (personal data), for this user only
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
