"""Credentials never leak: a scheduled crawl of the demo region with every secret configured, then
the staff's commands, leave none of them in output, logs, state files or a child's command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawler.process import project_settings
from crawler.scheduler import Scheduler, child_environment, public_args
from replay.process import ReplayProcess
from tests.conftest import ROOT
from tests.support.es_double import ElasticsearchDouble
from tests.support.http_double import HttpDouble, Request, Response

# Fake but distinctive: any of these found anywhere is a leak.
SECRETS = {
    "VK_TOKENS": "vk-leak-7f3a9c1e,vk-leak-2b8d4e6f",
    "OK_ACCESS_TOKEN": "ok-leak-token-5c7e9a1b",
    "OK_APPLICATION_KEY": "OKLEAKAPPKEY3D5F",
    "OK_SECRET": "demo-ok-secret",  # the one the replay site signs with
    "ES_USERNAME": "monitor_writer",
    "ES_PASSWORD": "es-leak-password-4e6a8c0b",
    "MONITOR_TELEGRAM_BOT_TOKEN": "123456:tg-leak-bot-token-9d1f3b5e",
    "MONITOR_TELEGRAM_CHAT_ID": "42",
}
WEBHOOK_TOKEN = "hook-leak-token-6a8c0e2f"
ES_URL_PASSWORD = "es-url-leak-password-1c3e5a7b"
WATCHED = ["vk_governor", "ok_prirechensk", "tg_news", "rss_gov"]


def _leaks() -> list[str]:
    values = [v for name, v in SECRETS.items() if name not in ("ES_USERNAME", "MONITOR_TELEGRAM_CHAT_ID")]
    return [part for value in values for part in value.split(",")] + [WEBHOOK_TOKEN, ES_URL_PASSWORD]


class RefusingReceiver(HttpDouble):
    """A webhook and Telegram API that is down: every request answers 503, so each is logged."""

    def handle(self, request: Request) -> Response:
        return Response(503, b'{"ok": false}')


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def _monitor(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *args], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env=env)


def _watchlist(tmp_path: Path) -> Path:
    demo = yaml.safe_load((ROOT / "watchlists" / "demo.yml").read_text(encoding="utf-8"))
    demo["sources"] = [{**s, "priority": "high"} for s in demo["sources"] if s["id"] in WATCHED]
    path = tmp_path / "watchlist.yml"
    path.write_text(yaml.safe_dump(demo, allow_unicode=True), encoding="utf-8")
    return path


def _schedule(tmp_path: Path, site: ReplayProcess, env: dict[str, str], hook: str,
              receiver: str) -> tuple[str, list[str]]:
    """``monitor schedule`` until each source ran and a detect and a spikes run were made; its log
    and the command lines of every child it started."""
    overrides: dict[str, Any] = {
        name: value for name, value in site.crawl_settings("sqlite:///var/monitor.db").items()
        if name not in ("WATCHLIST", "VK_TOKENS", "OK_ACCESS_TOKEN", "OK_APPLICATION_KEY", "OK_SECRET")}
    overrides.update(SCHEDULE_TICK=0.2, SCHEDULE_DETECT_INTERVAL=4, SCHEDULE_SPIKES_INTERVAL=3600,
                     SCHEDULE_INTERVALS='{"high": 60, "normal": 60, "low": 60}', INCIDENTS_WEBHOOK_RETRIES=0,
                     SPIKES_TELEGRAM_API_URL=receiver, LOG_LEVEL="INFO",
                     INCIDENTS_WEBHOOK_URL=hook)  # a secret on the scheduler's own command line
    args = [sys.executable, "-m", "monitor", "schedule", "--watchlist", str(_watchlist(tmp_path)),
            "--store", "sqlite:///var/monitor.db"]
    for name, value in overrides.items():
        args += ["-s", f"{name}={value}"]
    argvs: set[str] = set()
    log = tmp_path / "schedule.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path, env=env)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                argvs.update(_cmdline(pid) for pid in _descendants(proc.pid))
                text = log.read_text(encoding="utf-8", errors="replace")
                if text.count("run source=") >= len(WATCHED) and "run detect: " in text:
                    break
                time.sleep(0.1)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0, log.read_text(encoding="utf-8", errors="replace")
        finally:
            proc.kill()
    return log.read_text(encoding="utf-8", errors="replace"), sorted(argvs)


def test_a_scheduled_crawl_and_the_staff_commands_leak_no_configured_secret(
        replay: ReplayProcess, tmp_path: Path) -> None:
    replay.control("reset")
    env = {**os.environ, **SECRETS, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
    with RefusingReceiver() as receiver, ElasticsearchDouble(users={"elastic": ES_URL_PASSWORD}) as es:
        hook = f"{receiver.url}/hook/{WEBHOOK_TOKEN}?token={WEBHOOK_TOKEN}"
        log, argvs = _schedule(tmp_path, replay, env, hook, receiver.url)
        outputs = [log]
        for args in (["queue", "routing"], ["queue", "factcheck"], ["search", "вода"], ["sources"],
                     ["spikes", "--since", "8d", "-s", f"SPIKES_TELEGRAM_API_URL={receiver.url}",
                      "-s", "INCIDENTS_WEBHOOK_RETRIES=0"]):
            done = _monitor(tmp_path, {**env, "MONITOR_WEBHOOK_URL": hook}, *args)
            outputs += [done.stdout, done.stderr]
        es_url = es.url.replace("http://", f"http://elastic:{ES_URL_PASSWORD}@")
        for args in (["incident", "routing-1", "--status", "closed"], ["review", "factcheck-1", "--verdict", "fake"],
                     ["queue", "routing"]):
            done = _monitor(tmp_path, env, *args, "--store", es_url)
            outputs += [done.stdout, done.stderr]
        assert es.requests, "the staff commands should have reached the Elasticsearch double"
        webhook_calls = [r.path for r in receiver.requests]
    assert "run source=vk_governor" in log and "run detect:" in log and "Traceback" not in log
    assert any(WEBHOOK_TOKEN in path for path in webhook_calls), "the webhook should have been called"
    assert any("/bot" in path for path in webhook_calls), "the Telegram sink should have been called"
    children = [argv for argv in argvs if " monitor " in argv]
    assert any(" crawl " in argv for argv in children) and any("--serve" in argv for argv in children)
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.suffix == ".log" for path in files) and any("outbox" in str(path) for path in files)
    written = [path for path in (tmp_path / "var").rglob("*") if path.is_file()]
    assert {"monitor.db", "incidents.jsonl", "detect.log"} <= {path.name for path in written}
    for path in written:  # the store, its -wal and -shm, state, limits, outboxes, logs
        assert path.stat().st_mode & 0o777 == 0o600, f"{path} is {oct(path.stat().st_mode & 0o777)}"
    for secret in _leaks():
        for argv in children:
            assert secret not in argv, f"{secret} on a child's command line: {argv}"
        for text in outputs:
            assert secret not in text, f"{secret} printed or logged"
        for path in files:
            if path.name != "watchlist.yml":
                assert secret.encode() not in path.read_bytes(), f"{secret} written to {path}"


def test_a_scheduler_child_gets_its_credentials_in_its_environment_only(tmp_path: Path) -> None:
    store = "http://monitor_writer:es-url-leak@127.0.0.1:9200"
    settings = project_settings({"WATCHLIST": "", "INDEXER_STORE_URL": store, "VK_TOKENS": ["vk-a", "vk-b"],
                                 "SPIKES_TELEGRAM_TOKEN": "tg-token"})
    args = ["-s", "VK_TOKENS=vk-a,vk-b", "-s", "LOG_LEVEL=INFO", "--store", store, "-s", "SPIKES_TELEGRAM_TOKEN=tg-token"]
    assert public_args(args) == ["-s", "LOG_LEVEL=INFO"]
    env = child_environment(settings)
    assert env["MONITOR_STORE_URL"] == store and env["VK_TOKENS"] == "vk-a,vk-b"
    assert env["MONITOR_TELEGRAM_BOT_TOKEN"] == "tg-token"
    scheduler = Scheduler(settings, args)
    assert scheduler.crawl_args == ["-s", "LOG_LEVEL=INFO"]


@pytest.mark.parametrize("url, shown", [
    ("https://hooks.example.org/services/T0/B0/secret-token", "https://hooks.example.org"),
    ("http://user:pw@127.0.0.1:8080/hook?token=abc", "http://127.0.0.1:8080"),
    ("https://api.telegram.org/bot123:ABC/sendMessage", "https://api.telegram.org"),
])
def test_a_sink_logs_its_host_only(url: str, shown: str) -> None:
    from detector.incidents.sinks import shown_url

    assert shown_url(url) == shown


def _verifies(url: str, options: dict[str, Any]) -> bool:
    from indexer.elastic.client import connect

    client = connect(url, options)
    try:
        return bool(client.transport.node_pool.all()[0].config.verify_certs)
    finally:
        client.close()


def test_the_elasticsearch_client_checks_the_certificate_by_default() -> None:
    from monitor.settings import load_settings

    assert _verifies("https://127.0.0.1:9200", dict(load_settings()))
    assert _verifies("https://127.0.0.1:9200", {"INDEXER_ES_VERIFY_CERTS": "true"})


def test_only_an_explicit_false_turns_the_certificate_check_off(caplog: pytest.LogCaptureFixture) -> None:
    from indexer.elastic.client import verify_certs

    with caplog.at_level("WARNING"):
        assert not _verifies("https://user:pw-in-url@127.0.0.1:9200", {"INDEXER_ES_VERIFY_CERTS": "false"})
    assert "not checked" in caplog.text and "pw-in-url" not in caplog.text
    with pytest.raises(ValueError, match="INDEXER_ES_VERIFY_CERTS='maybe'"):
        verify_certs("maybe")


def test_the_sqlite_store_and_the_spool_create_their_files_0600_whatever_the_umask(tmp_path: Path) -> None:
    from indexer.schema import Post, utcnow
    from indexer.spool import Spool
    from indexer.sqlite.store import SqliteStore

    post = Post(id="vk:1:1", platform="vk", source_id="vk_admin", kind="post", text="Нет воды", created_at=utcnow())
    previous = os.umask(0o022)
    try:
        store = SqliteStore(tmp_path / "store" / "monitor.db")
        try:
            store.upsert([post])
            made = sorted(path.name for path in (tmp_path / "store").iterdir())
            modes = {path.name: path.stat().st_mode & 0o777 for path in (tmp_path / "store").iterdir()}
        finally:
            store.close()
        spooled = Spool(tmp_path / "spool").append([post])
    finally:
        os.umask(previous)
    assert made == ["monitor.db", "monitor.db-shm", "monitor.db-wal"]
    assert modes == dict.fromkeys(made, 0o600)
    assert spooled.stat().st_mode & 0o777 == 0o600
