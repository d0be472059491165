"""Staff accounts, the audit log and saved searches: one small SQLite file (``WEB_USERS_FILE``).

They live apart from the collected data on purpose: the same file serves a SQLite store and an
Elasticsearch one, a person's password hash never travels with the posts, and the audit log is
not something the crawl or the detector can write. Passwords are hashed with argon2id.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from web.exceptions import AccountError

ROLES = ("operator", "fact-checker", "supervisor", "admin")
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL,
                                  created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, at TEXT NOT NULL, user TEXT NOT NULL, role TEXT,
                                  action TEXT NOT NULL, target TEXT, detail TEXT, outcome TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
CREATE TABLE IF NOT EXISTS saved_searches (id INTEGER PRIMARY KEY, user TEXT NOT NULL, name TEXT NOT NULL,
                                           query TEXT NOT NULL, created_at TEXT NOT NULL);
"""
# A hash to verify against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY = PasswordHasher().hash("not a password")


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: str
    user: str
    role: str | None
    action: str
    target: str | None
    detail: str | None
    outcome: str


class Accounts:
    """The accounts file, opened once per process; safe to share between threads."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise AccountError(f"cannot open the accounts file {self.path} (WEB_USERS_FILE): {exc}") from exc
        self._lock = threading.Lock()
        self._hasher = PasswordHasher()

    def add_user(self, name: str, role: str, password: str) -> User:
        """Create ``name`` or replace its role and password."""
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if not name.strip() or len(name) > 64:
            raise AccountError(f"a user name of 1-64 characters expected, got {name!r}")
        if len(password) < 8:
            raise AccountError("a password of at least 8 characters expected")
        with self._lock:
            self._db.execute("INSERT INTO users VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET role = "
                             "excluded.role, hash = excluded.hash", (name, role, self._hasher.hash(password), _now()))
        return User(name, role)

    def users(self) -> list[User]:
        with self._lock:
            return [User(*row) for row in self._db.execute("SELECT name, role FROM users ORDER BY name")]

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when ``password`` is theirs; None otherwise (unknown name or wrong password alike)."""
        with self._lock:
            row = self._db.execute("SELECT role, hash FROM users WHERE name = ?", (name,)).fetchone()
        try:
            self._hasher.verify(row[1] if row else _DUMMY, password)
        except (VerificationError, InvalidHashError):
            return None
        return User(name, row[0]) if row else None

    def user(self, name: str) -> User | None:
        with self._lock:
            row = self._db.execute("SELECT role FROM users WHERE name = ?", (name,)).fetchone()
        return User(name, row[0]) if row else None

    def audit(self, user: str, role: str | None, action: str, target: str | None = None, detail: str = "",
              outcome: str = "ok") -> None:
        """Record one action a person took (or tried), whatever its outcome."""
        with self._lock:
            self._db.execute("INSERT INTO audit (at, user, role, action, target, detail, outcome) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", (_now(), user, role, action, target, detail, outcome))

    def audit_log(self, *, user: str | None = None, limit: int = 200, offset: int = 0) -> list[AuditEntry]:
        """The newest entries first."""
        where, params = ("WHERE user = ?", [user]) if user else ("", [])
        with self._lock:
            rows = self._db.execute(f"SELECT at, user, role, action, target, detail, outcome FROM audit {where} "
                                    "ORDER BY id DESC LIMIT ? OFFSET ?", (*params, limit, offset)).fetchall()
        return [AuditEntry(*row) for row in rows]

    def save_search(self, user: str, name: str, query: str) -> None:
        with self._lock:
            self._db.execute("INSERT INTO saved_searches (user, name, query, created_at) VALUES (?, ?, ?, ?)",
                             (user, name, query, _now()))

    def saved_searches(self, user: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT id, name, query FROM saved_searches WHERE user = ? ORDER BY id",
                                    (user,)).fetchall()
        return [{"id": row[0], "name": row[1], "query": row[2]} for row in rows]

    def close(self) -> None:
        self._db.close()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
