"""``scrapyd-deploy`` builds an egg that runs: real crawls from the egg alone, as scrapyd runs them.

The egg is built by ``scrapyd-deploy --build-egg`` in a copy of the project (the build writes
``build/`` and an ``.egg-info`` beside ``setup.py``), then run as a scrapyd job
(tests/support/scrapyd_job.py): scrapyd's runner, a working directory that holds only scrapyd's
egg storage, no checkout on ``sys.path``. Every file a crawl reads must then be inside the egg
and be read through ``importlib.resources``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from indexer.sqlite.store import SqliteStore
from indexer.store import Query
from replay.process import ReplayProcess
from tests.support.es_double import ElasticsearchDouble

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("scrapyd_client") is None or importlib.util.find_spec("scrapyd") is None,
    reason="scrapyd-client (scrapyd-deploy) and scrapyd (its runner) are not installed: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parent.parent
JOB = Path(__file__).with_name("support") / "scrapyd_job.py"
PROJECT, VERSION = "crawler", "r1"  # scrapy.cfg's [deploy] project; any version
NOT_COPIED = (".git", ".venv", "var", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis",
              ".ruff_cache", ".mypy_cache", "*.db", "*.db-*")
IN_EGG = ("crawler", "detector", "indexer", "watchlists")


@dataclass
class Job:
    returncode: int
    stdout: str
    stderr: str
    egg: Path  # where scrapyd's egg storage kept it

    def printed(self, label: str) -> Any:
        """What the job printed as JSON after ``label:``."""
        line = next(line for line in self.stdout.splitlines() if line.startswith(f"{label}: "))
        return json.loads(line.removeprefix(f"{label}: "))

    def stats(self) -> dict[str, int]:
        """The crawl's numeric stats, from the dump Scrapy logs when the spider closes."""
        dump = self.stderr.partition("Dumping Scrapy stats:")[2].partition("\n20")[0]
        return {key: int(value) for key, value in re.findall(r"'([^']+)': (\d+)[,}]", dump)}


@pytest.fixture(scope="module")
def egg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT, project, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*NOT_COPIED))
    egg = tmp_path_factory.mktemp("egg") / f"{PROJECT}.egg"
    build = subprocess.run([sys.executable, "-m", "scrapyd_client.deploy", f"--build-egg={egg}"], cwd=project,
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0 and egg.is_file(), build.stdout + build.stderr
    return egg


def run_job(egg: Path, workdir: Path, *args: str) -> Job:
    """Run a scrapyd job with ``egg`` as the project's only version, from ``workdir``."""
    storage = workdir / "eggs" / PROJECT
    storage.mkdir(parents=True, exist_ok=True)
    stored = shutil.copyfile(egg, storage / f"{VERSION}.egg")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SCRAPY_SETTINGS_MODULE")}
    env.update(SCRAPY_PROJECT=PROJECT, SCRAPYD_EGG_VERSION=VERSION, PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, "-c", JOB.read_text(encoding="utf-8"), *args], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=300)
    return Job(proc.returncode, proc.stdout, proc.stderr, stored)


def crawl_args(site: ReplayProcess, store_url: str, **settings: Any) -> list[str]:
    """``scrapy crawl rss`` of the demo's government feed, the demo watchlist read from the egg."""
    overrides = {**site.crawl_settings(store_url), "LOG_LEVEL": "INFO", **settings}
    assert overrides["WATCHLIST"] == ""
    args = ["crawl", "rss", "-a", "source=rss_gov"]
    for name, value in overrides.items():
        args += ["-s", f"{name}={','.join(value) if isinstance(value, list) else value}"]
    return args


def assert_from_egg(job: Job) -> None:
    """The project's modules were imported from the egg, and nothing of the CLI, the replay site or the tests."""
    modules = job.printed("modules")
    assert modules and {name.split(".")[0] for name in modules} <= set(IN_EGG)
    assert all(path.startswith(f"{job.egg}{os.sep}") for path in modules.values()), modules


def test_the_egg_holds_the_packages_a_crawl_imports_and_their_files(egg: Path) -> None:
    with zipfile.ZipFile(egg) as archive:
        names = set(archive.namelist())
        entry_points = archive.read("EGG-INFO/entry_points.txt").decode()
    models = ROOT / "detector" / "models"
    data = [*(ROOT / "watchlists").rglob("*.yml"), *(ROOT / "indexer" / "elastic" / "templates").glob("*.json"),
            ROOT / "indexer" / "elastic" / "kibana_objects.ndjson", *models.glob("*.npz"), *models.glob("*.card.json")]
    assert {p.relative_to(ROOT).as_posix() for p in data} <= names
    assert {"crawler/settings.py", "crawler/spiders/rss.py", "detector/scoring.py", "indexer/sqlite/store.py"} <= names
    assert {name.split("/")[0] for name in names} == {*IN_EGG, "EGG-INFO"}
    assert not [name for name in names if name.startswith("detector/training/")]
    assert re.search(r"^\[scrapy\]\nsettings = crawler\.settings$", entry_points, re.M)


def test_a_crawl_from_the_egg_stores_the_feed_scored_by_the_packaged_detector(
        egg: Path, site: ReplayProcess, tmp_path: Path) -> None:
    store_path = tmp_path / "monitor.db"
    job = run_job(egg, tmp_path / "scrapyd", *crawl_args(site, f"sqlite:///{store_path}", DETECTOR_ENABLED=True))
    assert job.returncode == 0, job.stderr
    stats = job.stats()
    store = SqliteStore(store_path)
    try:
        posts = store.search(Query(source_id="rss_gov", limit=100))
    finally:
        store.close()
    assert len(posts) >= 15
    assert stats["source/rss_gov/posts"] == stats["item_scraped_count"] == stats["indexer/new"] == len(posts)
    assert stats["source/rss_gov/errors/parse"] == 1  # the demo feed's one unreadable date
    assert "detector/failed" not in stats and "log_count/ERROR" not in stats, job.stderr
    assert all(p.complaint is not None and p.fake is not None for p in posts)  # the models, from the egg
    assert any(p.territory and p.territory.municipality == "Приреченск" for p in posts)  # the territories
    assert_from_egg(job)


def test_a_crawl_from_the_egg_puts_the_index_templates_it_carries(
        egg: Path, site: ReplayProcess, tmp_path: Path) -> None:
    with ElasticsearchDouble() as es:  # a cluster that `monitor setup` never prepared
        job = run_job(egg, tmp_path / "scrapyd", *crawl_args(site, es.url))
        templates = set(es.templates)
        posts = sum(len(index.docs) for name, index in es.indices.items() if name.startswith("monitor-posts-"))
    assert job.returncode == 0, job.stderr
    assert {"monitor-posts-v3", "monitor-incidents-v3", "monitor-state-v3"} <= templates
    assert job.stats()["indexer/new"] == posts >= 15, job.stderr
    assert_from_egg(job)


def test_the_files_a_crawl_may_read_load_from_the_egg(egg: Path, tmp_path: Path) -> None:
    job = run_job(egg, tmp_path / "scrapyd", "resources")
    assert job.returncode == 0, job.stderr
    read = job.printed("resources")
    assert "rss_gov" in read["watchlist"]
    assert {"housing", "roads"} <= set(read["sectors"]) and read["fakes"] == ["False", "True"]
    assert all(read["templates"].values()) and read["kibana_objects"] > 0
    assert_from_egg(job)
