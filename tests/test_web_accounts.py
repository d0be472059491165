"""Staff accounts: ``monitor users add`` (password from stdin, never argv; argon2 hashes), roles,
sessions that expire, the settings' checks, and the demo's one-time login."""

from __future__ import annotations

import io
import re
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from litestar.testing import TestClient

from detector.config import DetectorConfig
from indexer.sqlite.store import SqliteStore
from monitor.cli import main
from monitor.settings import load_settings
from web import AccountError, Accounts, WebConfig, WebConfigError, Workspace, create_app


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def monitor(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Done]:
    """``monitor ARGV`` in this process, ``stdin`` as its standard input (not a terminal)."""

    def run(*argv: str, stdin: str = "") -> Done:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return Done(code, out, err)

    return run


def test_users_add_reads_the_password_from_stdin_and_keeps_only_an_argon2_hash(
        tmp_path: Path, monitor: Callable[..., Done]) -> None:
    users = tmp_path / "web.db"
    done = monitor("users", "add", "olga", "--role", "operator", "-s", f"WEB_USERS_FILE={users}",
                   stdin="a long secret phrase\n")
    assert done.returncode == 0, done.stderr
    assert "olga: operator" in done.stdout and "a long secret phrase" not in done.stdout + done.stderr
    stored = sqlite3.connect(users).execute("SELECT hash FROM users WHERE name = 'olga'").fetchone()[0]
    assert stored.startswith("$argon2id$") and "a long secret phrase" not in stored
    accounts = Accounts(users)
    assert accounts.authenticate("olga", "a long secret phrase") == accounts.user("olga")
    assert accounts.authenticate("olga", "a long secret phrasE") is None
    assert accounts.authenticate("nobody", "a long secret phrase") is None
    listed = monitor("users", "list", "-s", f"WEB_USERS_FILE={users}")
    assert listed.stdout.split() == ["olga", "operator"]


@pytest.mark.parametrize(("argv", "stdin", "message"), [
    (["--role", "boss"], "a long secret phrase\n", "invalid choice: 'boss'"),
    (["--role", "admin"], "short\n", "a password of at least 8 characters expected"),
    (["--role", "admin", "--password", "x"], "", "unrecognized arguments: --password"),
])
def test_a_bad_account_is_refused_with_exit_code_2(tmp_path: Path, monitor: Callable[..., Done], argv: list[str],
                                                   stdin: str, message: str) -> None:
    done = monitor("users", "add", "olga", *argv, "-s", f"WEB_USERS_FILE={tmp_path / 'web.db'}", stdin=stdin)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_an_accounts_file_that_cannot_be_opened_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(AccountError, match=r"cannot open the accounts file .*web.db \(WEB_USERS_FILE\)"):
        Accounts(blocker / "web.db")


@pytest.mark.parametrize(("name", "value", "message"), [
    ("WEB_PORT", "eighty", r"WEB_PORT='eighty': expected a whole number"),
    ("WEB_SESSION_SECONDS", "5", r"WEB_SESSION_SECONDS=5: expected at least 60"),
])
def test_a_web_setting_that_cannot_be_used_is_named(name: str, value: str, message: str) -> None:
    with pytest.raises(WebConfigError, match=message):
        WebConfig.from_settings(load_settings({name: value}))


def test_a_session_expires_after_its_lifetime(tmp_path: Path) -> None:
    accounts = Accounts(tmp_path / "web.db")
    accounts.add_user("olga", "operator", "a long secret phrase")
    settings = load_settings({})
    store = SqliteStore(tmp_path / "monitor.db")
    ws = Workspace(store, accounts, WebConfig(session_seconds=1, secret="s" * 32), DetectorConfig.from_settings(settings))
    with TestClient(create_app(ws)) as client:
        client.get("/login")
        token = client.cookies["csrftoken"]
        client.post("/login", data={"name": "olga", "password": "a long secret phrase", "_csrf_token": token})
        assert client.get("/queue", follow_redirects=False).status_code == 200
        time.sleep(1.5)
        gone = client.get("/queue", follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"] == "/login?next=/queue"
    store.close()


def test_the_demo_ends_with_a_one_time_login_that_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from monitor.demo import _show_workspace

    users = tmp_path / "web.db"
    _show_workspace(load_settings({"WEB_USERS_FILE": str(users)}), "")
    printed = capsys.readouterr().out
    assert "http://127.0.0.1:8080/" in printed
    password = re.search(r"sign in as demo, password (\S+)", printed)
    assert password and Accounts(users).authenticate("demo", password.group(1)) is not None


def test_the_workspace_package_shows_its_public_surface() -> None:
    import web

    assert set(web.__all__) == {"ROLES", "AccountError", "Accounts", "User", "WebConfig", "WebConfigError", "WebError",
                                "Workspace", "create_app"}
