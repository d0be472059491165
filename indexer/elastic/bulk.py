"""Bulk writes sized for the cluster, every document's outcome reported.

``helpers.streaming_bulk`` cuts the actions into requests of at most ``chunk_size`` documents and
``max_chunk_bytes`` bytes (``INDEXER_ES_CHUNK_SIZE``, ``INDEXER_ES_MAX_CHUNK_BYTES``), which must
stay under the cluster's ``http.max_content_length``: a larger body is answered 413 before any
document is looked at. A document that alone is larger than ``max_chunk_bytes`` is refused
(``document_too_large``) without being sent. When the cluster answers 413 all the same (its limit is
lower than the setting), the documents of that request are sent again one per request, and one
refused alone is refused for good (``request_entity_too_large``): retrying it could never succeed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

import orjson
from elasticsearch import helpers

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

logger = logging.getLogger(__name__)

TOO_LARGE = 413


@dataclass(frozen=True, slots=True)
class Action:
    """One bulk action with its source already JSON, and the bytes both take in a request."""

    doc_id: str
    body: dict[str, Any]
    size: int

    @classmethod
    def index(cls, index: str, doc_id: str, source: bytes) -> Action:
        meta = {"_index": index, "_id": doc_id}
        return cls(doc_id, {"_op_type": "index", **meta, "_source": source},
                   len(orjson.dumps({"index": meta})) + len(source) + 2)  # two lines, two newlines

    @classmethod
    def update(cls, index: str, doc_id: str, body: dict[str, Any]) -> Action:
        """A partial update: ``body`` holds ``doc`` or ``script``, and ``upsert`` if it may create."""
        meta = {"_index": index, "_id": doc_id}
        return cls(doc_id, {"_op_type": "update", **meta, **body},
                   len(orjson.dumps({"update": meta})) + len(orjson.dumps(body)) + 2)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one action: ``result`` (``created``, ``updated``) or the error's ``kind`` and ``reason``."""

    doc_id: str
    ok: bool
    status: int
    result: str | None = None
    kind: str | None = None
    reason: str | None = None


class BulkWriter:
    """Writes actions with ``streaming_bulk``; ``options`` are its retry, backoff and refresh arguments."""

    def __init__(self, client: Elasticsearch, *, chunk_size: int, max_chunk_bytes: int,
                 options: Mapping[str, Any]) -> None:
        self.client = client
        self.chunk_size = chunk_size
        self.max_chunk_bytes = max_chunk_bytes
        self.options = dict(options)

    def write(self, actions: Iterable[Action]) -> Iterator[Outcome]:
        fitting = []
        for action in actions:
            if action.size > self.max_chunk_bytes:
                yield Outcome(action.doc_id, False, TOO_LARGE, kind="document_too_large",
                              reason=f"{action.size} bytes: more than a bulk request may hold "
                                     f"(INDEXER_ES_MAX_CHUNK_BYTES={self.max_chunk_bytes})")
            else:
                fitting.append(action)
        refused = []
        for outcome in self._send(fitting, self.chunk_size):
            if outcome.status == TOO_LARGE:
                refused.append(outcome.doc_id)
            else:
                yield outcome
        if refused:
            again = set(refused)
            yield from self._one_by_one([a for a in fitting if a.doc_id in again])

    def _one_by_one(self, actions: list[Action]) -> Iterator[Outcome]:
        logger.warning("the cluster answered 413 to a bulk request of at most %s bytes: its http.max_content_length "
                       "is lower than INDEXER_ES_MAX_CHUNK_BYTES; sending its %d documents one by one",
                       self.max_chunk_bytes, len(actions))
        for outcome in self._send(actions, 1):
            if outcome.status == TOO_LARGE:
                yield Outcome(outcome.doc_id, False, TOO_LARGE, kind="request_entity_too_large",
                              reason="the cluster refused a request holding this document alone "
                                     "(its http.max_content_length)")
            else:
                yield outcome

    def _send(self, actions: list[Action], chunk_size: int) -> Iterator[Outcome]:
        for ok, item in helpers.streaming_bulk(self.client, (a.body for a in actions), chunk_size=chunk_size,
                                               max_chunk_bytes=self.max_chunk_bytes, ignore_status=(TOO_LARGE,),
                                               **self.options):
            (_, info), = item.items()
            status = int(info.get("status") or 0)
            if ok:
                yield Outcome(str(info["_id"]), True, status, result=info.get("result"))
                continue
            error = info.get("error")  # an item's error is an object; a whole request's, a message
            kind = (error.get("type") if isinstance(error, dict) else None) or f"http_{status}"
            reason = error.get("reason") if isinstance(error, dict) else str(error)
            yield Outcome(str(info["_id"]), False, status, kind=kind, reason=reason)
