"""Indexing throughput: our Elasticsearch writer vs a bare bulk of ready dicts, and the spool.

Both write the same posts to the same Elasticsearch double (``tests/support/es_double.py``, in a child
process, so it does not share our GIL), one after the other, best of ``--rounds``:

- bare: ``helpers.bulk`` of documents already built as dicts, into one index (the floor: HTTP,
  JSON and the double's own cost);
- ours: ``ElasticsearchStore.upsert`` in batches of ``--batch`` Posts (``Post.to_dict``, the
  lookup of where known ids live, monthly index names, ``streaming_bulk``, counting results);
- spool: writing the same posts to the durable spool (fsync per batch), then replaying it into
  the double.

    python bench/index.py [--posts 20000] [--batch 500] [--rounds 3]

The double's speed is not Elasticsearch's: read the ratio, not the absolute rates.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from elasticsearch import helpers  # noqa: E402

from indexer.elastic.client import connect  # noqa: E402
from indexer.elastic.store import ElasticsearchStore  # noqa: E402
from indexer.schema import Author, Metrics, Post  # noqa: E402
from indexer.spool import Spool  # noqa: E402
from tests.support.es_double import ElasticsearchDouble  # noqa: E402

TEXTS = ["Третий день нет горячей воды на Заречной, 14. Куда звонить?",
         "Во дворе по Ленина 5 гора мусора, контейнеры не вывозят неделю",
         "Спасибо администрации за новую площадку!",
         "Автобус 12 опять не пришёл, люди мёрзнут на остановке у рынка",
         "На Садовой яма на дороге, уже две машины пробили колесо"]


def serve(port: int, ready: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    ElasticsearchDouble(port).start()
    ready.set()
    while True:
        time.sleep(3600)


def make_posts(count: int, tag: str) -> list[Post]:
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    return [Post(id=f"vk:-{tag}:{n}", platform="vk", source_id="vk_bench", kind="post",
                 text=f"{TEXTS[n % len(TEXTS)]} #{n}", created_at=start + timedelta(minutes=n),
                 author=Author(str(n), "Житель"), metrics=Metrics(likes=n % 7, views=n * 3),
                 crawled_at=start) for n in range(count)]


def batches(posts: list[Post], size: int) -> list[list[Post]]:
    return [posts[i:i + size] for i in range(0, len(posts), size)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(port, ready), daemon=True)
    server.start()
    ready.wait(10)
    url = f"http://127.0.0.1:{port}"
    print(f"{args.posts} posts in batches of {args.batch}, Elasticsearch double in a child process; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; best of {args.rounds} rounds")
    best = {"bare": 0.0, "ours": 0.0, "spool write": 0.0, "spool replay": 0.0}
    client = connect(url, {})
    for round_number in range(args.rounds):
        posts = make_posts(args.posts, f"b{round_number}")
        docs = [{"_index": "bench-bare", "_id": p.id, "_source": p.to_dict()} for p in posts]
        started = time.perf_counter()
        for chunk in batches(docs, args.batch):  # type: ignore[arg-type]
            helpers.bulk(client, chunk, chunk_size=args.batch)
        best["bare"] = max(best["bare"], args.posts / (time.perf_counter() - started))

        store = ElasticsearchStore.from_url(url, {"INDEXER_ES_PREFIX": f"bench{round_number}",
                                                      "INDEXER_ES_CHUNK_SIZE": args.batch})
        posts = make_posts(args.posts, f"o{round_number}")
        store.upsert(posts[:1])  # templates installed outside the timing
        started = time.perf_counter()
        for batch in batches(posts, args.batch):
            store.upsert(batch)
        best["ours"] = max(best["ours"], args.posts / (time.perf_counter() - started))

        with tempfile.TemporaryDirectory() as tmp:
            spool = Spool(Path(tmp))
            posts = make_posts(args.posts, f"s{round_number}")
            started = time.perf_counter()
            for batch in batches(posts, args.batch):
                spool.append(batch)
            best["spool write"] = max(best["spool write"], args.posts / (time.perf_counter() - started))
            started = time.perf_counter()
            moved = spool.replay(store)
            best["spool replay"] = max(best["spool replay"], moved / (time.perf_counter() - started))
        store.close()
    client.close()
    server.terminate()
    print(f"{'path':<34} {'docs/s':>8} {'vs bare':>8}")
    for name, label in (("bare", "bare helpers.bulk of ready dicts"), ("ours", "ours: ElasticsearchStore.upsert"),
                        ("spool write", "spool: append (fsync per batch)"),
                        ("spool replay", "spool: replay into the double")):
        print(f"{label:<34} {best[name]:>8.0f} {best[name] / best['bare']:>8.2f}")


if __name__ == "__main__":
    main()
