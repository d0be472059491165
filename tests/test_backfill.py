"""Backfill: a first crawl says what it left behind its window, and `monitor crawl --since` brings
those posts in after the cursor has moved on."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from tests.conftest import Crawler

SOURCES = ("vk_governor", "tg_chp", "rss_gov")


def stored_ids(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT id FROM posts WHERE kind = 'post'")}


def test_a_backfill_reads_what_the_first_window_left_behind_the_cursor(site, tmp_path: Path) -> None:
    (tmp_path / "wide").mkdir()
    wide = Crawler(site, tmp_path / "wide")
    assert wide(*SOURCES, CRAWLER_FIRST_CRAWL_DAYS=60).returncode == 0
    everything = stored_ids(wide.store_path)

    narrow = Crawler(site, tmp_path / "narrow")
    first = narrow(*SOURCES, CRAWLER_FIRST_CRAWL_DAYS=1)
    assert first.returncode == 0, first.output
    in_window = stored_ids(narrow.store_path)
    assert in_window and len(in_window) < len(everything)
    said = re.search(r"older than the first crawl's window, not read: (.*) \(`monitor crawl --since", first.output)
    assert said is not None, first.output
    assert "vk_governor" in said.group(1) and "tg_chp" in said.group(1)

    site.control("reset")
    again = narrow(*SOURCES, CRAWLER_FIRST_CRAWL_DAYS=1)  # the cursor has moved: nothing older comes
    assert again.returncode == 0 and stored_ids(narrow.store_path) == in_window
    assert "older than the first crawl's window" not in again.output

    site.control("reset")
    backfill = narrow(*SOURCES, CRAWLER_FIRST_CRAWL_DAYS=1, options=["--since", "60d"])
    assert backfill.returncode == 0, backfill.output
    assert stored_ids(narrow.store_path) == everything


def test_a_backfill_start_that_is_not_a_date_is_refused_by_name(crawl) -> None:
    result = crawl("tg_chp", options=["--since", "last spring"])
    assert result.returncode == 2 and "--since" in result.output and "Traceback" not in result.output
    result = crawl("tg_chp", CRAWLER_BACKFILL_SINCE="last spring")
    assert result.returncode == 2 and "CRAWLER_BACKFILL_SINCE" in result.output, result.output
    assert "Traceback" not in result.output
