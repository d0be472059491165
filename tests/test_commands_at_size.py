"""The staff's commands on an Elasticsearch store above every default limit, through the double.

100,000+ posts (four weeks of scored complaints, each week above the 10,000-hit result window;
~90,000 (cluster, hour) buckets, above search.max_buckets; a planted wave of complaints; half a
day of unscored posts) and 21,000+ incidents, loaded straight into the double. ``monitor queue``,
``incident``, ``review`` (with ``--export``), ``spikes`` and ``detect`` run as users run them
(``monitor.cli.main``) and must read all of it, not the first 10,000. With ``ES_URL`` set,
``pytest -m live_es`` runs the same commands against a real cluster, under an index prefix of its own.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

import pytest

from indexer.elastic.layout import Layout, install
from indexer.elastic.store import ElasticsearchStore
from indexer.schema import Incident, Post, Territory
from monitor.cli import main
from tests.support.es_double import ElasticsearchDouble
from tests.test_store_contract import live_options, remove_live_prefix

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


class Cluster:
    """Where the commands run: the double, or a live cluster under an index prefix of its own."""

    def __init__(self, url: str, prefix: str = "monitor", double: ElasticsearchDouble | None = None) -> None:
        self.url, self.prefix, self.double = url, prefix, double
        self.layout = Layout(prefix=prefix)
        self.options = ["-s", f"INDEXER_ES_PREFIX={prefix}", "-s", "INDEXER_ES_REFRESH=true"]

    def load(self, index: str, docs: Iterable[tuple[str, dict[str, Any]]]) -> None:
        if self.double is not None:
            self.double.load(index, docs)
            return
        from elasticsearch import helpers

        from indexer.elastic.client import connect

        client = connect(self.url, live_options())
        helpers.bulk(client, ({"_index": index, "_id": i, "_source": d} for i, d in docs), refresh="wait_for",
                     chunk_size=2000)
        client.close()

    def docs(self, name: str) -> dict[str, dict[str, Any]]:
        """Every document behind the alias ``<prefix>-<name>`` by id."""
        if self.double is not None:
            return self.double.docs(f"monitor-{name}")
        from elasticsearch import helpers

        from indexer.elastic.client import connect

        client = connect(self.url, live_options())
        client.indices.refresh(index=self.layout.alias(name))
        found = {hit["_id"]: hit["_source"] for hit in helpers.scan(client, index=self.layout.alias(name))}
        client.close()
        return found

    @property
    def points_in_time(self) -> list[str]:
        """Points in time left open (the double only: a cluster does not list them by id)."""
        return self.double.points_in_time if self.double is not None else []


def on_double() -> Iterator[Cluster]:
    with ElasticsearchDouble() as double:
        yield Cluster(double.url, double=double)  # type: ignore[arg-type]


def on_live_cluster() -> Iterator[Cluster]:
    url = os.environ.get("ES_URL")
    if not url:
        pytest.skip("ES_URL is not set: the live suite needs a real cluster (docs/DEPLOY.md)")
    prefix = f"monitor-test-{uuid.uuid4().hex[:8]}"
    try:
        yield Cluster(url, prefix)
    finally:
        remove_live_prefix(url, prefix)


@pytest.fixture(scope="module", params=[on_double, pytest.param(on_live_cluster, marks=pytest.mark.live_es)],
                ids=["elasticsearch-double", "elasticsearch-live"])
def es(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    rng = random.Random(7)
    posts = history(rng) + wave(rng) + unscored(rng)
    for cluster in request.param():
        store = ElasticsearchStore.from_url(cluster.url, live_options(INDEXER_ES_PREFIX=cluster.prefix))
        install(store.client, cluster.layout)
        store.close()
        monthly: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        for one in posts:
            monthly[cluster.layout.posts_index(one.created_at)].append((one.id, one.to_dict()))
        for index, docs in monthly.items():
            cluster.load(index, docs)
        cluster.load(cluster.layout.alias("incidents"), ((i.id, i.to_dict()) for i in incidents(rng, posts)))
        yield cluster


def monitor(capsys: pytest.CaptureFixture[str], es: Cluster, *args: str) -> list[str]:
    """A command as a user runs it, against the cluster."""
    assert main([*args, "--store", es.url, *es.options]) == 0
    return capsys.readouterr().out.splitlines()


def test_the_routing_queue_lists_past_the_result_window(es: Cluster,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    listed = [json.loads(line) for line in monitor(capsys, es, "queue", "routing", "--json",
                                                   "--limit", "15000")]
    assert len(listed) == 15_000 and len({i["id"] for i in listed}) == 15_000
    deadlines = [i["deadline"] for i in listed]
    assert deadlines == sorted(deadlines)  # nearest deadline first
    assert monitor(capsys, es, "queue", "factcheck", "--json", "--limit", "2000").__len__() == 800
    assert es.points_in_time == []


def test_an_incident_moves_on_and_a_verdict_is_recorded(es: Cluster,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert monitor(capsys, es, "incident", "inc-19999", "--status", "closed") == ["inc-19999: closed"]
    assert es.docs("incidents")["inc-19999"]["status"] == "closed"
    out = monitor(capsys, es, "review", f"fc-{FACTCHECK - 1}", "--verdict", "true", "--by", "Ольга")
    assert out[0].startswith(f"fc-{FACTCHECK - 1}: true by Ольга")


def test_review_export_writes_every_decided_item(es: Cluster, capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    exported = tmp_path / "reviewed.jsonl"
    monitor(capsys, es, "review", "--export", str(exported))
    lines = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    decided = {i["id"] for i in es.docs("incidents").values() if i.get("verdict") in ("fake", "true")}
    assert len(decided) >= DECIDED and {x["incident"] for x in lines} == decided
    assert len(lines) == 2 * len(decided) and {x["label"] for x in lines} == {"fake", "ordinary"}


def test_spikes_find_the_wave_in_four_weeks_of_complaints(es: Cluster,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = monitor(capsys, es, "spikes", "--since", "20h")
    assert "crises (" in out[0]
    crises = [i for i in es.docs("incidents").values() if i["kind"] == "crisis"]
    assert any(c["sector"] == "waste" and (c["territory"] or {}).get("district") == "Северный" for c in crises)
    assert es.points_in_time == []


def test_detect_scores_half_a_day_of_posts_and_groups_them_among_20000_open_incidents(
        es: Cluster, capsys: pytest.CaptureFixture[str]) -> None:
    out = monitor(capsys, es, "detect", "--since", (NOW - timedelta(hours=12)).isoformat())
    assert out[0].startswith(f"full: scored {UNSCORED} posts"), out
    stored = es.docs("posts")
    fresh = [stored[f"vk:-5001:{HISTORY + WAVE + n}"] for n in range(UNSCORED)]
    assert all(p["complaint"] is not None for p in fresh)
    assert sum(1 for p in fresh if p["is_complaint"]) >= UNSCORED // 100
    routing = [i for i in es.docs("incidents").values() if i["queue"] == "routing"]
    fresh_ids = {p["id"] for p in fresh}
    assert len(routing) > ROUTING and any(fresh_ids.intersection(i["post_ids"]) for i in routing)
    assert es.points_in_time == []
