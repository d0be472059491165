"""OK.ru groups through the OK API shapes the replay site serves, including OK's errors."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from indexer.store import Query
from replay.world import load_world

SOURCE = "ok_prirechensk"


def test_topics_and_comments_are_stored(crawl):
    result = crawl(SOURCE, OK_PAGE_SIZE=3)
    assert result.returncode == 0, result.output
    world = load_world()
    page = world.pages[SOURCE]
    cutoff = world.now.timestamp() - 14 * 86400
    visible = [p for p in page.posts if p.at <= world.now and p.at.timestamp() >= cutoff]
    store = result.store()
    assert store.count(Query(source_id=SOURCE, kind="post")) == len(visible)
    assert store.count(Query(source_id=SOURCE, kind="comment")) == sum(world.count_comments(p) for p in visible)
    assert result.stat(f"source/{SOURCE}/older") == 1  # the group's welcome topic, older than the window
    assert result.stat("ok/errors/parse") == 0


def test_topic_and_comment_fields_follow_the_schema(crawl):
    result = crawl(SOURCE)
    store = result.store()
    posts = {p.id: p for p in store.search(Query(source_id=SOURCE, limit=1000))}
    topic = posts["ok:70000000210010:155000000000403"]
    assert topic.url == "https://ok.ru/group/70000000210010/topic/155000000000403"
    assert topic.text.startswith("На пр-те Победы у остановки «Рынок» яма")
    assert topic.author.name == "Геннадий Смирнов" and topic.author.id == "571277720013"
    assert not topic.author.official
    assert topic.metrics.likes == 58 and topic.metrics.reposts == 9 and topic.metrics.comments == 2
    assert [a.type for a in topic.attachments] == ["photo", "photo"]
    assert all(a.url and a.url.startswith("https://i.mycdn.me/") for a in topic.attachments)
    assert topic.created_at.tzinfo == timezone.utc
    link = posts["ok:70000000210010:155000000000406"].attachments
    assert [(a.type, a.url) for a in link] == [("link", "https://www.gosuslugi.ru/10700/1")]
    replies = [p for p in posts.values() if p.kind == "comment" and p.thread_root.endswith(":155000000000402")]
    answer = next(p for p in replies if p.author.official)
    assert answer.author.name == "Приреченск — наш город"
    thanks = next(p for p in replies if p.text == "Спасибо, будем ждать!")
    assert thanks.parent_id == answer.id and thanks.thread_root == "ok:70000000210010:155000000000402"


def test_comment_dates_written_in_moscow_time_are_stored_in_utc(crawl):
    result = crawl(SOURCE)
    stored = {p.id: p for p in result.store().search(Query(source_id=SOURCE, limit=1000))}
    topic = stored["ok:70000000210010:155000000000407"]  # created_ms: UTC by definition
    first = next(p for p in stored.values() if p.text == "Сама сегодня стояла, так и не попала")
    assert first.created_at - topic.created_at == timedelta(minutes=30)  # its minutes_after in the world


def test_second_crawl_reads_new_topics_and_changed_comments_only(crawl, site):
    crawl(SOURCE)
    site.control("reset")
    again = crawl(SOURCE)
    assert again.returncode == 0, again.output
    assert again.stat("indexer/new") == 0
    assert site.control("stats")["hits"]["/ok/fb.do"] == 1  # one page of topics, no comments
    site.control("advance", minutes=200)
    later = crawl(SOURCE)
    # the new topic and its comment, and a late comment on a topic inside the comment window
    assert later.stat("indexer/new") == 3
    assert site.control("stats")["hits"]["/ok/fb.do"] == 1 + 1 + 2  # the crawl before; topics; two discussions


def test_a_bad_signature_is_a_source_error_and_keeps_the_cursor(crawl, site):
    bad = crawl(SOURCE, OK_SECRET="not-the-secret")
    assert bad.returncode == 1 and f"source {SOURCE} failing" in bad.output, bad.output  # said, with exit 1
    assert bad.stat("ok/api_error/104") == 1
    assert bad.stat(f"source/{SOURCE}/errors/ok_error_104") == 1
    assert f"{SOURCE}: OK API error 104 in mediatopic.getTopics: PARAM_SIGNATURE : Invalid signature" in bad.output
    assert "not-the-secret" not in bad.output and "demo-ok-token" not in bad.output
    good = crawl(SOURCE)  # the cursor did not move: the whole window is read
    assert good.stat(f"source/{SOURCE}/posts") > 0 and good.stat(f"source/{SOURCE}/errors/ok_error_104") == 0


def test_an_expired_session_is_a_source_error_with_oks_message(crawl):
    result = crawl(SOURCE, OK_ACCESS_TOKEN="expired-token")
    assert result.stat(f"source/{SOURCE}/errors/ok_error_102") == 1
    assert "PARAM_SESSION_EXPIRED" in result.output and "expired-token" not in result.output


@pytest.mark.parametrize("missing", ["OK_APPLICATION_KEY", "OK_ACCESS_TOKEN", "OK_SECRET"])
def test_missing_credentials_skip_the_platform_with_the_reason(crawl, site, missing):
    result = crawl(SOURCE, **{missing: ""})
    assert f"{missing} not set" in result.output
    assert site.control("stats")["hits"].get("/ok/fb.do", 0) == 0


def test_the_secret_and_token_never_reach_the_log(crawl):
    result = crawl(SOURCE, LOG_LEVEL="DEBUG")  # credentials in the crawl's environment (conftest)
    assert result.stat(f"source/{SOURCE}/posts") > 0
    assert "demo-ok-secret" not in result.output and "demo-ok-token" not in result.output
    assert "/ok/fb.do>" in result.output  # each call is logged by its address alone


def test_a_backfill_brings_in_the_topic_older_than_the_first_window(crawl, site):
    first = crawl(SOURCE)
    welcome = "ok:70000000210010:155000000000401"
    assert welcome not in first.ids(source_id=SOURCE) and first.stat(f"source/{SOURCE}/older") == 1
    site.control("reset")
    backfill = crawl(SOURCE, options=["--since", "30d"])
    assert backfill.returncode == 0, backfill.output
    assert welcome in backfill.ids(source_id=SOURCE)


def test_a_group_ok_cannot_find_is_reported_and_the_other_groups_are_read(crawl, tmp_path):
    watchlist = tmp_path / "ok.yml"
    watchlist.write_text(
        "sources:\n"
        f"  - {{id: {SOURCE}, platform: ok, address: '70000000210010', name: Город, kind: city_group}}\n"
        "  - {id: ok_gone, platform: ok, address: 'https://ok.ru/group/70000000999999', name: Нет, kind: other}\n",
        encoding="utf-8")
    result = crawl(watchlist=watchlist)
    assert result.stat("source/ok_gone/errors/ok_error_300") == 1
    assert "ok_gone: OK API error 300 in mediatopic.getTopics: NOT_FOUND" in result.output
    assert result.stat(f"source/{SOURCE}/posts") > 0
