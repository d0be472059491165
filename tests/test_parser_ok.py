"""OK API bodies to posts and comments, and the request signature.

No saved real OK API response under a free licence was found in public repositories, so the
bodies below are written in the shape the OK API reference documents (apiok.ru/dev/methods/rest/:
``media_topics`` with ``media`` blocks, ``author_ref``/``owner_ref``, ``created_ms``, summaries and
``entities``; ``comments`` with ``author_id``/``author_type``, ``date``, ``reply_to_comment_id``,
``like_count``; paging by ``anchor``/``has_more``). The signature is checked against the worked
example published with the aiookru client (konstantintogoi.github.io/aiookru/api).
"""

from __future__ import annotations

from datetime import datetime, timezone

from crawler.middlewares.ok_api import OkSigner
from crawler.parsers.ok import parse_comments, parse_topics

GID = "53038939046008"

TOPICS = {
    "media_topics": [
        {"id": "154791000000001", "created_ms": 1_700_000_000_000, "author_ref": "user:577000000001",
         "owner_ref": f"group:{GID}", "is_sticky": False,
         "media": [{"type": "text", "text": "Третий день нет воды на Мира 16.  "},
                   {"type": "photo", "photo_refs": ["group_photo:900001", "group_photo:900002"]},
                   {"type": "text", "text": "Куда звонить?"},
                   {"type": "link", "url": "https://example.org/news/1", "title": "Новости"}],
         "discussion_summary": {"comments_count": 2}, "like_summary": {"count": 7, "self": False},
         "reshare_summary": {"count": 1, "self": False}},
        {"id": "154791000000002", "created_ms": 1_699_000_000_000, "author_ref": f"group:{GID}",
         "owner_ref": f"group:{GID}", "on_top": True, "media": [{"type": "text", "text": "Правила группы"}]},
        {"id": "154791000000003", "media": []},  # no created_ms: a problem, not a crash
    ],
    "entities": {
        "groups": [{"uid": GID, "name": "Наш город", "ref": f"group:{GID}"}],
        "users": [{"uid": "577000000001", "first_name": "Нина", "last_name": "Орлова", "ref": "user:577000000001"}],
        "group_photos": [{"id": "900001", "ref": "group_photo:900001", "pic640x480": "https://i.mycdn.me/i?r=A"},
                         {"id": "900002", "ref": "group_photo:900002", "pic_max": "https://i.mycdn.me/i?r=B"}],
    },
    "anchor": "LTE3MDAwMDAwMDAwMDA", "has_more": True,
}

COMMENTS = {
    "comments": [
        {"id": "MTcwMDAwMDAwMDAwMQ", "date": "2023-11-15 01:30:00", "author_id": "577000000002",
         "author_type": "USER", "text": " Тоже без воды ", "like_count": 3},
        {"id": "MTcwMDAwMDAwMDAwMg", "date": "2023-11-15 02:00:00", "author_id": GID, "author_type": "GROUP",
         "text": "Передали в аварийную службу", "reply_to_comment_id": "MTcwMDAwMDAwMDAwMQ",
         "reply_to_id": "577000000002", "like_count": 0},
    ],
    "entities": {"users": [{"uid": "577000000002", "name": "Олег Н."}], "groups": [{"uid": GID, "name": "Наш город"}]},
    "anchor": "MTcwMDAwMDAwMDAwMg", "has_more": False,
}


def test_a_topic_reads_as_its_text_blocks_with_photos_and_links_as_attachments() -> None:
    page = parse_topics(TOPICS, "ok_test", GID)
    topic = page.entries[0].post
    assert topic.id == f"ok:{GID}:154791000000001" and topic.kind == "post" and topic.platform == "ok"
    assert topic.text == "Третий день нет воды на Мира 16.\n\nКуда звонить?"
    assert [(a.type, a.url) for a in topic.attachments] == [
        ("photo", "https://i.mycdn.me/i?r=A"), ("photo", "https://i.mycdn.me/i?r=B"),
        ("link", "https://example.org/news/1")]
    assert topic.created_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
    assert (topic.author.id, topic.author.name, topic.author.official) == ("577000000001", "Нина Орлова", False)
    assert (topic.metrics.likes, topic.metrics.reposts, topic.metrics.comments) == (7, 1, 2)
    assert topic.url == f"https://ok.ru/group/{GID}/topic/154791000000001"


def test_the_groups_own_pinned_topic_is_official_and_marked_pinned() -> None:
    entry = parse_topics(TOPICS, "ok_test", GID).entries[1]
    assert entry.pinned and entry.post.author.official and entry.post.author.name == "Наш город"


def test_a_broken_topic_is_a_problem_and_the_page_still_reads() -> None:
    page = parse_topics(TOPICS, "ok_test", GID)
    assert len(page.entries) == 2 and page.anchor == "LTE3MDAwMDAwMDAwMDA" and page.has_more
    assert page.problems == ["mediatopic.getTopics: unreadable topic 154791000000003: KeyError('created_ms')"]


def test_a_body_without_topics_is_a_problem() -> None:
    assert parse_topics([], "ok_test", GID).problems == ["mediatopic.getTopics: body has no media_topics list"]


def test_comment_dates_in_moscow_time_become_utc_and_replies_keep_their_parent() -> None:
    page = parse_comments(COMMENTS, "ok_test", GID, "154791000000001")
    first, answer = page.comments
    root = f"ok:{GID}:154791000000001"
    assert first.created_at == datetime(2023, 11, 14, 22, 30, tzinfo=timezone.utc)
    assert first.text == "Тоже без воды" and first.author.name == "Олег Н." and first.metrics.likes == 3
    assert first.parent_id == root and first.thread_root == root
    assert answer.parent_id == first.id and answer.id == f"{root}:MTcwMDAwMDAwMDAwMg"
    assert answer.author.official and answer.author.name == "Наш город"
    assert not page.has_more and not page.problems


def test_the_signature_matches_the_published_worked_example() -> None:
    signer = OkSigner("ABCDEFGHIGKLMNOPK", "-s-84W-s3egarWUsbkq-IWTucuedzTKT8VUXIA.s4Xx8IW7", "ABC123DEF456GHI789JKL123")
    signed = signer.sign({"method": "events.get"})
    assert signed["sig"] == "232c8eb921951c4dba9b72606f9ddb4c"
    assert signed["application_key"] == "ABCDEFGHIGKLMNOPK" and signed["format"] == "json"
    assert "ABC123DEF456GHI789JKL123" not in repr(signer) and "s4Xx8IW7" not in repr(signer)
