"""``monitor search``: stored posts and comments by Russian word forms, newest first."""

from __future__ import annotations

import argparse
import json

from monitor.common import add_settings, add_store, open_store, settings, since, store_name

PLATFORMS = ("vk", "telegram", "rss", "html", "rendered", "ok")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    search = sub.add_parser("search", help="search stored posts and comments (Russian word forms match)")
    search.add_argument("query", nargs="?", default=None, help="words to find; empty lists the newest")
    search.add_argument("--platform", choices=PLATFORMS)
    search.add_argument("--source", help="source id")
    search.add_argument("--kind", choices=["post", "comment"])
    search.add_argument("--since", type=since, help="ISO date/time, or an age like 24h, 7d")
    search.add_argument("--limit", type=int, default=20)
    search.add_argument("--sort", choices=["newest", "relevance"], default="newest")
    search.add_argument("--json", action="store_true", help="one JSON object per line")
    add_store(search)
    add_settings(search)
    search.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from indexer.store import Query
    from monitor.output import print_posts

    config = settings(args)
    store = open_store(config)
    try:
        query = Query(text=args.query, platform=args.platform, source_id=args.source, kind=args.kind,
                      since=args.since, limit=args.limit, sort=args.sort)
        posts, total = store.search(query), store.count(query)
    finally:
        store.close()
    if args.json:
        for post in posts:
            print(json.dumps(post.to_dict(), ensure_ascii=False))
    else:
        print_posts(posts, total, store_name(config))
    return 0
