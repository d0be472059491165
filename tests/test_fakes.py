"""Fakes and threats: near-copies clustered, rumour evidence per line, the debunk registry, the
fact-check queue and its reviews, threats raised whatever the fake score."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from detector import Detector, DetectorConfig, run_detect
from detector.incidents.clusters import Clusterer, purity
from indexer.schema import Author, Incident, Post
from indexer.sqlite.store import SqliteStore
from monitor.cli import main

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)
RUMOUR = ("СРОЧНО!!! Перешлите всем! Знакомая медсестра из горбольницы сказала: в водопровод Северного района "
          "добавили хлор в опасной дозе, дети в больнице с отравлением, власти молчат. Не пейте воду из-под крана!")


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.from_config(DetectorConfig())


def post(post_id: str, text: str, source: str, hours: float = 0, **fields) -> Post:
    return Post(id=post_id, platform="vk", source_id=source, kind=fields.pop("kind", "post"), text=text,
                created_at=T0 + timedelta(hours=hours), url=f"https://vk.com/{post_id}", **fields)


def test_copies_of_a_story_are_one_cluster_and_other_texts_are_not() -> None:
    base = "В Приреченске ночью будут распылять хлор с вертолётов, закройте окна и не выпускайте детей на улицу"
    texts = {
        "first": base,
        "forwarded": "Перешлите всем!!! " + base,
        "typos": base.replace("вертолётов", "вертолетов").replace("Приреченске", "Светлоярске"),
        "shortened": "ночью будут распылять хлор с вертолетов, закройте окна!",
        "other": "На Ленина 5 третий день нет горячей воды, управляющая компания не отвечает",
        "short": "и у нас так же",
    }
    clusterer = Clusterer()
    ids = dict(zip(texts, clusterer.add([{"id": k, "text": v, "source_id": k,
                                          "created_at": (T0 + timedelta(minutes=n)).isoformat()}
                                         for n, (k, v) in enumerate(texts.items())]), strict=True))
    assert ids["first"] == ids["forwarded"] == ids["typos"] == ids["shortened"]
    assert len({ids["first"], ids["other"], ids["short"]}) == 3
    story = clusterer.cluster("first")
    assert story.first_id == "first" and len(story.sources) == 4 and story.growth() == [4]


def test_a_cluster_keeps_its_id_when_its_first_post_leaves_the_window() -> None:
    later = [{"id": "b", "text": "Перешлите всем: ночью будут распылять хлор с вертолётов, закройте окна",
              "cluster_id": "cl-from-yesterday"},
             {"id": "c", "text": "ночью будут распылять хлор с вертолётов, закройте окна!!!"}]
    assert Clusterer().add(later) == ["cl-from-yesterday", "cl-from-yesterday"]


def test_purity_rewards_clusters_that_neither_mix_nor_split_stories() -> None:
    assert purity(["a", "a", "b"], ["x", "x", "y"]) == (1.0, 1.0)
    assert purity(["a", "a", "a"], ["x", "x", "y"]) == (2 / 3, 1.0)
    assert purity(["a", "b", "c"], ["x", "x", "x"]) == (1.0, 1 / 3)


def test_a_single_line_gets_its_rumour_evidence(detector: Detector) -> None:
    out = detector.score({"id": "x", "text": RUMOUR})
    evidence = out["fake_evidence"]
    assert out["is_fake_suspect"] and out["fake"] > 0.9
    assert {"forwarding", "urgency", "anonymous_authority", "cover_up", "panic"} <= set(evidence["rumour"])
    assert "знакомый медсестра" in evidence["rumour"]["anonymous_authority"]
    # a rumour of a poisoning is a story to check, not a threat: the emergency it names says so
    assert not out["threat"] and "отравление" in evidence["emergency_rumour"]
    assert evidence["markers"] == {"no_source": True}


@pytest.mark.parametrize("text", [
    "На Ленина 5 третий день нет горячей воды, управляющая компания не отвечает, сколько можно",
    "Спасибо дворникам на Мира, двор чистый, снег убрали ещё до восьми утра",
    "Продаю зимнюю резину R16, 4 колеса, один сезон",
])
def test_ordinary_posts_are_not_fake_suspects(detector: Detector, text: str) -> None:
    out = detector.score({"id": "x", "text": text, "source_kind": "city_group"})
    assert not out["is_fake_suspect"] and not out["threat"]


def test_an_official_denial_is_not_a_suspect_nor_a_threat(detector: Detector) -> None:
    denial = detector.score({"id": "d", "source_kind": "municipal", "text":
                             "Информация о хлоре в водопроводе и отравлении детей не соответствует действительности. "
                             "Это фейк, вода безопасна."})
    assert not denial["is_fake_suspect"] and not denial["threat"]
    assert "не соответствовать действительность" in denial["fake_evidence"]["denial"]


def test_a_reposted_registered_fake_is_matched_to_its_debunk(detector: Detector) -> None:
    out = detector.score({"id": "r", "text": "Пишут, что в водопровод Заречного района добавили хлор в опасной "
                                             "дозе, дети в больнице. Перешлите знакомым!"})
    known = out["fake_evidence"]["registry"]
    assert known["id"] == "chlorine_fake" and known["debunk"].startswith("https://")
    assert out["is_fake_suspect"]


def _detected(tmp_path: Path, text: str) -> tuple[Post, Incident]:
    store = SqliteStore(tmp_path / "monitor.db")
    store.upsert([post("vk:1:1", text, "vk_podslushano")])
    store.close()
    detect(tmp_path)
    store = SqliteStore(tmp_path / "monitor.db")
    try:
        stored = store.get("vk:1:1")
        return stored, store.get_incident(stored.incident_id)
    finally:
        store.close()


def test_an_emergency_report_is_a_high_priority_incident_but_not_a_threat(tmp_path: Path) -> None:
    stored, incident = _detected(tmp_path, "У школы №12 на Победы стрельба, полиция оцепила двор, детей не выпускают")
    assert not stored.threat and "стрельба" in stored.fake_evidence["emergency"]  # a report: no one threatens
    assert incident.kind == "threat" and incident.priority == "high" and incident.queue == "routing"
    assert incident.deadline - incident.opened_at <= timedelta(hours=1) and "ЕДДС" in incident.body


def test_a_violent_threat_is_a_high_priority_incident_whatever_its_fake_score(tmp_path: Path) -> None:
    stored, incident = _detected(tmp_path, "Завтра приду в колледж и всех перестреляю")
    assert stored.threat and stored.fake_evidence["threat"] == ["first person: перестреляю"]
    assert incident.kind == "threat" and incident.priority == "high" and incident.queue == "routing"


def test_a_spreading_story_is_one_fact_check_item_linked_to_its_denial(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "monitor.db")
    store.upsert([
        post("vk:1:1", RUMOUR, "group_a"),
        post("vk:2:1", "Из чата дома: " + RUMOUR, "group_b", hours=0.5),
        post("vk:3:1", RUMOUR.replace("СРОЧНО!!! ", ""), "group_c", hours=1),
        post("vk:3:1:5", "Всем своим позвонила, сказала не пить. Власти как всегда молчат!", "group_c", hours=1.2,
             kind="comment", parent_id="vk:3:1", thread_root="vk:3:1"),
        post("vk:9:1", "Информация о хлоре в водопроводе Северного района не соответствует действительности. "
                       "Вода безопасна, отравлений нет.", "city_admin", hours=3, source_kind="municipal",
             author=Author("admin", "Администрация", True)),
        post("vk:4:1", "На Мира 3 нет света со вчерашнего вечера", "group_a", hours=2),
    ])
    store.close()
    detect(tmp_path)
    store = SqliteStore(tmp_path / "monitor.db")
    try:
        from indexer.store import IncidentQuery

        items = store.find_incidents(IncidentQuery(queue="factcheck"))
    finally:
        store.close()
    assert len(items) == 1
    item = items[0]
    assert item.post_ids == ["vk:1:1", "vk:2:1", "vk:3:1", "vk:3:1:5"] and item.sources == ["group_a", "group_b",
                                                                                                 "group_c"]
    assert item.priority == "high" and item.fake > 0.9
    evidence = item.evidence
    assert evidence["spread"]["sources"] == 3 and evidence["cluster"]["new_sources_per_hour"] == [2, 1]
    assert [d["id"] for d in evidence["denied_by"]] == ["vk:9:1"]
    assert evidence["suggested_debunk"] == "https://vk.com/vk:9:1"
    assert evidence["variants"][0]["id"] == "vk:1:1"


def test_a_reviewed_fake_joins_the_registry_and_its_return_is_matched(tmp_path: Path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    registry = _registry(tmp_path)
    story = ("В Северном районе в школах нашли иголки с ВИЧ на сиденьях, родители, проверяйте стулья, "
             "в полиции говорят уже трое детей укололись")
    store = SqliteStore(tmp_path / "monitor.db")
    store.upsert([post("vk:1:1", story, "group_a")])
    store.close()
    detect(tmp_path)
    assert main(["queue", "factcheck", "--json", "--store", url, "-s", f"FAKES_REGISTRY={registry}"]) == 0
    item = json.loads(capsys.readouterr().out.splitlines()[0])
    assert main(["review", item["id"], "--verdict", "fake", "--debunk", "https://example.gov/needles-fake",
                 "--by", "Ольга", "--note", "школы проверены", "--store", url]) == 0
    assert "joins the debunk registry" in capsys.readouterr().out

    store = SqliteStore(tmp_path / "monitor.db")
    reviewed = store.get_incident(item["id"])
    store.upsert([post("vk:7:1", "Родители, в школах Северного района иголки с ВИЧ на сиденьях! Трое детей "
                                 "укололись, проверяйте стулья", "group_b", hours=30)])
    store.close()
    assert reviewed.status == "closed" and reviewed.verdict == "fake"
    assert reviewed.review is not None and reviewed.review["by"] == "Ольга" and reviewed.review["at"]

    detect(tmp_path)
    store = SqliteStore(tmp_path / "monitor.db")
    try:
        again = store.get("vk:7:1")
    finally:
        store.close()
    known = again.fake_evidence["registry"]
    assert known["origin"] == "review" and known["debunk"] == "https://example.gov/needles-fake"
    assert again.is_fake_suspect

    exported = tmp_path / "reviewed.jsonl"
    assert main(["review", "--export", str(exported), "--store", url]) == 0
    lines = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    assert [(x["id"], x["label"], x["reviewed_by"]) for x in lines] == [("vk:1:1", "fake", "Ольга")]


def test_monitor_eval_fakes_prints_the_figures_and_cluster_purity() -> None:
    done = subprocess.run([sys.executable, "-m", "monitor", "eval", "fakes", "--data",
                           "detector/training/corpus/fakes/dev.jsonl", "--ordinary"], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr
    for field in ("precision", "recall", "F1", "at precision ≥ 0.70", "false alarms by category", "purity"):
        assert field in done.stdout


def detect(tmp_path: Path) -> None:
    """``monitor detect`` over the store in ``tmp_path``, with an empty debunk registry."""
    store = SqliteStore(tmp_path / "monitor.db")
    try:
        run_detect(store, DetectorConfig(registry=_registry(tmp_path)))
    finally:
        store.close()


def _registry(tmp_path: Path) -> str:
    path = tmp_path / "registry.yml"
    path.write_text("narratives: []\n", encoding="utf-8")
    return str(path)


def test_the_same_history_gives_the_same_clusters_in_every_process() -> None:
    """Python salts string hashes per process; the clusters must not depend on it."""
    code = ("import hashlib\nfrom detector.incidents.clusters import Clusterer\n"
            "from detector.training.data import corpus, read_jsonl\n"
            "records = read_jsonl(corpus('fakes', 'train')) + read_jsonl(corpus('complaints', 'train'))\n"
            "ids = Clusterer().add([{'id': r['id'], 'text': r['text']} for r in records])\n"
            "print(hashlib.sha1(' '.join(ids).encode()).hexdigest())")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                           env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in (1, 2, 3)}
    assert len(runs) == 1 and runs != {""}
