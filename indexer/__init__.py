"""Storage of posts, comments, incidents and crawl state: the Store interface and its backends.

:mod:`indexer.schema` is the one schema every part reads and writes; :mod:`indexer.store` the
interface; :func:`open_store` picks a backend (:mod:`indexer.sqlite`, :mod:`indexer.elastic`)
by URL. Nothing here imports Scrapy, the detector or the CLI.
"""

from indexer.backends import open_store
from indexer.schema import Attachment, Author, Incident, Metrics, Post, Territory, make_id
from indexer.store import IncidentQuery, Query, Store, UpsertResult

__all__ = ["Attachment", "Author", "Incident", "IncidentQuery", "Metrics", "Post", "Query", "Store",
           "Territory", "UpsertResult", "make_id", "open_store"]
