"""The replay world on its clock: the demo region as the data set writes it, and a world that goes on
writing after its start (the same posts again every period, numbered anew as platforms number them)."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest

from replay.process import ReplayProcess
from replay.world import World, load_world

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
EVERY = timedelta(hours=84)


def shape(world: World) -> dict[str, list[tuple[int, datetime, str, int]]]:
    return {page_id: [(p.id, p.at, p.text, len(p.comments)) for p in page.posts] for page_id, page in world.pages.items()}


def test_a_world_that_repeats_is_the_data_set_until_its_start() -> None:
    plain, repeating = load_world(START), load_world(START, repeat_every=EVERY)
    for page_id, page in plain.pages.items():
        before = [(p.id, p.at, p.text) for p in page.posts if p.at <= START]
        assert [(p.id, p.at, p.text) for p in repeating.pages[page_id].posts if p.at <= START] == before


def test_each_post_comes_back_every_period_with_its_comments_at_the_same_delays() -> None:
    world = load_world(START, repeat_every=EVERY, repeat_for=timedelta(days=7))
    page = world.pages["vk_podslushano"]
    original = next(p for p in page.posts if START - EVERY < p.at <= START)  # its first copy comes after the start
    again = [p for p in page.posts if p.text == original.text]
    assert [p.at - original.at for p in again] == [EVERY * n for n in range(len(again))]
    assert len(again) >= 2 and all(p.at <= START + timedelta(days=7) for p in again)
    delays = [c.at - original.at for c in original.comments]
    assert all([c.at - p.at for c in p.comments] == delays for p in again)


@pytest.mark.parametrize("page_id", ["vk_podslushano", "tg_chp", "rss_gov", "html_forum"])
def test_what_appears_after_the_start_is_numbered_in_time_order(page_id: str) -> None:
    posts = load_world(START, repeat_every=EVERY).pages[page_id].posts
    assert [p.id for p in posts] == sorted(p.id for p in posts) and len({p.id for p in posts}) == len(posts)
    assert [p.at for p in posts] == sorted(p.at for p in posts)


def test_the_same_arguments_make_the_same_world() -> None:
    assert shape(load_world(START, repeat_every=EVERY)) == shape(load_world(START, repeat_every=EVERY))


def test_a_period_must_be_positive() -> None:
    with pytest.raises(ValueError, match="repeat_every must be a positive period"):
        load_world(START, repeat_every=timedelta(0))


def test_the_site_plays_a_repeating_world_from_the_given_start() -> None:
    world = load_world(START, repeat_every=EVERY)
    with ReplayProcess(faults=False, start=START, repeat_every=EVERY) as site:
        assert site.control("stats")["now"] == START.isoformat()
        assert wall_count(site) == len(world.posts("vk_podslushano"))
        site.control("advance", minutes=7 * 24 * 60)
        world.advance(7 * 24 * 60)
        assert wall_count(site) == len(world.posts("vk_podslushano")) > len(load_world(START).pages["vk_podslushano"].posts)


def wall_count(site: ReplayProcess) -> int:
    url = site.url("/vk/method/wall.get?domain=podslushano_prirechensk&count=1&access_token=demo")
    with urllib.request.urlopen(url, timeout=10) as response:
        return int(json.loads(response.read())["response"]["count"])


def test_a_live_world_runs_with_the_clock_and_a_published_post_is_visible_at_once() -> None:
    world = load_world(START, live=True)
    before = world.now
    time.sleep(0.05)
    assert world.now > before
    post = world.publish("vk_podslushano", "Нет света на ул. Мира, 3", 4900, "Житель")
    assert post.id == max(p.id for p in world.pages["vk_podslushano"].posts) and post in world.posts("vk_podslushano")
    assert load_world(START).now == load_world(START).now == START  # a world not live stands still


def test_the_site_publishes_a_post_now() -> None:
    with ReplayProcess(faults=False, live=True) as site:
        before = wall_count(site)
        answer = site.publish("vk_podslushano", "Нет света на ул. Мира, 3", {"id": 4900, "name": "Житель"})
        assert wall_count(site) == before + 1 and answer["page"] == "vk_podslushano"
