"""Storage of posts, comments and crawl state: the Store interface and its backends."""

from indexer.schema import Attachment, Author, Metrics, Post, make_id
from indexer.store import Query, Store, UpsertResult, open_store

__all__ = ["Attachment", "Author", "Metrics", "Post", "Query", "Store", "UpsertResult",
           "make_id", "open_store"]
