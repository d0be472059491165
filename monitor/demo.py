"""The offline demo: the replay site plays the demo region and the crawler reads all of it.

Only base URLs and the pace differ from a real crawl: the replay site is local, so the demo lifts
the politeness delays that protect real sites, and gives the VK spider demo tokens.
"""

from __future__ import annotations

from pathlib import Path

from crawler.watchlist import load_watchlist
from indexer.store import IncidentQuery, Query
from indexer.backends import open_store
from monitor.crawl import project_settings, run_crawl
from monitor.detect import run_detect
from monitor.report import print_crawl_report, print_factcheck, print_incidents
from replay.process import ReplayProcess

DEMO_WATCHLIST = "watchlists/demo.yml"


def demo_overrides(base: str, store_url: str) -> dict[str, object]:
    return {
        "WATCHLIST": DEMO_WATCHLIST, "WATCHLIST_BASE_URL": base, "INDEXER_STORE_URL": store_url,
        "INDEXER_SPOOL_DIR": "var/demo-spool",
        "VK_API_URL": f"{base}/vk/method/", "TELEGRAM_BASE_URL": f"{base}/tg/",
        "VK_TOKENS": ["demo-token-1", "demo-token-2"], "VK_REQUESTS_PER_SECOND": 20,
        "TELEGRAM_REQUESTS_PER_SECOND": 20, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
        "VK_BACKOFF_START": 0.5, "LOG_LEVEL": "WARNING",
    }


def run_demo(port: int, store_url: str) -> int:
    load_watchlist(DEMO_WATCHLIST)  # a broken demo file should fail before anything starts
    path = store_url.removeprefix("sqlite:///")
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)
    with ReplayProcess(port=port) as site:
        print(f"replay site playing the demo region at {site.base}")
        settings = project_settings(demo_overrides(site.base, store_url))
        report = run_crawl(settings)
    print_crawl_report(report, store_url)
    store = open_store(store_url)
    try:
        total = store.count(Query())
        example = store.count(Query(text="вода"))
    finally:
        store.close()
    print(f"\n{total} posts and comments stored. Search them, e.g.:")
    print(f"  monitor search вода --store {store_url}        ({example} found: вода, воды, водой ...)")
    print(f"  monitor search \"нет света\" --since 7d --store {store_url}")
    print("\nThe detector groups the complaints into incidents for the routing queue:")
    run_detect(settings, None)
    store = open_store(store_url)
    try:
        incidents = store.find_incidents(IncidentQuery(queue="routing", status=("new", "assigned"), limit=100_000))
    finally:
        store.close()
    biggest = sorted(incidents, key=lambda i: (-len(i.post_ids), i.deadline or i.opened_at))[:5]
    print(f"{len(incidents)} incidents in the routing queue; the largest:")
    print_incidents(biggest)
    print(f"  monitor queue routing --store {store_url} [--sector roads] [--territory Заречный]")
    store = open_store(store_url)
    try:
        factcheck = store.find_incidents(IncidentQuery(queue="factcheck", status=("new", "assigned"), limit=1000))
    finally:
        store.close()
    print(f"\n{len(factcheck)} stories in the fact-check queue; the most spread:")
    print_factcheck(sorted(factcheck, key=lambda i: (-len(i.sources), -len(i.post_ids)))[:3])
    print(f"  monitor queue factcheck --store {store_url}")
    print(f"  monitor review <ID> --verdict fake --debunk <URL> --store {store_url}")
    show_crisis(settings, store_url)
    return 0


def show_crisis(settings: object, store_url: str) -> None:
    """Spike detection over the demo week; the most significant crisis, explained."""
    from datetime import timedelta

    from indexer.schema import utcnow
    from monitor.spikes import print_crises, run_spikes

    print("\nSpikes per sector × district (emerging crises) over the demo week:")
    crises = run_spikes(settings, utcnow() - timedelta(days=8))
    if crises:
        top = max(crises, key=lambda i: i.evidence["spike"]["significance"])
        print("the most significant:")
        print_crises([top])
    print(f"  monitor spikes --since 7d --store {store_url}        (crises also join the routing queue)")
