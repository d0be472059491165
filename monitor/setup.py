"""``monitor setup``: prepare an Elasticsearch cluster and Kibana for the project; safe at every deploy.

Installs the index templates, the retention policy and the aliases (migrating indices of an older
mapping version), writes the watchlist's sources to the sources index, and imports the Kibana
saved objects with overwrite. The embedded SQLite store needs none of this.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from elastic_transport import TransportError
from elasticsearch import ApiError, helpers

from crawler.watchlist import load_watchlist
from indexer.store import safe_url
from indexer.elastic.kibana import Kibana, KibanaError, saved_objects
from indexer.elastic.layout import install
from indexer.elastic.store import ElasticsearchStore
from indexer.exceptions import StoreUnavailable

if TYPE_CHECKING:
    from scrapy.settings import Settings


def run_setup(settings: Settings, *, wait: float = 120.0, kibana: bool = True) -> int:
    url = settings.get("INDEXER_STORE_URL")
    if not url.startswith(("http://", "https://")):
        print(f"store {url} is the embedded SQLite store: it creates its tables itself, nothing to set up")
        return 0
    store = ElasticsearchStore.from_url(url, settings)
    try:
        _wait_for_cluster(store, wait)
        report = install(store.client, store.layout)
        print(f"Elasticsearch {store.url}: templates {', '.join(report.templates)}; "
              f"retention {store.layout.retention_days} days for posts")
        for name in report.created:
            print(f"  created index {name}")
        for old, new in report.migrated:
            print(f"  migrated {old} → {new} (the old index left the alias; delete it when you are sure)")
        sources = _index_sources(store, settings.get("WATCHLIST"))
        print(f"  {sources} sources from {settings.get('WATCHLIST')} in {store.layout.alias('sources')}")
    except (TransportError, ApiError, StoreUnavailable) as exc:
        print(f"monitor setup: Elasticsearch {store.url}: {exc}")
        return 1
    finally:
        store.close()
    if not kibana:
        return 0
    return _import_kibana(settings, store.layout.prefix, wait)


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


def _index_sources(store: ElasticsearchStore, watchlist_path: str) -> int:
    watchlist = load_watchlist(watchlist_path)
    actions = [{"_index": store.layout.alias("sources"), "_id": source.id, "_source": {
        "id": source.id, "platform": source.platform, "name": source.name, "kind": source.kind,
        "address": source.address, "territory": source.territory, "priority": source.priority,
        "enabled": source.enabled}} for source in watchlist.sources]
    stored, _ = helpers.bulk(store.client, actions, refresh="wait_for")
    return int(stored)


def _import_kibana(settings: Settings, prefix: str, wait: float) -> int:
    url = settings.get("KIBANA_URL")
    if not url:
        print("KIBANA_URL is not set: Kibana objects not imported")
        return 0
    kibana = Kibana(url, username=settings.get("KIBANA_USERNAME"), password=settings.get("KIBANA_PASSWORD"),
                    api_key=settings.get("INDEXER_ES_API_KEY"), ca_certs=settings.get("INDEXER_ES_CA_CERTS"))
    try:
        kibana.wait(wait)
        report = kibana.import_objects(saved_objects(prefix, settings.get("KIBANA_OBJECTS")))
    except KibanaError as exc:
        print(f"monitor setup: {exc}")
        return 1
    if report.errors:
        print(f"Kibana {safe_url(url)}: {report.imported} objects imported, {len(report.errors)} failed:")
        for error in report.errors[:10]:
            print(f"  {error.get('type')} {error.get('id')}: {error.get('error')}")
        return 1
    print(f"Kibana {safe_url(url)}: {report.imported} saved objects imported (data views, searches, dashboards)")
    return 0
