"""The spool on real files into a real SQLite store: a file it cannot read whole does not stop it."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from indexer.schema import Post
from indexer.spool import Spool
from indexer.sqlite.store import SqliteStore
from indexer.store import Query


def post(number: int) -> Post:
    return Post(id=f"vk:-1:{number}", platform="vk", source_id="vk_x", kind="post", text=f"Нет воды {number}",
                created_at=datetime(2026, 11, 20, 9, number, tzinfo=timezone.utc))


def line(number: int) -> bytes:
    return json.dumps(post(number).to_dict(), ensure_ascii=False).encode() + b"\n"


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "monitor.db")


def stored(store: SqliteStore) -> list[str]:
    return sorted(p.id for p in store.search(Query(limit=100)))


def spool_with(tmp_path: Path, damaged: bytes) -> tuple[Spool, Path]:
    """Three files in replay order: posts 1-2, the damaged one, posts 5-6."""
    spool = Spool(tmp_path / "spool")
    first = spool.append([post(1), post(2)])
    middle = first.with_name(first.name.replace("-", "5-", 1))  # sorts between the other two
    middle.write_bytes(damaged)
    spool.append([post(5), post(6)])
    assert spool.files()[1] == middle
    return spool, middle


@pytest.mark.parametrize("damaged, readable, problem", [
    (line(3) + line(4)[:40], ["vk:-1:3"], "line 2: JSONDecodeError"),  # cut short by a full disk
    (b"\x00\xff\xfe garbage\n", [], "line 1: UnicodeDecodeError"),
    (line(3) + b'{"id": "vk:-1:4"}\n' + line(4), ["vk:-1:3", "vk:-1:4"], "line 2: TypeError"),  # no text
    (b"[1, 2]\n", [], "line 1: AttributeError"),
])
def test_a_damaged_spool_file_is_moved_aside_and_every_other_file_replays(
        tmp_path: Path, store: SqliteStore, damaged: bytes, readable: list[str], problem: str) -> None:
    spool, middle = spool_with(tmp_path, damaged)
    assert spool.replay(store) == 4 + len(readable)
    assert stored(store) == sorted(["vk:-1:1", "vk:-1:2", "vk:-1:5", "vk:-1:6", *readable])
    assert spool.files() == []
    aside = tmp_path / "spool" / "quarantine" / middle.name
    assert aside.read_bytes() == damaged  # as it was, for a person to look at
    reason = aside.with_name(aside.name + ".reason").read_text(encoding="utf-8")
    assert reason.startswith(problem)
    assert [(q.path, q.kept) for q in spool.quarantined] == [(aside, len(readable))]


def test_the_readable_posts_of_a_damaged_file_keep_its_place_while_the_store_is_down(
        tmp_path: Path, store: SqliteStore) -> None:
    spool, middle = spool_with(tmp_path, line(3) + b"{broken\n")
    refusing(tmp_path / "monitor.db", True)
    assert spool.replay(store) == 0
    assert len(spool.quarantined) == 0 and spool.pending() == 5  # stopped at the first file: nothing read yet
    refusing(tmp_path / "monitor.db", False)
    assert spool.replay(store) == 5 and spool.files() == []
    assert len(spool.quarantined) == 1 and spool.quarantined[0].kept == 1
    assert stored(store) == ["vk:-1:1", "vk:-1:2", "vk:-1:3", "vk:-1:5", "vk:-1:6"]


def refusing(path: Path, on: bool) -> None:
    """The store's file refuses new posts (as a full disk would), or takes them again."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TRIGGER refuse BEFORE INSERT ON posts BEGIN SELECT RAISE(ABORT, 'disk full'); END"
                   if on else "DROP TRIGGER refuse")


def test_pending_counts_the_readable_posts_of_a_damaged_file(tmp_path: Path) -> None:
    spool, _ = spool_with(tmp_path, line(3) + b"\xff\n")
    assert spool.pending() == 5
