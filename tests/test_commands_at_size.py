"""The staff's commands on an Elasticsearch store above every default limit, through the double.

100,000+ posts (four weeks of scored complaints, each week above the 10,000-hit result window;
~90,000 (cluster, hour) buckets, above search.max_buckets; a planted wave of complaints; half a
day of unscored posts) and 21,000+ incidents, loaded straight into the double. ``monitor queue``,
``incident``, ``review`` (with ``--export``), ``spikes`` and ``detect`` run as users run them
(``monitor.cli.main``) and must read all of it, not the first 10,000.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from indexer.elastic.layout import Layout, install
from indexer.elastic.store import ElasticsearchStore
from indexer.schema import Incident, Post, Territory
from monitor.cli import main
from tests.support.es_double import ElasticsearchDouble

NOW = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
HISTORY, UNSCORED, WAVE = 90_000, 10_500, 80
ROUTING, FACTCHECK, DECIDED = 20_000, 1_200, 400
SECTORS = ("housing", "roads", "waste", "energy", "transport")
DISTRICTS = ("Центральный", "Заречный", "Северный", "Промышленный")
CORPUS = Path(__file__).resolve().parent.parent / "detector" / "training" / "corpus" / "complaints" / "train.jsonl"


def corpus() -> tuple[list[str], list[str]]:
    """Real-shaped texts: the labelled complaints corpus, its complaints and the rest."""
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["text"] for r in rows if r["is_complaint"]], [r["text"] for r in rows if not r["is_complaint"]]


def post(number: int, created: datetime, text: str, **scored: Any) -> Post:
    return Post(id=f"vk:-5001:{number}", platform="vk", source_id=f"vk_group_{number % 7}", kind="post", text=text,
                created_at=created, **scored)


def history(rng: random.Random) -> list[Post]:
    """Scored complaints over four weeks before the last day, in 3,000 near-copy clusters."""
    posts = []
    for n in range(HISTORY):
        sector, district = rng.choice(SECTORS), rng.choice(DISTRICTS)
        created = NOW - timedelta(hours=24) - timedelta(seconds=rng.uniform(0, 27 * 86400))
        posts.append(post(n, created, "Нет воды", complaint=0.9, is_complaint=True, sector=sector,
                          cluster_id=f"h{rng.randrange(3000)}",
                          territory=Territory("Приреченск", district, None, None, None, None, "text")))
    return posts


def wave(rng: random.Random) -> list[Post]:
    """Complaints about rubbish in Северный, between 16 and 13 hours ago: a spike."""
    return [post(HISTORY + n, NOW - timedelta(hours=13, seconds=rng.uniform(0, 3 * 3600)),
                 f"Не вывозят мусор на улице Советской {n}, контейнеры переполнены", complaint=0.95, is_complaint=True,
                 sector="waste", territory=Territory("Приреченск", "Северный", None, None, None, None, "text"))
            for n in range(WAVE)]


def unscored(rng: random.Random) -> list[Post]:
    """The last 12 hours as the crawl stored them, not scored yet: mostly ordinary posts, a few complaints
    (every open incident is a candidate for each complaint, so they set detect's pace)."""
    complaints, ordinary = corpus()
    return [post(HISTORY + WAVE + n, NOW - timedelta(seconds=rng.uniform(60, 12 * 3600)),
                 rng.choice(complaints if n % 50 == 0 else ordinary)) for n in range(UNSCORED)]


def incidents(rng: random.Random, posts: list[Post]) -> list[Incident]:
    made = []
    for n in range(ROUTING):
        opened = NOW - timedelta(hours=24) - timedelta(seconds=rng.uniform(0, 27 * 86400))
        made.append(Incident(id=f"inc-{n}", kind="complaint", queue="routing", status=("new", "assigned")[n % 2],
                             opened_at=opened, updated_at=opened, deadline=opened + timedelta(hours=72),
                             sector=rng.choice(SECTORS), title="Нет воды", post_ids=[posts[2 * n].id, posts[2 * n + 1].id],
                             territory=Territory("Приреченск", rng.choice(DISTRICTS), None, None, None, None, "text")))
    for n in range(FACTCHECK):
        opened = NOW - timedelta(days=2, seconds=rng.uniform(0, 20 * 86400))
        item = Incident(id=f"fc-{n}", kind="fake", queue="factcheck", opened_at=opened, updated_at=opened,
                        deadline=opened + timedelta(hours=24), title="Говорят, воду отключат на месяц",
                        post_ids=[posts[50_000 + 2 * n].id, posts[50_001 + 2 * n].id], cluster_id=f"h{n}", fake=0.7)
        if n < DECIDED:
            item.status, item.verdict = "closed", ("fake", "true")[n % 2]
            item.evidence = {"review": {"by": "Ольга", "at": opened.isoformat(), "verdict": item.verdict}}
        made.append(item)
    return made


@pytest.fixture(scope="module")
def es() -> Iterator[ElasticsearchDouble]:
    rng = random.Random(7)
    posts = history(rng) + wave(rng) + unscored(rng)
    with ElasticsearchDouble() as double:
        store = ElasticsearchStore.from_url(double.url, {})
        install(store.client, Layout())
        store.close()
        monthly: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        for one in posts:
            monthly[Layout().posts_index(one.created_at)].append((one.id, one.to_dict()))  # type: ignore[arg-type]
        for index, docs in monthly.items():
            double.load(index, docs)
        double.load("monitor-incidents", ((i.id, i.to_dict()) for i in incidents(rng, posts)))
        yield double  # type: ignore[misc]


def monitor(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    assert main(list(args)) == 0
    return capsys.readouterr().out.splitlines()


def test_the_routing_queue_lists_past_the_result_window(es: ElasticsearchDouble,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    listed = [json.loads(line) for line in monitor(capsys, "queue", "routing", "--store", es.url, "--json",
                                                   "--limit", "15000")]
    assert len(listed) == 15_000 and len({i["id"] for i in listed}) == 15_000
    deadlines = [i["deadline"] for i in listed]
    assert deadlines == sorted(deadlines)  # nearest deadline first
    assert monitor(capsys, "queue", "factcheck", "--store", es.url, "--json", "--limit", "2000").__len__() == 800
    assert es.points_in_time == []


def test_an_incident_moves_on_and_a_verdict_is_recorded(es: ElasticsearchDouble,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert monitor(capsys, "incident", "inc-19999", "--status", "closed", "--store", es.url) == ["inc-19999: closed"]
    assert es.docs("monitor-incidents")["inc-19999"]["status"] == "closed"
    out = monitor(capsys, "review", f"fc-{FACTCHECK - 1}", "--verdict", "true", "--by", "Ольга", "--store", es.url)
    assert out[0].startswith(f"fc-{FACTCHECK - 1}: true by Ольга")


def test_review_export_writes_every_decided_item(es: ElasticsearchDouble, capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    exported = tmp_path / "reviewed.jsonl"
    monitor(capsys, "review", "--export", str(exported), "--store", es.url)
    lines = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    decided = {i["id"] for i in es.docs("monitor-incidents").values() if i.get("verdict") in ("fake", "true")}
    assert len(decided) >= DECIDED and {x["incident"] for x in lines} == decided
    assert len(lines) == 2 * len(decided) and {x["label"] for x in lines} == {"fake", "ordinary"}


def test_spikes_find_the_wave_in_four_weeks_of_complaints(es: ElasticsearchDouble,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = monitor(capsys, "spikes", "--since", "20h", "--store", es.url)
    assert "crises (" in out[0]
    crises = [i for i in es.docs("monitor-incidents").values() if i["kind"] == "crisis"]
    assert any(c["sector"] == "waste" and (c["territory"] or {}).get("district") == "Северный" for c in crises)
    assert es.points_in_time == []


def test_detect_scores_half_a_day_of_posts_and_groups_them_among_20000_open_incidents(
        es: ElasticsearchDouble, capsys: pytest.CaptureFixture[str]) -> None:
    out = monitor(capsys, "detect", "--since", (NOW - timedelta(hours=12)).isoformat(), "--store", es.url)
    assert out[0].startswith(f"full: scored {UNSCORED} posts"), out
    stored = es.docs("monitor-posts")
    fresh = [stored[f"vk:-5001:{HISTORY + WAVE + n}"] for n in range(UNSCORED)]
    assert all(p["complaint"] is not None for p in fresh)
    assert sum(1 for p in fresh if p["is_complaint"]) >= UNSCORED // 100
    routing = [i for i in es.docs("monitor-incidents").values() if i["queue"] == "routing"]
    fresh_ids = {p["id"] for p in fresh}
    assert len(routing) > ROUTING and any(fresh_ids.intersection(i["post_ids"]) for i in routing)
    assert es.points_in_time == []
