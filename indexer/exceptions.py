"""Errors of the indexer package.

    IndexerError
    ├── StoreConfigError     the store URL or settings are wrong
    └── StoreUnavailable     the store cannot take writes now; the caller spools and replays
"""

from __future__ import annotations


class IndexerError(Exception):
    """Base of every indexer error."""


class StoreConfigError(IndexerError):
    """The store URL or its settings cannot be used."""


class StoreUnavailable(IndexerError):
    """The store did not take a write; nothing was stored from that batch."""
