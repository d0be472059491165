"""The weekly report at a region's size: the time to write a week's report from a store of 100,000
incidents.

The store is built through the Store API (``open_store``, ``upsert_incidents`` in batches of 5,000):
a year of incidents (``--incidents`` spread evenly over 52 weeks, so the report reads its week and
the eight before: ~17,000), in the demo region's ten sectors and twelve districts, fifteen bodies;
complaints answered within hours (some by an отписка, some never, some late), one crisis with its
explanation a day, a fact-check story for every tenth incident with every verdict. Then, ``--runs``
times each, wall clock and CPU-seconds: the figures alone (``build_weekly``), the HTML (figures,
charts, template) and the HTML with its PDF (``write_report(..., pdf=True)``).

    python bench/report.py [--incidents 100000] [--dir /tmp/monitor-bench-report] [--reuse] [--runs 3]

Left out: Elasticsearch (its reads page through a point in time, like any search of that size);
sending (network).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from detector.reports import Week, build_weekly, write_report  # noqa: E402
from indexer.backends import open_store  # noqa: E402
from indexer.schema import Incident, Territory  # noqa: E402

WEEK = Week.parse("2026-W49")
SECTORS = ["housing", "waste", "energy", "education", "health", "roads", "transport", "social", "labour",
           "amenities"]
DISTRICTS = ["Заречный", "Центральный", "Северный", "Южный", "Промышленный", "Старый город", "Новосёлки",
             "Светлоярск", "Лесной", "Озёрный", "Береговой", "Луговой"]
BODIES = [f"Исполнитель № {n}" for n in range(15)]


def incidents(count: int, seed: int = 7) -> list[Incident]:
    rng = random.Random(seed)
    first = WEEK.end - timedelta(weeks=52)
    span = (WEEK.end - first).total_seconds()
    made = []
    for n in range(count):
        opened = first + timedelta(seconds=span * n / count)
        made.append(_factcheck(n, opened, rng) if n % 10 == 9 else _crisis(n, opened) if n % 170 == 0
                    else _complaint(n, opened, rng))
    return made


def _complaint(n: int, opened: Any, rng: random.Random) -> Incident:
    answers: list[dict[str, Any]] = []
    quality, at = None, None
    if rng.random() < 0.8:
        quality = "otpiska" if rng.random() < 0.25 else "substantive"
        at = opened + timedelta(hours=rng.expovariate(1 / 14))
        answers = [{"post_id": f"vk:-1:{n}:a", "author": "admin", "at": at.isoformat(), "quality": quality,
                    "markers": []}]
    return Incident(id=f"inc-{n}", kind="complaint", queue="routing", opened_at=opened, sector=rng.choice(SECTORS),
                    territory=Territory("Приреченск", rng.choice(DISTRICTS)), body=rng.choice(BODIES),
                    title=f"Жалоба {n}: нет горячей воды в доме на улице Речной", deadline=opened + timedelta(hours=24),
                    post_ids=[f"vk:-1:{n}:{k}" for k in range(1 + int(rng.paretovariate(1.5)) % 40)],
                    sources=[f"src{k}" for k in range(1 + n % 4)], answers=answers,
                    answered_at=at, answer_quality=quality)


def _crisis(n: int, opened: Any) -> Incident:
    return Incident(id=f"crisis-{n}", kind="crisis", queue="routing", opened_at=opened, priority="high",
                    sector=SECTORS[n % len(SECTORS)], territory=Territory("Приреченск", DISTRICTS[n % len(DISTRICTS)]),
                    body=BODIES[n % len(BODIES)], title=f"Всплеск {n}", post_ids=[f"vk:-1:{n}:{k}" for k in range(12)],
                    evidence={"spike": {"count": 12, "baseline": 1.5}, "explanation": {
                        "why": "12 сообщений за 3 ч при обычных 1,5", "new_words": ["вода", "авария"],
                        "top_streets": [["ул. Речная", 6]], "examples": [{"text": "На Речной нет воды"}]}})


def _factcheck(n: int, opened: Any, rng: random.Random) -> Incident:
    verdict = rng.choice(["fake", "true", "unverified", None])
    return Incident(id=f"fc-{n}", kind="fake", queue="factcheck", opened_at=opened, title=f"Слух {n}",
                    verdict=verdict, post_ids=[f"tg:x:{n}"],
                    review={"verdict": verdict, "debunk": "https://example.org/d"} if verdict == "fake" else None)


def timed(runs: int, work: Callable[[], object]) -> str:
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return f"median {sorted(walls)[len(walls) // 2]:.2f} s wall, {sorted(cpus)[len(cpus) // 2]:.2f} s CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/monitor-bench-report"))
    parser.add_argument("--reuse", action="store_true", help="report from the store an earlier run left")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.dir / "report.db"
    if not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        store = open_store(f"sqlite:///{path}")
        made, started = incidents(args.incidents), time.perf_counter()
        for start in range(0, len(made), 5000):
            store.upsert_incidents(made[start:start + 5000])
        print(f"stored {len(made):,} incidents in {time.perf_counter() - started:.1f} s")
        store.close()
    store = open_store(f"sqlite:///{path}")
    now = WEEK.end + timedelta(hours=6)
    report = build_weekly(store, WEEK, now)
    print(f"week {WEEK}: {report.incidents:,} routing incidents, {report.fakes.found:,} fact-check stories, "
          f"{len(report.crises)} crises, {len(report.answers)} bodies")
    print("figures (build_weekly):      ", timed(args.runs, lambda: build_weekly(store, WEEK, now)))
    print("HTML (figures, charts, page):", timed(args.runs, lambda: write_report(build_weekly(store, WEEK, now),
                                                                                 args.dir / "out")))
    print("HTML and PDF:                ", timed(args.runs, lambda: write_report(build_weekly(store, WEEK, now),
                                                                                 args.dir / "out", pdf=True)))
    store.close()


if __name__ == "__main__":
    main()
