"""Prepare an Elasticsearch cluster and Kibana for the project; safe at every deploy.

Installs the index templates, the retention policy and the aliases (migrating indices of an older
mapping version), writes the watched sources to the sources index, and imports the Kibana saved
objects with overwrite (``monitor setup``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from elastic_transport import TransportError
from elasticsearch import ApiError, helpers

from indexer.elastic.kibana import ImportReport, Kibana, saved_objects
from indexer.elastic.layout import install
from indexer.exceptions import StoreUnavailable

if TYPE_CHECKING:
    from indexer.elastic.store import ElasticsearchStore

SOURCE_FIELDS = ("id", "platform", "name", "kind", "address", "territory", "priority", "enabled")


@dataclass
class ClusterReport:
    templates: list[str]
    retention_days: int
    created: list[str] = field(default_factory=list)
    migrated: list[tuple[str, str]] = field(default_factory=list)
    sources: int = 0
    sources_alias: str = ""


def prepare_cluster(store: ElasticsearchStore, sources: Sequence[Mapping[str, Any]], *,
                    wait: float = 120.0) -> ClusterReport:
    """Wait up to ``wait`` seconds for the cluster, install the layout and index ``sources``
    (each a mapping with :data:`SOURCE_FIELDS`). An unreachable or refusing cluster raises
    :class:`~indexer.exceptions.StoreUnavailable`."""
    try:
        _wait_for_cluster(store, wait)
        installed = install(store.client, store.layout)
        alias = store.layout.alias("sources")
        # Updates, not whole documents: each source's health, written by its crawls, stays.
        actions = [{"_op_type": "update", "_index": alias, "_id": source["id"], "doc_as_upsert": True,
                    "doc": {k: source.get(k) for k in SOURCE_FIELDS}} for source in sources]
        stored, _ = helpers.bulk(store.client, actions, refresh="wait_for")
    except (TransportError, ApiError) as exc:
        raise StoreUnavailable(f"Elasticsearch {store.url}: {exc}") from exc
    return ClusterReport(list(installed.templates), store.layout.retention_days, list(installed.created),
                         list(installed.migrated), int(stored), alias)


def import_kibana(kibana: Kibana, prefix: str, objects: str | None = None, *,
                  sectors: Sequence[tuple[str, str]] | None = None, wait: float = 120.0) -> ImportReport:
    """Wait for Kibana, then import the saved objects (``objects``: a file other than the shipped
    one), with one routing queue per sector of ``sectors`` (code, name)."""
    kibana.wait(wait)
    return kibana.import_objects(saved_objects(prefix, objects, sectors))


def _wait_for_cluster(store: ElasticsearchStore, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            store.client.info()
            return
        except (TransportError, ApiError) as exc:
            if time.monotonic() >= deadline:
                raise StoreUnavailable(f"not reachable after {seconds:.0f}s: {exc}") from exc
            time.sleep(1.0)
