"""A crawl killed with SIGKILL half-way, then crawled again: nothing missing, nothing twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, Crawler

SOURCES = ["vk_governor", "vk_admin", "tg_chp"]


def stored(path: Path) -> int:
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        try:
            return db.execute("SELECT count(*) FROM posts").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def rows(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT id, text FROM posts ORDER BY id").fetchall()


def test_killed_crawl_resumes_without_loss_or_duplicates(site, tmp_path):
    reference = Crawler(site, tmp_path / "reference")
    (tmp_path / "reference").mkdir()
    full = reference(*SOURCES)
    assert full.returncode == 0 and stored(reference.store_path) > 400

    victim = Crawler(site, tmp_path / "victim")
    (tmp_path / "victim").mkdir()
    args = [sys.executable, "-m", "monitor", "crawl", "--source", *SOURCES,
            "--store", f"sqlite:///{victim.store_path}", "-s", f"WATCHLIST_BASE_URL={site.base}",
            "-s", f"VK_API_URL={site.base}/vk/method/", "-s", f"TELEGRAM_BASE_URL={site.base}/tg/",
            "-s", "VK_TOKENS=t1", "-s", "VK_REQUESTS_PER_SECOND=8", "-s", "TELEGRAM_REQUESTS_PER_SECOND=8",
            "-s", "INDEXER_BATCH_SIZE=20", "-s", f"INDEXER_SPOOL_DIR={tmp_path / 'spool'}",
            "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CRAWLER_ALLOW_NETWORKS=127.0.0.0/8"]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while stored(victim.store_path) < 100 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the crawl ended before it could be killed: slow it down"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    half = stored(victim.store_path)
    assert 100 <= half < stored(reference.store_path)

    site.control("reset")
    resumed = victim(*SOURCES)
    assert resumed.returncode == 0, resumed.output
    assert rows(victim.store_path) == rows(reference.store_path)
