"""Each test that must hold on both stores opens them the same way: a SQLite file, and the
Elasticsearch store over the HTTP double, refreshed after each write as a near-real-time index
needs (``both_stores``: the parametrised fixture's body)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest

from indexer.elastic.store import ElasticsearchStore
from indexer.sqlite.store import SqliteStore
from indexer.store import Store
from tests.support.es_double import ElasticsearchDouble


def sqlite_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return SqliteStore(tmp_path / "monitor.db")


def elasticsearch_double_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    double = ElasticsearchDouble(near_real_time=True).start()
    request.addfinalizer(double.stop)
    return ElasticsearchStore.from_url(double.url, {"INDEXER_ES_REFRESH": True})


BACKENDS = {"params": [sqlite_store, elasticsearch_double_store], "ids": ["sqlite", "elasticsearch-double"]}


def both_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Use as ``store = pytest.fixture(**BACKENDS)(both_stores)``: one store of each kind, closed after."""
    factory: Callable[[pytest.FixtureRequest, Path], Store] = request.param
    opened = factory(request, tmp_path)
    yield opened
    opened.close()
