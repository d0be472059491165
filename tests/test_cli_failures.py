"""Every command over a store it cannot reach or read says what failed and where in one line, with
exit code 1 and no traceback; a reader that closes the output early ends a command quietly."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from indexer.schema import Post
from indexer.sqlite.store import SqliteStore
from tests.conftest import ROOT
from tests.support.es_double import ElasticsearchDouble
from tests.support.http_double import HttpDouble

COMMANDS = [
    ["search", "вода"],
    ["queue", "routing"],
    ["incident", "routing-1", "--status", "closed"],
    ["review", "factcheck-1", "--verdict", "fake"],
    ["review", "--export", "reviews.jsonl"],
    ["detect"],
    ["spikes"],
]


def monitor(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore",
                                            **env})


def one_line_failure(done: subprocess.CompletedProcess[str], command: str, *where: str) -> str:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"monitor {command}: "), done.stderr
    assert all(part in lines[0] for part in where), lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def refusing_url() -> str:
    """An Elasticsearch URL with credentials where nothing listens (a port this test let go)."""
    double = HttpDouble()
    double.start()
    double.stop()
    return f"http://monitor:s3cret@127.0.0.1:{double.port}"


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_cluster_that_refuses_connections_is_one_line_naming_it_without_credentials(
        args: list[str], refusing_url: str, tmp_path: Path) -> None:
    done = monitor(*args, "--store", refusing_url, cwd=tmp_path)
    line = one_line_failure(done, args[0], refusing_url.replace("monitor:s3cret@", ""), "connection refused")
    assert "s3cret" not in line


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_damaged_sqlite_file_is_one_line_naming_it(args: list[str], tmp_path: Path) -> None:
    path = tmp_path / "monitor.db"
    path.write_bytes(b"not a database, a file cut short " * 200)
    done = monitor(*args, "--store", f"sqlite:///{path}", cwd=tmp_path)
    one_line_failure(done, args[0], str(path), "file is not a database")


def test_a_store_path_that_cannot_be_a_file_is_one_line_naming_it(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    one_line_failure(monitor("search", "--store", f"sqlite:///{folder}"), "search", str(folder),
                     "unable to open database file")
    inside_a_file = tmp_path / "a-file" / "monitor.db"
    inside_a_file.parent.write_text("")
    one_line_failure(monitor("queue", "routing", "--store", str(inside_a_file)), "queue", str(inside_a_file))


def test_a_reader_that_closes_the_output_early_ends_search_quietly(tmp_path: Path) -> None:
    """``monitor search ... | head -1``: output far larger than the pipe's buffer, the reader gone
    after one line: exit code 0, nothing on stderr."""
    store = SqliteStore(tmp_path / "monitor.db")
    store.upsert([Post(id=f"vk:-1:{n}", platform="vk", source_id="vk_x", kind="post", text="Нет воды " * 30,
                       created_at=datetime(2026, 11, 20, 9, tzinfo=timezone.utc)) for n in range(1, 2001)])
    store.close()
    for output in (["--json"], []):
        reading = subprocess.Popen([sys.executable, "-m", "monitor", "search", "--limit", "2000", *output,
                                    "--store", f"sqlite:///{tmp_path / 'monitor.db'}"], cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert reading.stdout is not None and reading.stderr is not None
        assert reading.stdout.readline()
        reading.stdout.close()
        assert reading.wait(timeout=60) == 0
        assert reading.stderr.read() == b""
        reading.stderr.close()


def test_search_signs_in_with_the_credentials_from_the_environment(tmp_path: Path) -> None:
    with ElasticsearchDouble(users={"monitor": "s3cret"}) as es:
        signed = monitor("search", "вода", "--store", es.url, ES_USERNAME="monitor", ES_PASSWORD="s3cret")
        assert signed.returncode == 0 and "0 found in" in signed.stdout, signed.stderr
        basic = "Basic " + base64.b64encode(b"monitor:s3cret").decode()
        assert es.requests and all(r.headers.get("authorization") == basic for r in es.requests)

        queue = monitor("queue", "routing", "--store", es.url, ES_USERNAME="monitor", ES_PASSWORD="s3cret")
        assert queue.returncode == 0 and "the queue is empty" in queue.stdout, queue.stderr

        anonymous = monitor("search", "вода", "--store", es.url, ES_USERNAME="", ES_PASSWORD="")
        one_line_failure(anonymous, "search", es.url, "HTTP 401", "ES_USERNAME/ES_PASSWORD")
        wrong = monitor("search", "вода", "--store", es.url, ES_USERNAME="monitor", ES_PASSWORD="wrong")
        assert "wrong" not in one_line_failure(wrong, "search", es.url, "HTTP 401")
