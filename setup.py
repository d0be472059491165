"""The egg that ``scrapyd-deploy`` builds for scrapyd (``scrapyd-deploy --build-egg=FILE`` to only build it).

scrapyd runs a crawl from the egg, a zip on ``sys.path``, with the project's dependencies already
installed on its host: the egg holds the packages a crawl imports and the files they read through
``importlib.resources`` (the demo watchlist and the staff files, the index templates and Kibana
objects, the models and their cards), and the ``scrapy`` entry point naming the settings module.
It leaves out the CLI (``monitor``), the replay site, the tests and the detector's training code
and corpus, which no crawl reads. The name, the version and the dependencies are pyproject.toml's;
the wheel is built from pyproject.toml alone (hatchling), which never reads this file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from setuptools import Distribution, find_packages, setup

PROJECT = tomllib.loads(Path(__file__).with_name("pyproject.toml").read_text(encoding="utf-8"))["project"]


class EggDistribution(Distribution):
    """Described by this file alone: setuptools would otherwise apply pyproject.toml's [project]
    table, which is the wheel's (its ``license`` string is too new for older setuptools, and its
    entry points would replace the ``scrapy`` one)."""

    def parse_config_files(self, filenames: Any = None, ignore_option_errors: bool = False) -> None:
        super().parse_config_files(filenames=[], ignore_option_errors=ignore_option_errors)


setup(
    distclass=EggDistribution,
    name=PROJECT["name"],
    version=PROJECT["version"],
    packages=find_packages(include=["crawler*", "detector*", "indexer*", "watchlists*"],
                           exclude=["detector.training*"]),
    package_data={
        "watchlists": ["*.yml", "territories/*.yml"],
        "indexer.elastic": ["templates/*.json", "kibana_objects.ndjson"],
        "detector": ["models/*.npz", "models/*.card.json"],
    },
    entry_points={"scrapy": ["settings = crawler.settings"]},
    zip_safe=True,  # every packaged file is read through importlib.resources (tests/test_egg.py)
)
