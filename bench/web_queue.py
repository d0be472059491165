"""The workspace's routing queue page with 100,000 incidents in the SQLite store: p95 of its GETs.

The incidents are built through the Store API (``upsert_incidents`` in batches of 5,000, not
timed): the routing queue of a region over months, most of it closed, a tenth open, some overdue,
spread over 12 sectors, 20 districts and 30 bodies. Then ``monitor web``'s app runs under uvicorn on
127.0.0.1 in this process's thread, an operator signs in, and the queue page is fetched over HTTP
in the ways staff use it: the default view (open, nearest deadline first), later pages, a sector,
a district, a body, overdue only, every status; each GET renders the counts at the top, the page
of incidents and the total. The goal: p95 under 300 ms.

    python bench/web_queue.py [--incidents 100000] [--gets 300] [--dir /tmp/monitor-bench-web] [--reuse]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from detector.config import DetectorConfig  # noqa: E402
from indexer.schema import Incident, Territory, utcnow  # noqa: E402
from indexer.sqlite.store import SqliteStore  # noqa: E402
from monitor.settings import load_settings  # noqa: E402
from tests.support.web import WebServer  # noqa: E402
from web import Accounts, WebConfig, Workspace  # noqa: E402

SECTORS = ["utilities", "roads", "transport", "health", "education", "housing", "waste", "safety", "energy",
           "social", "environment", "other"]
DISTRICTS = [f"Район {n}" for n in range(1, 21)]
BODIES = [f"Орган {n}" for n in range(1, 31)]
PASSWORD = "bench password"


def build(store: SqliteStore, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = utcnow()
    batch: list[Incident] = []
    for n in range(count):
        opened = now - timedelta(hours=rng.uniform(0, 24 * 120))
        status = rng.choices(["closed", "answered", "assigned", "new"], [80, 10, 5, 5])[0]
        batch.append(Incident(
            id=f"inc-{n:06d}", kind="complaint", queue="routing", opened_at=opened, status=status,
            sector=rng.choice(SECTORS), body=rng.choice(BODIES), title=f"Жалоба {n}: нет воды, яма, мусор",
            territory=Territory("Приреченск", rng.choice(DISTRICTS), "ул. Речная", str(n % 90),
                                f"Приреченск, ул. Речная, {n % 90}", (56.3 + rng.random() / 10, 44 + rng.random() / 10),
                                "text"),
            deadline=opened + timedelta(hours=rng.choice([4, 24, 72, 240])), post_ids=[f"vk:-1:{n}"],
            sources=["vk_city"]))
        if len(batch) == 5_000:
            store.upsert_incidents(batch)
            batch = []
    if batch:
        store.upsert_incidents(batch)


def views(rng: random.Random) -> str:
    return rng.choice([
        "/queue", "/queue?page=2", "/queue?page=20", f"/queue?sector={rng.choice(SECTORS)}",
        f"/queue?territory={rng.choice(DISTRICTS)}", f"/queue?body={rng.choice(BODIES)}", "/queue?overdue=1",
        "/queue?status=all", "/queue?status=closed&page=50", f"/queue?sector={rng.choice(SECTORS)}&overdue=1"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--gets", type=int, default=300)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/monitor-bench-web"))
    parser.add_argument("--reuse", action="store_true", help="the store an earlier run built in --dir")
    args = parser.parse_args()
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)

    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.dir / "monitor.db"
    if not args.reuse:
        path.unlink(missing_ok=True)
    store = SqliteStore(path)
    if not args.reuse:
        started = time.perf_counter()
        build(store, args.incidents)
        print(f"built {args.incidents:,} incidents through the Store API in {time.perf_counter() - started:.1f} s")
    accounts = Accounts(args.dir / "web.db")
    accounts.add_user("bench", "operator", PASSWORD)
    settings = load_settings({"WEB_TILES_URL": ""})
    ws = Workspace(store, accounts, WebConfig.from_settings(settings), DetectorConfig.from_settings(settings),
                   frozenset({"Приреченск"}), tuple(SECTORS))
    rng = random.Random(11)
    times: dict[str, list[float]] = {}
    with WebServer(ws) as server, httpx.Client(base_url=server.url("")) as client:
        client.get("/login")
        client.post("/login", data={"name": "bench", "password": PASSWORD,
                                    "_csrf_token": client.cookies["csrftoken"]})
        for n in range(args.gets + 10):
            view = views(rng)
            started = time.perf_counter()
            answer = client.get(view)
            took = (time.perf_counter() - started) * 1000
            if answer.status_code != 200:
                raise SystemExit(f"GET {view}: {answer.status_code}")
            if n >= 10:  # the first few warm the page cache and the templates
                times.setdefault(view.split("?")[-1].split("=")[0] if "?" in view else "default", []).append(took)
    every = sorted(t for ts in times.values() for t in ts)
    p95 = every[int(len(every) * 0.95) - 1]
    print(f"queue page over {args.incidents:,} incidents, {len(every)} GETs: median {statistics.median(every):.0f} ms,"
          f" p95 {p95:.0f} ms, max {every[-1]:.0f} ms (goal p95 < 300 ms)")
    for view, ts in sorted(times.items()):
        ts.sort()
        print(f"  {view:10} {len(ts):4} GETs  median {statistics.median(ts):6.0f} ms  p95 {ts[int(len(ts) * .95) - 1]:6.0f} ms")
    store.close()
    accounts.close()
    return 0 if p95 < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
