"""Staff's merges and splits hold through later detect runs: a merged incident's story grows the
incident it was merged into, a split post stays out of the incident it left and its copies join
its own; a move made on a stale version is refused; on both stores."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from detector import Detector, DetectorConfig, run_detect
from detector.exceptions import ReviewError
from detector.incidents.lifecycle import Change
from detector.jobs.forget import Places, forget
from detector.jobs.moves import merge_incidents, split_post
from detector.jobs.queues import change_incident
from indexer.erasure import Selector
from indexer.exceptions import VersionConflict
from indexer.store import Holding, IncidentQuery, Store
from monitor.cli import main
from tests.test_incremental import NO_MARGIN, Opener, elasticsearch_store, post, sqlite_store

WATER = "Третий день нет горячей воды на улице Мира 14, управляющая компания не отвечает на звонки"
ROAD = "Огромная яма на проспекте Победы 20, уже третья машина пробила колесо, дорожники не приезжают"
LIFT = "В доме на улице Мира 14 неделю не работает лифт, пожилые жильцы не могут выйти из квартир"


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.from_config(DetectorConfig())


@pytest.fixture(params=[sqlite_store, elasticsearch_store], ids=["sqlite", "elasticsearch-double"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    opener: Opener = request.param
    with opener(tmp_path) as opened:
        yield opened


def detect(store: Store, detector: Detector, *, full: bool = False) -> None:
    run_detect(store, DetectorConfig(), detector=detector, margin=NO_MARGIN, full=full)


def holder(store: Store, post_id: str) -> list[str]:
    """The routing incidents holding ``post_id``, by id."""
    found = store.find_incidents(IncidentQuery(queue="routing", holding=Holding(post_ids=(post_id,)), limit=100))
    return sorted(i.id for i in found if post_id in i.post_ids)


def test_a_merged_incidents_next_copy_joins_the_incident_it_was_merged_into(store: Store, detector: Detector) -> None:
    store.upsert([post(1, ROAD, minutes_ago=30), post(2, WATER, minutes_ago=20)])
    detect(store, detector)
    road, water = holder(store, "vk:-8:1"), holder(store, "vk:-8:2")
    assert len(road) == 1 and len(water) == 1 and road != water
    merged = merge_incidents(store, road[0], water[0], by="olga")
    assert set(merged.post_ids) == {"vk:-8:1", "vk:-8:2"}
    closed = store.get_incident(water[0])
    assert closed is not None and (closed.status, closed.merged_into, closed.post_ids) == ("closed", road[0], [])
    assert [h["by"] for h in closed.history if h["field"] == "merged_into"] == ["olga"]
    assert store.get("vk:-8:2").incident_id == road[0]  # type: ignore[union-attr]
    with pytest.raises(ReviewError, match="merged into"):
        change_incident(store, water[0], Change(by="ivan", status="assigned", reason="ещё не решено"))
    store.upsert([post(3, WATER + "!", minutes_ago=5)])
    detect(store, detector)
    assert holder(store, "vk:-8:3") == road
    after = store.get_incident(water[0])
    assert after is not None and (after.status, after.post_ids) == ("closed", [])
    assert not [i for i in store.find_incidents(IncidentQuery(queue="routing", limit=100)) if i.repeat_of]
    detect(store, detector, full=True)
    assert holder(store, "vk:-8:2") == road and holder(store, "vk:-8:3") == road


def test_a_split_post_stays_out_and_its_copies_join_its_own_incident(store: Store, detector: Detector) -> None:
    store.upsert([post(1, WATER, minutes_ago=30), post(2, LIFT, minutes_ago=20)])
    detect(store, detector)
    parent = holder(store, "vk:-8:1")
    assert holder(store, "vk:-8:2") == parent  # one address, one incident
    child = split_post(store, parent[0], "vk:-8:2", by="olga")
    assert child.post_ids == ["vk:-8:2"] and child.split_from == parent[0] and child.queue == "routing"
    left = store.get_incident(parent[0])
    assert left is not None and left.post_ids == ["vk:-8:1"] and left.history[-1]["field"] == "split"
    store.upsert([post(3, LIFT + "!", minutes_ago=5)])
    detect(store, detector)
    assert holder(store, "vk:-8:2") == [child.id] and holder(store, "vk:-8:3") == [child.id]
    detect(store, detector, full=True)
    assert holder(store, "vk:-8:2") == [child.id] and holder(store, "vk:-8:1") == parent


def test_a_move_made_on_a_stale_version_is_refused_and_nothing_is_written(store: Store, detector: Detector) -> None:
    store.upsert([post(1, ROAD, minutes_ago=30), post(2, WATER, minutes_ago=20), post(3, LIFT, minutes_ago=10)])
    detect(store, detector)
    road, water = holder(store, "vk:-8:1")[0], holder(store, "vk:-8:2")[0]
    seen = store.get_incident(road)
    assert seen is not None
    merge_incidents(store, water, road, by="olga", version=None)  # a colleague moved first
    with pytest.raises(VersionConflict):
        split_post(store, road, "vk:-8:1", by="ivan", version=seen.version)
    with pytest.raises(ReviewError, match="merged into"):
        merge_incidents(store, road, water, by="ivan")
    assert holder(store, "vk:-8:1") == [water]


def test_a_forgotten_post_moved_by_a_merge_leaves_both_incidents(store: Store, detector: Detector) -> None:
    store.upsert([post(1, ROAD, minutes_ago=30), post(2, WATER, minutes_ago=20)])
    detect(store, detector)
    road, water = holder(store, "vk:-8:1")[0], holder(store, "vk:-8:2")[0]
    merge_incidents(store, road, water, by="olga")
    forget(store, Selector.post("vk:-8:2"), Places(), by="оператор", reason="№7")
    kept = store.get_incident(road)
    assert kept is not None and kept.post_ids == ["vk:-8:1"] and kept.added_posts == []
    assert holder(store, "vk:-8:2") == []


def test_monitor_incident_merges_and_splits_and_says_what_it_moved(tmp_path: Path, detector: Detector,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    with sqlite_store(tmp_path) as store:
        store.upsert([post(1, ROAD, minutes_ago=30), post(2, WATER, minutes_ago=20), post(3, LIFT, minutes_ago=10)])
        detect(store, detector)
        road, water = holder(store, "vk:-8:1")[0], holder(store, "vk:-8:2")[0]
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    assert main(["incident", road, "--merge", water, "--by", "olga", "--store", url]) == 0
    assert f"{water} merged into {road}: 3 posts" in capsys.readouterr().out
    assert main(["incident", road, "--split", "vk:-8:3", "--by", "olga", "--store", url]) == 0
    assert f"vk:-8:3 split out of {road} into {road}-split-" in capsys.readouterr().out
    assert main(["incident", road, "--split", "vk:-8:3", "--merge", water, "--store", url]) == 2
    assert main(["incident", road, "--merge", road, "--store", url]) == 2
    assert "cannot be merged with itself" in capsys.readouterr().err
