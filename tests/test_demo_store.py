"""`monitor demo` recreates its own store (run twice, `make demo` works twice) but never erases a
store that holds crawls of other sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.sqlite.store import SqliteStore
from monitor.common import UsageError
from monitor.demo import _fresh_store


def stored(path: Path, *cursors: str) -> str:
    store = SqliteStore(path)
    for source in cursors:
        store.set_cursor(source, {"id": "1"})
    store.close()
    return f"sqlite:///{path}"


def test_the_demos_own_store_with_the_detectors_checkpoint_is_made_afresh(tmp_path: Path) -> None:
    url = stored(tmp_path / "monitor.db", "vk_governor", "~detect")
    _fresh_store(url, {"vk_governor"})
    assert not (tmp_path / "monitor.db").exists()


def test_a_store_with_other_sources_crawls_is_left_alone(tmp_path: Path) -> None:
    url = stored(tmp_path / "monitor.db", "vk_governor", "vk_real_city")
    with pytest.raises(UsageError, match="vk_real_city"):
        _fresh_store(url, {"vk_governor"})
    assert (tmp_path / "monitor.db").exists()
