"""What the CLI prints carries no escape sequence or control character from a crawled page to the
operator's terminal: names, titles and texts are anyone's writing."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from indexer.schema import Author, Incident, Post, Territory
from indexer.sqlite.store import SqliteStore
from monitor.output import clean
from tests.conftest import ROOT

HOSTILE_NAME = "Иван\x1b[2J\x1b]0;pwned\x07 Петров"
HOSTILE_TEXT = "Нет воды\x9b31m на Речной\x85\x90q\x9c, \x1b]52;c;cm0gLXJmIH4=\x07третий день\r"
NOW = datetime.now(timezone.utc)


@pytest.mark.parametrize("text, shown", [
    ("a\x1b[2J\x1b]0;pwned\x07b", "ab"),  # clear the screen, retitle the window
    ("a\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),  # a hidden hyperlink
    ("a\x1bPq#0;2;0;0;0\x1b\\b", "ab"),  # a DCS string (sixel)
    ("a\x1b7\x1b(0b", "ab"),  # save the cursor, switch the character set
    ("x\x9b31my\x9d0;t\x07z", "xyz"),  # the 8-bit CSI and OSC
    ("a\x00b\x08c\x7fd\x85e", "abcde"),  # NUL, backspace, DEL, C1 NEL
    ("строка\r", "строка"),  # a carriage return would let the next text overwrite the line
    ("ok \u202eevil", "ok evil"),  # a right-to-left override
    ("Ёлка — «вода» №5 ✓\tи\nдалее", "Ёлка — «вода» №5 ✓\tи\nдалее"),  # text, tabs and newlines stay
])
def test_clean_drops_escapes_and_controls_and_keeps_text(text: str, shown: str) -> None:
    assert clean(text) == shown


def _store(path: Path) -> str:
    store = SqliteStore(path)
    try:
        post = Post(id="vk:1:1", platform="vk", source_id="vk_admin", kind="post", text=HOSTILE_TEXT,
                    title="Заголовок\x1b[1;31m", author=Author("1", HOSTILE_NAME), created_at=NOW,
                    url="https://vk.com/wall1_1\x1b[8m")
        store.upsert([post])
        store.upsert_incidents([Incident(
            id="inc-1", kind="complaint", queue="routing", opened_at=NOW, updated_at=NOW,
            deadline=NOW + timedelta(days=1), sector="utilities", title=HOSTILE_TEXT, post_ids=[post.id],
            body="Водоканал\x1b]0;pwned\x07", territory=Territory("Приреченск", None, "ул. Речная\x9b2J", None, None,
                                                                  None, "text"))])
    finally:
        store.close()
    return f"sqlite:///{path}"


def _monitor(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def _assert_clean(output: str) -> None:
    assert output.strip()
    assert clean(output) == output, repr(output)
    assert "pwned" not in output


def test_search_queue_and_incident_print_hostile_names_and_texts_clean(tmp_path: Path) -> None:
    store = _store(tmp_path / "monitor.db")
    found = _monitor("search", "воды", "--store", store)
    _assert_clean(found)
    assert "Иван Петров" in found and "Нет воды на Речной" in found
    queue = _monitor("queue", "routing", "--store", store)
    _assert_clean(queue)
    assert "inc-1" in queue and "Водоканал" in queue
    moved = _monitor("incident", "inc-1", "--status", "assigned", "--assignee", "Ольга\x1b[2J", "--history",
                     "--store", store)
    _assert_clean(moved)
    assert "inc-1: assigned, Ольга" in moved
