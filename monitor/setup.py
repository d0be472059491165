"""``monitor setup``: prepare an Elasticsearch cluster and Kibana; safe at every deploy."""

from __future__ import annotations

import argparse

from monitor.common import add_settings, add_store, settings


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    setup = sub.add_parser("setup", help="install Elasticsearch templates, retention, aliases and Kibana objects")
    setup.add_argument("--watchlist", help="watchlist whose sources go to the sources index")
    add_store(setup)
    setup.add_argument("--no-kibana", action="store_true", help="skip the Kibana saved objects")
    setup.add_argument("--wait", type=float, default=120.0, metavar="SECONDS",
                       help="how long to wait for Elasticsearch and Kibana to answer (default %(default)s)")
    add_settings(setup)
    setup.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from crawler.watchlist import load_watchlist
    from indexer.elastic.kibana import Kibana, KibanaError
    from indexer.elastic.setup import import_kibana, prepare_cluster
    from indexer.elastic.store import ElasticsearchStore
    from indexer.exceptions import StoreUnavailable
    from indexer.store import safe_url

    config = settings(args)
    url = str(config["INDEXER_STORE_URL"])
    if not url.startswith(("http://", "https://")):
        print(f"store {url} is the embedded SQLite store: it creates its tables itself, nothing to set up")
        return 0
    watchlist = load_watchlist(config.get("WATCHLIST"))
    store = ElasticsearchStore.from_url(url, config)
    try:
        report = prepare_cluster(store, [s.model_dump() for s in watchlist.sources], wait=args.wait)
    except StoreUnavailable as exc:
        print(f"monitor setup: {exc}")
        return 1
    finally:
        store.close()
    print(f"Elasticsearch {store.url}: templates {', '.join(report.templates)}; "
          f"retention {report.retention_days} days for posts")
    for name in report.created:
        print(f"  created index {name}")
    for old, new in report.migrated:
        print(f"  migrated {old} → {new} (the old index left the alias; delete it when you are sure)")
    print(f"  {report.sources} sources from {config.get('WATCHLIST') or 'the demo watchlist'} in {report.sources_alias}")
    if args.no_kibana:
        return 0
    kibana_url = config.get("KIBANA_URL")
    if not kibana_url:
        print("KIBANA_URL is not set: Kibana objects not imported")
        return 0
    kibana = Kibana(kibana_url, username=config.get("KIBANA_USERNAME"), password=config.get("KIBANA_PASSWORD"),
                    api_key=config.get("INDEXER_ES_API_KEY"), ca_certs=config.get("INDEXER_ES_CA_CERTS"))
    from detector import DetectorConfig
    from detector.sectors import load_sectors

    sectors = [(s.code, s.name) for s in load_sectors(DetectorConfig.from_settings(config).sectors_file())]
    try:
        imported = import_kibana(kibana, store.layout.prefix, config.get("KIBANA_OBJECTS") or None,
                                 sectors=sectors, wait=args.wait)
    except KibanaError as exc:
        print(f"monitor setup: {exc}")
        return 1
    if imported.errors:
        print(f"Kibana {safe_url(kibana_url)}: {imported.imported} objects imported, {len(imported.errors)} failed:")
        for error in imported.errors[:10]:
            print(f"  {error.get('type')} {error.get('id')}: {error.get('error')}")
        return 1
    print(f"Kibana {safe_url(kibana_url)}: {imported.imported} saved objects imported (data views, searches, "
          "dashboards)")
    return 0
