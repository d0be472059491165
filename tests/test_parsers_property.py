"""Thousands of malformed pages and API bodies at every parser: nothing escapes, bad input is told.

Inputs are real replay pages and API bodies, cut, spliced and corrupted, plus arbitrary JSON and
text. Every parser must return (never raise), and whatever items it returns must be valid posts.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.parsers.feeds import parse_feed
from crawler.parsers.html import parse_listing
from crawler.parsers.telegram import parse_channel_page, parse_discussion
from crawler.parsers.vk import parse_comments, parse_wall
from crawler.pipelines.validate import invalid_reason
from crawler.watchlist import load_watchlist
from replay import feeds, telegram, vk, web
from replay.world import load_world

WORLD = load_world()
FORUM = next(s for s in load_watchlist("watchlists/demo.yml").sources if s.id == "html_forum")
PAGES = {
    "telegram": telegram.channel_page(WORLD, WORLD.pages["tg_chp"], None),
    "discussion": telegram.discussion_widget(WORLD, WORLD.pages["tg_chp"], WORLD.pages["tg_chp"].posts[5].id, None, 50),
    "rss": feeds.feed(WORLD, WORLD.pages["rss_gov"], "http://replay", None),
    "atom": feeds.feed(WORLD, WORLD.pages["atom_mchs"], "http://replay", None),
    "forum": web.forum_listing(WORLD, WORLD.pages["html_forum"], 1, None)[0],
}
WALL = vk.wall_get(WORLD, WORLD.pages["vk_governor"], {"count": "5", "extended": "1"})["response"]
COMMENTS = vk.wall_get_comments(WORLD, WORLD.pages["vk_governor"], {
    "post_id": str(WORLD.pages["vk_governor"].posts[3].id), "count": "10", "extended": "1",
    "thread_items_count": "3"})["response"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)
common = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mangled(draw: st.DrawFn, text: str) -> str:
    """A real page cut, with slices dropped, duplicated or replaced by junk."""
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 400)))
        junk = draw(st.sampled_from(["", "<", "</div>", "<div class=\"tgme_widget_message js-widget_message\" data-post=\"x/y\">",
                                     "<time datetime=\"bad\">", "\x00", "&#xD800;", "🔥" * 3, text[i:j] * 2]))
        text = text[:i] + junk + text[j:]
    return text[: draw(st.integers(0, len(text)))] if draw(st.booleans()) else text


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """A real JSON body with one node somewhere replaced by arbitrary JSON."""
    value = json.loads(json.dumps(value))
    node: Any = value
    parent: Any = None
    key: Any = None
    for _ in range(draw(st.integers(1, 6))):
        children = (list(node.items()) if isinstance(node, dict)
                    else list(enumerate(node)) if isinstance(node, list) else [])
        if not children:
            break
        key, child = draw(st.sampled_from(children))
        parent = node
        if not isinstance(child, (dict, list)) or draw(st.booleans()):
            break
        node = child
    if parent is None:
        return draw(json_values)
    parent[key] = draw(json_values)
    return value


def assert_valid(posts: list[Any]) -> None:
    for post in posts:
        assert invalid_reason(post) is None, post


@common
@given(st.one_of(json_values, mutated(WALL)))
def test_vk_wall_parser_never_raises(body: Any) -> None:
    page = parse_wall(body, "vk_governor")
    assert_valid([e.post for e in page.entries])
    if not isinstance(body, dict):
        assert page.problems


@common
@given(st.one_of(json_values, mutated(COMMENTS)))
def test_vk_comments_parser_never_raises(body: Any) -> None:
    page = parse_comments(body, "vk_governor", -210003, 5)
    assert_valid(page.comments)


@common
@given(st.one_of(st.text(max_size=300), mangled(PAGES["telegram"])))
def test_telegram_channel_parser_never_raises(html: str) -> None:
    page = parse_channel_page(html, "chp_prirechensk", "tg_chp")
    assert_valid(page.posts)
    if not page.posts:
        assert page.problems or "tgme_channel_history" in html


@common
@given(st.one_of(st.text(max_size=300), mangled(PAGES["discussion"])))
def test_telegram_discussion_parser_never_raises(html: str) -> None:
    assert_valid(parse_discussion(html, "chp_prirechensk", 7, "tg_chp").comments)


@common
@pytest.mark.parametrize("kind", ["rss", "atom"])
@given(data=st.data())
def test_feed_parser_never_raises(kind: str, data: st.DataObject) -> None:
    body = data.draw(st.one_of(st.binary(max_size=300), mangled(PAGES[kind]).map(str.encode)))
    page = parse_feed(body, "http://replay/feed", "rss_gov")
    assert_valid(page.posts)


@common
@given(st.one_of(st.text(max_size=300), mangled(PAGES["forum"])))
def test_listing_parser_never_raises(html: str) -> None:
    assert FORUM.selectors is not None
    page = parse_listing(html, "http://replay/forum/", "html_forum", "html", FORUM.selectors)
    assert_valid([i.post for i in page.items])
    if not page.items:
        assert page.problems
