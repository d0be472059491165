"""VK walls and comments through the API shapes the replay site serves, including VK's errors."""

from __future__ import annotations

from indexer.store import Query
from replay.world import load_world


def test_walls_posts_comments_and_threads_are_stored(crawl):
    result = crawl("vk_governor", "vk_admin")
    assert result.returncode == 0, result.output
    world = load_world()
    store = result.store()
    for source_id in ("vk_governor", "vk_admin"):
        page = world.pages[source_id]
        visible = [p for p in page.posts if p.at <= world.now]
        comments = sum(world.count_comments(p) for p in visible)
        assert store.count(Query(source_id=source_id, kind="post")) == len(visible)
        assert store.count(Query(source_id=source_id, kind="comment")) == comments
    replies = [c for c in store.search(Query(source_id="vk_governor", kind="comment", limit=10_000))
               if c.parent_id != c.thread_root]
    assert replies, "thread replies are read"
    assert any(r.author.official and r.author.name == "Губернатор Приреченской области" for r in replies)


def test_post_fields_follow_the_schema(crawl):
    result = crawl("vk_admin")
    post = result.store().search(Query(source_id="vk_admin", kind="post", limit=1))[0]
    owner, number = post.id.split(":")[1:]
    assert post.id == f"vk:-210004:{number}" and owner == "-210004"
    assert post.url == f"https://vk.com/wall-210004_{number}"
    assert post.author.official and post.metrics.likes is not None and post.metrics.views
    assert post.created_at.tzinfo is not None and post.language == "ru"


def test_error_6_in_a_200_body_is_retried_with_backoff_and_counted(crawl):
    result = crawl("vk_governor")
    assert result.stat("vk/api_error/6") == 1
    assert result.stat("retry/reason_count/vk_error_6") == 1
    assert result.stat("source/vk_governor/errors/vk_error_6") == 0  # recovered


def test_a_private_page_is_marked_unavailable_and_the_crawl_goes_on(crawl):
    result = crawl("vk_closed", "vk_admin")
    assert result.stat("vk/api_error/30") == 1
    assert result.stat("source/vk_closed/errors/vk_error_30") == 1
    assert "vk_closed: source unavailable: VK API error 30" in result.output
    assert result.stat("source/vk_admin/posts") > 0


def test_a_token_over_its_daily_quota_is_retired_and_another_used(crawl):
    result = crawl("vk_admin", VK_TOKENS="quota-spent,good-token")
    assert result.stat("vk/api_error/29") == 1  # once: the token is not tried again
    assert result.stat("source/vk_admin/posts") > 0
    assert "quota-spent" not in result.output and "good-token" not in result.output


def test_with_no_working_token_every_request_is_counted_not_crashed(crawl):
    result = crawl("vk_admin", VK_TOKENS="bad-token")
    assert result.returncode == 1 and "Traceback" not in result.output  # the source was not read: said
    assert "monitor crawl: source vk_admin failing: no request answered 2xx (vk_no_token ×1)" in result.output
    assert result.stat("vk/api_error/5") == 1
    assert result.stat("source/vk_admin/errors/vk_no_token") == 1


def test_second_crawl_reads_new_posts_and_changed_comments_only(crawl, site):
    crawl("vk_admin")
    site.control("reset")
    again = crawl("vk_admin")
    assert again.stat("indexer/new") == 0
    assert site.control("stats")["hits"].get("/vk/method/wall.getComments", 0) == 0
    site.control("advance", minutes=200)
    later = crawl("vk_admin")
    assert later.stat("indexer/new") > 0
    hits = site.control("stats")["hits"]
    assert hits["/vk/method/wall.get"] == 2 and hits.get("/vk/method/wall.getComments", 0) >= 1


def test_a_body_orjson_refuses_but_json_reads_is_still_a_page() -> None:
    import asyncio

    from scrapy import Request
    from scrapy.http import TextResponse

    from crawler.middlewares.vk_api import VkApiMiddleware

    middleware = VkApiMiddleware(None, ["token"], "5.199", 1, 0.0, 0.0)  # type: ignore[arg-type]
    request = Request("http://127.0.0.1/vk/method/wall.get", meta={"vk_method": "wall.get"})
    body = b'{"response": {"count": 1, "items": [{"id": 1, "text": "broken emoji \\ud83d"}]}}'
    response = TextResponse(request.url, body=body, request=request)
    assert asyncio.run(middleware.process_response(request, response)) is response
    assert request.meta["vk_response"]["items"][0]["text"] == "broken emoji \ud83d"


def test_real_wall_bodies_are_stored_as_read_with_their_reposts_originals(real_crawl):
    result = real_crawl("vk_real")
    assert result.returncode == 0, result.output
    store = result.store()
    posts = {p.id: p for p in store.search(Query(source_id="vk_real", limit=100))}
    assert sum(p.kind == "post" for p in posts.values()) == 7
    comments = {p.text for p in posts.values() if p.kind == "comment"}
    assert "Поздравляю вас!!!\nРастите здоровыми, счастливыми и красивыми!" in comments
    repost = posts["vk:10:41"]
    assert repost.text == "" and repost.origin is not None and repost.origin.author.name == "Корпорация Зла"
    assert repost.origin.attachments[0].url == "http://cs413130.vk.me/v413130344/9565/jCLiluawfXE.jpg"
    assert posts["vk:-83038692:24383"].origin.text == "Model: jeong.woo.joo"
    assert [p.id for p in store.search(Query(text="храм"))] == ["vk:1563369:1164"]  # the original's words
    assert not store.search(Query(text="br"))
