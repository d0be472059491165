"""The Telegram parser on real t.me/s markup (tests/fixtures/real/telegram, see its README): text
as a browser shows it, links kept, photos, videos and link previews, forwards with their origin."""

from __future__ import annotations

from pathlib import Path

import pytest
from parsel import Selector

from crawler.parsers.telegram import parse_channel_page, rendered_text
from indexer.schema import Post

REAL = Path(__file__).parent / "fixtures" / "real" / "telegram"
TEXT = '<div class="tgme_widget_message_text js-message_text" dir="auto">{}</div>'


def channel(name: str, username: str) -> dict[str, Post]:
    page = parse_channel_page((REAL / name).read_text(encoding="utf-8"), username, "tg_real")
    assert page.problems == []
    return {post.id.rsplit(":", 1)[1]: post for post in page.posts}


@pytest.fixture(scope="module")
def tchantest() -> dict[str, Post]:
    return channel("tchantest.html", "tchantest")


@pytest.mark.parametrize("html, shown", [
    ("Дым над\n              городом<br/>Вторая строка", "Дым над городом\nВторая строка"),
    ("Channel created\n              ", "Channel created"),
    ("  начало <b>жирное</b>  и\tконец ", "начало жирное и конец"),
    ("строка<br/>\n   <br/>после пустой", "строка\n\nпосле пустой"),
    ("&quot;в кавычках&quot; &amp; &#33;", '"в кавычках" & !'),
    ('см. <a href="https://example.org/a">здесь</a>', "см. здесь (https://example.org/a)"),
    ('<a href="https://brasil.io/">https://brasil.io/</a>', "https://brasil.io/"),
    ('<a href="?q=%23ЖКХ">#ЖКХ</a> и всё', "#ЖКХ и всё"),
    ('<a href="http://bit.ly/x">ссылка<br/></a>дальше', "ссылка (http://bit.ly/x)\nдальше"),
    ("<pre>код\n  с отступом</pre>после", "код\n  с отступом\nпосле"),
])
def test_text_reads_as_a_browser_shows_it(html: str, shown: str) -> None:
    assert rendered_text(Selector(text=TEXT.format(html)).css("div")[0]) == shown


def test_real_messages_lose_tags_entities_and_the_sources_whitespace(tchantest: dict[str, Post]) -> None:
    assert tchantest["82"].text == '+ "Channel video changed"'  # &quot; and the source's "\n   " before </div>
    assert tchantest["5"].text == "Hello! Signed and edited message"  # &#33;
    assert tchantest["62"].text == "Bigger\ntext\nmessage\nnumber\n34"  # <br/> only
    assert tchantest["14"].text == "Multiple pics"
    assert all("<" not in p.text and "&" not in p.text and not p.text.endswith(" ") for p in tchantest.values())


def test_links_are_kept_as_text_with_their_url(tchantest: dict[str, Post]) -> None:
    assert tchantest["24"].text == "This is a message with a link\n\nhttps://brasil.io/"
    long = channel("camaradosdeputados.html", "CamaradosDeputados")["7334"].text
    assert "🔸 Projeto que aumenta penas para crimes sexuais contra crianças (http://bit.ly/3Tq1C4G)\n" \
           "#Punição_ampliada\n🗳 Opine sobre esta proposta clicando aqui! (http://bit.ly/3PCX1vn)\n____" in long


def test_photos_videos_and_link_previews_have_their_urls(tchantest: dict[str, Post]) -> None:
    def shown(number: str) -> list[tuple[str, str, str | None]]:
        return [(a.type, (a.url or "")[:40], a.title) for a in tchantest[number].attachments]

    assert shown("16") == [("photo", "https://cdn1.telegram-cdn.org/file/AqX5Q", None)]
    assert shown("14") == [("photo", "https://cdn1.telegram-cdn.org/file/QMvda", None),
                           ("photo", "https://cdn1.telegram-cdn.org/file/CrsaR", None)]
    assert shown("18") == [("video", "https://cdn1.telegram-cdn.org/file/WiZBM", None)]  # the thumbnail, not the .mp4
    assert shown("81") == [("link", "https://www.python.org/", "Welcome to Python.org")]
    preview = tchantest["94"].attachments[0]
    assert preview.url == tchantest["94"].text  # the page the message links to
    assert preview.title == "Operação Guardiões do Bioma apreende 23,9 toneladas de minério"


def test_a_forward_keeps_its_origin_and_the_channel_stays_the_author(tchantest: dict[str, Post]) -> None:
    forward = tchantest["89"]
    assert (forward.author.id, forward.author.name, forward.author.official) == (
        "tchantest", "tchan's test channel 👍", False)
    assert forward.origin is not None and forward.text == ";)"
    assert (forward.origin.author.id, forward.origin.author.name) == ("some_user", "Some user")
    assert (forward.origin.url, forward.origin.id) == ("https://t.me/some_user", None)  # a user: no message link
    assert all(p.origin is None and p.author.official for n, p in tchantest.items() if n != "89")


@pytest.mark.parametrize("header, origin_id, author_id, url", [
    ('<a class="tgme_widget_message_forwarded_from_name" href="https://t.me/prirechensk_news/123">'
     '<span dir="auto">Новости Приреченска</span></a>',
     "telegram:prirechensk_news:123", "prirechensk_news", "https://t.me/prirechensk_news/123"),
    ('<span class="tgme_widget_message_forwarded_from_name" dir="auto">Скрытый автор</span>', None, None, None),
])
def test_a_forward_from_a_channel_gets_the_originals_id(header: str, origin_id: str | None, author_id: str | None,
                                                        url: str | None) -> None:
    html = (REAL / "tchantest.html").read_text(encoding="utf-8").replace(
        '<a class="tgme_widget_message_forwarded_from_name" href="https://t.me/some_user">'
        '<span dir="auto">Some user</span></a>', header)
    origin = parse_channel_page(html, "tchantest", "tg_real").posts[4].origin
    assert origin is not None and (origin.id, origin.author.id, origin.url) == (origin_id, author_id, url)
    assert origin.author.name in ("Новости Приреченска", "Скрытый автор")
