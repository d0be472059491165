"""``open_store``: the backend a store URL names, chosen by its scheme.

Backends register here by dotted path and are imported only when a URL asks for them, so the
embedded store never loads the Elasticsearch client and the interface (:mod:`indexer.store`)
imports no backend. Each backend class has ``from_url(url, options)``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any, Mapping

from indexer.exceptions import StoreConfigError

if TYPE_CHECKING:
    from indexer.store import Store

BACKENDS = {
    "sqlite": "indexer.sqlite.store:SqliteStore",
    "http": "indexer.elastic.store:ElasticsearchStore",
    "https": "indexer.elastic.store:ElasticsearchStore",
}


def open_store(url: str, options: Mapping[str, Any] | None = None) -> Store:
    """Open the store named by ``url``: ``sqlite:///path.db`` (or a bare path) or ``http(s)://host``.

    ``options`` are the ``INDEXER_*`` settings (Scrapy settings or a plain dict) a backend reads:
    the Elasticsearch store's credentials, index prefix, retries and retention.
    """
    module, name = check_store_url(url).split(":")
    backend = getattr(import_module(module), name)
    store: Store = backend.from_url(url, options or {})
    return store


def check_store_url(url: str) -> str:
    """The backend ``url`` names (``module:class``); raises StoreConfigError when none does."""
    scheme = url.split("://", 1)[0] if "://" in url else "sqlite"
    target = BACKENDS.get(scheme)
    if target is None:
        raise StoreConfigError(f"INDEXER_STORE_URL={url!r}: expected sqlite:///path or http(s)://host")
    return target
