"""One validated loader for every watchlist; a bad file says file, source and field (exit 2)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from crawler.exceptions import WatchlistError
from crawler.watchlist import load_watchlist

ROOT = Path(__file__).resolve().parent.parent
GOOD_SOURCE = """\
  - id: vk_podslushano
    platform: vk
    address: podslushano_prirechensk
    name: Подслушано Приреченск
    kind: city_group
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "watchlist.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["demo.yml", "example-real.yml"])
def test_shipped_watchlists_load(name: str) -> None:
    watchlist = load_watchlist(ROOT / "watchlists" / name)
    assert watchlist.sources
    assert {s.platform for s in watchlist.sources} == {"vk", "telegram", "rss", "html", "rendered", "ok"}


@pytest.mark.parametrize("source, expected", [
    ("platform: facebook", "source 'x1' (#2): field 'platform': Input should be 'vk', 'telegram'"),
    ("kind: blogger", "source 'x1' (#2): field 'kind'"),
    ("priority: urgent", "source 'x1' (#2): field 'priority'"),
    ("address: ''", "source 'x1' (#2): field 'address'"),
    ("colour: red", "source 'x1' (#2): field 'colour': Extra inputs are not permitted"),
])
def test_a_bad_field_is_reported_with_file_source_and_field(tmp_path: Path, source: str, expected: str) -> None:
    fields = {"id": "x1", "platform": "vk", "address": "club1", "name": "X", "kind": "other"}
    key = source.split(":")[0]
    fields[key] = source.split(": ", 1)[1]
    lines = "\n".join(f"    {k}: {v}" for k, v in fields.items()).replace("    id:", "  - id:", 1)
    path = write(tmp_path, "sources:\n" + GOOD_SOURCE + lines + "\n")
    with pytest.raises(WatchlistError) as caught:
        load_watchlist(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert expected in str(caught.value)


@pytest.mark.parametrize("text, expected", [
    ("sources: [", "not valid YAML"),
    ("- just a list", "expected a mapping with 'sources'"),
    ("sources:\n" + GOOD_SOURCE + GOOD_SOURCE, "source id 'vk_podslushano' appears twice"),
    ("sources:\n  - {id: f, platform: html, address: /x, name: F, kind: other}",
     "platform html needs 'selectors'"),
    ("sources:\n  - {id: missing, platform: vk, name: M, kind: other}", "source 'missing' (#1): field 'address': Field required"),
])
def test_a_bad_file_is_reported(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(WatchlistError, match=None) as caught:
        load_watchlist(write(tmp_path, text))
    assert expected in str(caught.value)


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(WatchlistError, match="cannot read"):
        load_watchlist(tmp_path / "nope.yml")


def test_the_cli_stops_with_exit_code_2_and_the_message(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - {id: b, platform: myspace, address: a, name: B, kind: other}\n")
    proc = subprocess.run([sys.executable, "-m", "monitor", "crawl", "--watchlist", str(path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 2
    assert f"monitor crawl: {path}: source 'b' (#1): field 'platform'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_selecting_an_unknown_source_is_an_error() -> None:
    watchlist = load_watchlist(ROOT / "watchlists" / "demo.yml")
    with pytest.raises(WatchlistError, match="unknown source id"):
        watchlist.select(None, ["no_such_source"])
