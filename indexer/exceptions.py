"""Errors of the indexer package.

    IndexerError
    ├── StoreConfigError     the store URL or settings are wrong
    ├── StoreUnavailable     the store cannot take writes now; the caller spools and replays
    ├── SelectorError        an erasure's author or post selector that names no one
    └── VersionConflict      a change made on an incident's older state: nothing was written
"""

from __future__ import annotations


class IndexerError(Exception):
    """Base of every indexer error."""


class StoreConfigError(IndexerError):
    """The store URL or its settings cannot be used."""


class StoreUnavailable(IndexerError):
    """The store did not take a write; nothing was stored from that batch."""


class SelectorError(IndexerError, ValueError):
    """An erasure's ``--author``/``--post`` that is not ``<platform>:<id>`` or a post id; the
    message says what was expected."""


class VersionConflict(IndexerError):
    """The incident changed since it was read (another person, or the detector): the change was
    not written; read it again and decide again."""

    def __init__(self, incident_id: str, expected: str | None) -> None:
        super().__init__(f"incident {incident_id} changed since version {expected} was read")
        self.incident_id = incident_id
        self.expected = expected
