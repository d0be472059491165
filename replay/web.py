"""Web pages of the world: an old city forum (windows-1251) and a board built by JavaScript.

The forum lists topics newest first, ten to a page, with a "next" link; each topic has its own page
with the replies. The board at ``/board/`` is an empty shell until its script fetches
``/board/api/appeals.json`` and builds the list, so only a browser (the ``rendered`` spider) sees it.
"""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from html import escape

from replay.world import Message, Page, World

MSK = timezone(timedelta(hours=3))
FORUM_PAGE = 10
BOARD_PAGE = 12


def forum_listing(world: World, page: Page, number: int, broken_date_id: int | None) -> tuple[str, bool]:
    """The listing page ``number`` (1-based) and whether it exists."""
    topics = list(reversed(world.posts(page.id)))
    chunk = topics[(number - 1) * FORUM_PAGE:number * FORUM_PAGE]
    if not chunk and number > 1:
        return "", False
    rows = "\n".join(_topic_row(world, t, broken_date_id) for t in chunk)
    more = len(topics) > number * FORUM_PAGE
    nav = f'<a class="next" href="?page={number + 1}">Следующая &raquo;</a>' if more else ""
    return _forum_doc(page.title, f"""
<h1 class="forum-title">{escape(page.title)}</h1>
<table class="forumline" cellspacing="1">
<tr><th>Тема</th><th>Автор</th><th>Ответов</th><th>Создана</th></tr>
{rows}
</table>
<div class="pagination">Страница {number} {nav}</div>"""), True


def _topic_row(world: World, t: Message, broken: int | None) -> str:
    date = "32.13.2026 25:61" if t.id == broken else _msk(t)
    return f"""<tr class="topic-row" data-topic-id="{t.id}">
<td class="topic"><a class="topictitle" href="/forum/topic/{t.id}.html">{escape(t.title)}</a>
<div class="topic-body">{_paragraphs(t.body or t.title)}</div></td>
<td class="author"><a class="username" href="/forum/user/{t.author_id}">{escape(t.author_name or 'Гость')}</a></td>
<td class="replies">{world.count_comments(t)}</td>
<td class="postdate">{date}</td>
</tr>"""


def forum_topic(world: World, page: Page, topic_id: int, pad_to: int = 0) -> str | None:
    topic = next((t for t in world.posts(page.id) if t.id == topic_id), None)
    if topic is None:
        return None
    posts = [_forum_post(topic, "post first")]
    posts += [_forum_post(r, "post reply") for r in world.comments(topic)]
    padding = ""
    if pad_to:
        quote = "Цитата из правил форума: не флудите, пишите по делу. " * 64
        padding = "<div class=\"signature\">" + (quote + "\n") * (pad_to // len(quote.encode("cp1251")) + 1) + "</div>"
    return _forum_doc(topic.title, f"""
<h1 class="topic-title">{escape(topic.title)}</h1>
<div class="posts">
{chr(10).join(posts)}
</div>{padding}""")


def _forum_post(m: Message, css: str) -> str:
    text = m.body if css == "post first" else m.text
    return f"""<div class="{css}" id="p{m.id}">
<div class="post-head"><span class="post-author">{escape(m.author_name or 'Гость')}</span>
<span class="post-date">{_msk(m)}</span></div>
<div class="post-text">{_paragraphs(text or m.title)}</div>
</div>"""


def _msk(m: Message) -> str:
    return m.at.astimezone(MSK).strftime("%d.%m.%Y %H:%M")


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in text.strip().split("\n\n"))


def _forum_doc(title: str, body: str) -> str:
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">
<title>{escape(title)} :: Форум Приреченска</title></head>
<body><div id="wrap">{body}
</div><div class="copyright">Форум Приреченска &copy; 2006-2026</div></body></html>"""


def board_shell(title: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="ru"><head><meta charset="utf-8"><title>{escape(title)}</title></head>
<body><h1>{escape(title)}</h1>
<div id="app"><p class="loading">Загрузка…</p></div>
<script>
setTimeout(function () {{
  var params = new URLSearchParams(location.search);
  var appeal = location.pathname.match(/appeal\\/(\\d+)/);
  var url = appeal ? "/board/api/appeal/" + appeal[1] + ".json"
                   : "/board/api/appeals.json?page=" + (params.get("page") || "1");
  fetch(url).then(function (r) {{ return r.json(); }}).then(function (data) {{
    var app = document.getElementById("app");
    app.innerHTML = "";
    (data.items || []).forEach(function (it) {{
      var el = document.createElement("article");
      el.className = it.answer ? "answer" : "appeal";
      el.dataset.id = it.id;
      el.innerHTML = (it.title ? '<h3><a href="/board/appeal/' + it.id + '"></a></h3>' : '')
        + '<div class="appeal-text"></div>'
        + '<span class="appeal-address"></span> <span class="appeal-author"></span> '
        + '<time datetime="' + it.created + '"></time>'
        + (it.answer ? '' : ' <span class="appeal-answers">' + (it.answers || 0) + '</span>');
      if (it.title) el.querySelector("h3 a").textContent = it.title;
      el.querySelector(".appeal-text").textContent = it.text;
      el.querySelector(".appeal-address").textContent = it.address || "";
      el.querySelector(".appeal-author").textContent = it.author || "";
      el.querySelector("time").textContent = new Date(it.created).toLocaleString("ru-RU");
      app.appendChild(el);
    }});
    if (data.next) {{
      var a = document.createElement("a");
      a.className = "next-page"; a.href = "/board/?page=" + data.next; a.textContent = "Дальше";
      app.appendChild(a);
    }}
    document.body.setAttribute("data-ready", "1");
  }});
}}, 200);
</script></body></html>"""


def board_appeals(world: World, page: Page, number: int) -> str:
    appeals = list(reversed(world.posts(page.id)))
    chunk = appeals[(number - 1) * BOARD_PAGE:number * BOARD_PAGE]
    items = [{"id": a.id, "title": a.title, "text": a.body or a.title,
              "address": a.label.get("address"), "author": a.author_name,
              "answers": world.count_comments(a),
              "created": a.at.isoformat()} for a in chunk]
    more = len(appeals) > number * BOARD_PAGE
    return json.dumps({"items": items, "next": number + 1 if more else None}, ensure_ascii=False)


def board_appeal(world: World, page: Page, appeal_id: int) -> str | None:
    appeal = next((a for a in world.posts(page.id) if a.id == appeal_id), None)
    if appeal is None:
        return None
    items = [{"id": appeal.id * 1000 + c.id, "answer": True, "text": c.text.strip(),
              "author": c.author_name, "created": c.at.isoformat()} for c in world.comments(appeal)]
    return json.dumps({"items": items}, ensure_ascii=False)
