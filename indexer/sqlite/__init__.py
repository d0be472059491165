"""The embedded default backend: one SQLite file, no server."""

from indexer.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
