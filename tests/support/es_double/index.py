"""One index of the double: its documents, what searches see of them, and the write operations.

Every write takes the index's next sequence number (``_seq_no``, from 0; ``_primary_term`` is
always 1: the double never fails over), and answers as Elasticsearch's bulk items do. Writes
honour ``if_seq_no``/``if_primary_term`` (409 ``version_conflict_engine_exception``), ``create``
refuses a known id, and ``update`` merges a partial ``doc`` (objects key by key), creates with
``doc_as_upsert`` or ``upsert``, and is a ``noop`` when nothing changes. GET reads ``docs`` (real
time); searches read ``searchable``, which a refresh brings up to date.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from tests.support.es_double.common import flatten, merge

PRIMARY_TERM = 1
GENERATIONS = itertools.count(1)  # unique across indices, so an index deleted and made again is never mistaken
SHARDS_WRITTEN = {"total": 1, "successful": 1, "failed": 0}


@dataclass(frozen=True, slots=True)
class Doc:
    source: dict[str, Any]
    seq_no: int
    version: int
    primary_term: int = PRIMARY_TERM


@dataclass
class Index:
    name: str
    mappings: dict[str, Any]
    settings: dict[str, Any]
    aliases: set[str] = field(default_factory=set)
    docs: dict[str, Doc] = field(default_factory=dict)  # real time: what GET reads
    searchable: dict[str, Doc] = field(default_factory=dict)  # as of the last refresh: what searches read
    pending: set[str] = field(default_factory=set)  # ids written since the last refresh
    seq_no: int = 0  # the next operation's sequence number
    generation: int = field(default_factory=lambda: next(GENERATIONS))  # new whenever what searches see changes
    _fields: dict[str, dict[str, Any]] | None = None

    @property
    def fields(self) -> dict[str, dict[str, Any]]:
        """Dotted field name → mapping."""
        if self._fields is None:
            self._fields = flatten(self.mappings.get("properties", {}))
        return self._fields

    def refresh(self) -> None:
        if self.pending:
            self.generation = next(GENERATIONS)
        for doc_id in self.pending:
            if doc_id in self.docs:
                self.searchable[doc_id] = self.docs[doc_id]
            else:
                self.searchable.pop(doc_id, None)
        self.pending.clear()

    # -- operations, each answered as a bulk item ---------------------------------------------

    def index(self, doc_id: str, source: dict[str, Any], *, create: bool = False, if_seq_no: Any = None,
              if_primary_term: Any = None, visible: bool = True) -> dict[str, Any]:
        current = self.docs.get(doc_id)
        if create and current is not None:
            return self._failed(doc_id, 409, "version_conflict_engine_exception",
                                f"[{doc_id}]: version conflict, document already exists (current version "
                                f"[{current.version}])")
        refused = self._check(doc_id, current, if_seq_no, if_primary_term)
        if refused:
            return refused
        return self._written(doc_id, self._store(doc_id, source, visible))

    def update(self, doc_id: str, body: dict[str, Any], *, if_seq_no: Any = None, if_primary_term: Any = None,
               visible: bool = True) -> dict[str, Any]:
        current = self.docs.get(doc_id)
        if "doc" not in body and "upsert" not in body and "script" not in body:
            return self._failed(doc_id, 400, "action_request_validation_exception",
                                "Validation Failed: 1: script or doc is missing;")
        if current is None:
            if body.get("doc_as_upsert") and "doc" in body:
                return self._written(doc_id, self._store(doc_id, body["doc"], visible))
            if "upsert" in body:
                return self._written(doc_id, self._store(doc_id, body["upsert"], visible))
            return self._failed(doc_id, 404, "document_missing_exception", f"[{doc_id}]: document missing")
        refused = self._check(doc_id, current, if_seq_no, if_primary_term)
        if refused:
            return refused
        if "script" in body:
            try:
                source = scripted(current.source, body["script"])
            except ValueError as exc:
                return self._failed(doc_id, 400, "illegal_argument_exception", str(exc))
        else:
            source = merge(current.source, body.get("doc") or {})
        if "script" not in body and body.get("detect_noop", True) and source == current.source:  # a script always writes
            return {**self._answer(doc_id, "noop", current), "_shards": {"total": 0, "successful": 0, "failed": 0},
                    "status": 200}
        return self._written(doc_id, self._store(doc_id, source, visible))

    def delete(self, doc_id: str, *, if_seq_no: Any = None, if_primary_term: Any = None,
               visible: bool = True) -> dict[str, Any]:
        current = self.docs.get(doc_id)
        refused = self._check(doc_id, current, if_seq_no, if_primary_term)
        if refused:
            return refused
        if current is None:
            return {"_index": self.name, "_id": doc_id, "_version": 1, "result": "not_found",
                    "_shards": SHARDS_WRITTEN, "_seq_no": self.seq_no, "_primary_term": PRIMARY_TERM,
                    "status": 404}
        deleted = Doc(current.source, self._next_seq_no(), current.version + 1)
        del self.docs[doc_id]
        self._changed(doc_id, visible)
        return {**self._answer(doc_id, "deleted", deleted), "_shards": SHARDS_WRITTEN, "status": 200}

    def got(self, doc_id: str) -> dict[str, Any]:
        """GET's answer: real time, with the sequence number a conditional write needs."""
        doc = self.docs.get(doc_id)
        if doc is None:
            return {"_index": self.name, "_id": doc_id, "found": False}
        return {"_index": self.name, "_id": doc_id, "_version": doc.version, "_seq_no": doc.seq_no,
                "_primary_term": doc.primary_term, "found": True, "_source": doc.source}

    # -- helpers ------------------------------------------------------------------------------

    def _check(self, doc_id: str, current: Doc | None, if_seq_no: Any, if_primary_term: Any
               ) -> dict[str, Any] | None:
        """The refusal of a conditional write whose condition does not hold, or None."""
        if if_seq_no is None and if_primary_term is None:
            return None
        if if_seq_no is None or if_primary_term is None:
            reason = ("ifSeqNo is set, but primary term is [0]" if if_primary_term is None
                      else "ifPrimaryTerm is set, but ifSeqNo is [-2]")
            return self._failed(doc_id, 400, "action_request_validation_exception",
                                f"Validation Failed: 1: {reason};")
        wanted = f"required seqNo [{int(if_seq_no)}], primary term [{int(if_primary_term)}]"
        if current is None:
            return self._failed(doc_id, 409, "version_conflict_engine_exception",
                                f"[{doc_id}]: version conflict, {wanted}. but no document was found")
        if (current.seq_no, current.primary_term) != (int(if_seq_no), int(if_primary_term)):
            return self._failed(doc_id, 409, "version_conflict_engine_exception",
                                f"[{doc_id}]: version conflict, {wanted}. current document has seqNo "
                                f"[{current.seq_no}] and primary term [{current.primary_term}]")
        return None

    def _store(self, doc_id: str, source: dict[str, Any], visible: bool) -> tuple[str, Doc]:
        current = self.docs.get(doc_id)
        doc = Doc(source, self._next_seq_no(), current.version + 1 if current else 1)
        self.docs[doc_id] = doc
        self._changed(doc_id, visible)
        return ("updated" if current else "created"), doc

    def _next_seq_no(self) -> int:
        self.seq_no += 1
        return self.seq_no - 1

    def _changed(self, doc_id: str, visible: bool) -> None:
        self.pending.add(doc_id)
        if visible:
            self.refresh()

    def _written(self, doc_id: str, stored: tuple[str, Doc]) -> dict[str, Any]:
        result, doc = stored
        return {**self._answer(doc_id, result, doc), "_shards": SHARDS_WRITTEN,
                "status": 201 if result == "created" else 200}

    def _answer(self, doc_id: str, result: str, doc: Doc) -> dict[str, Any]:
        return {"_index": self.name, "_id": doc_id, "_version": doc.version, "result": result,
                "_seq_no": doc.seq_no, "_primary_term": doc.primary_term}

    def _failed(self, doc_id: str, status: int, kind: str, reason: str) -> dict[str, Any]:
        return {"_index": self.name, "_id": doc_id, "status": status,
                "error": {"type": kind, "reason": reason, "index_uuid": self.name, "shard": "0", "index": self.name}}


def scripted(current: dict[str, Any], script: dict[str, Any]) -> dict[str, Any]:
    """What one of the store's two Painless scripts makes of a document (the double has no Painless:
    any other script is refused). ``SET_FIELDS`` sets top-level fields; ``SET_INCIDENT`` also
    recomputes ``overdue`` against the ``now`` it is given and applies staff's moved posts over
    ``post_ids``."""
    from indexer.elastic.store import SET_FIELDS, SET_INCIDENT

    if script.get("source") not in (SET_FIELDS, SET_INCIDENT):
        raise ValueError("the test double runs only the store's scripts")
    updated = {**current, **script["params"]["fields"]}
    if script["source"] == SET_INCIDENT:
        deadline = updated.get("deadline")
        updated["overdue"] = bool(deadline and updated.get("status") in ("new", "assigned")
                                  and deadline < script["params"]["now"])
        out, added = updated.get("excluded_posts") or [], updated.get("added_posts") or []
        if updated.get("post_ids") is not None and (out or added):
            kept = [p for p in updated["post_ids"] if p not in out]
            kept += [p for p in dict.fromkeys(added) if p not in kept and p not in out]
            updated["post_ids"], updated["posts_count"] = kept, len(kept)
    return updated
