"""Erasure on request and retention: who is forgotten, what was removed, and what incidents keep.

A person is forgotten by a :class:`Selector` (``author`` ``<platform>:<author id>``, or ``post``
``<post id>``). The stores delete the matching posts and comments (``Store.forget``) and keep an
:class:`ErasureRecord` of it: who asked, why, when, the selector, how many of each kind were
removed, never the removed data. The records' selectors are the :class:`Exclusions` the crawl
drops items by, so a forgotten author is not collected again. :func:`scrub_incident` takes the
removed posts out of an incident: their ids, and any text of the incident that quotes them.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping

from indexer.exceptions import SelectorError
from indexer.schema import PLATFORMS, Incident, Post

REDACTED = "[удалено по запросу]"
MIN_QUOTE = 30  # characters of an incident's text found in a removed post that make it a quote of it
MIN_TEXT = 12  # a removed post's text shorter than this is not looked for: too few words to tell a quote
_DROP = object()


@dataclass(frozen=True, slots=True)
class Selector:
    """Whom an erasure is for: ``author`` (``vk:12345``: the platform, then its author id) or
    ``post`` (a post or comment id); ``expired`` marks a retention run (no one in particular)."""

    kind: str
    value: str

    @classmethod
    def author(cls, value: str) -> Selector:
        platform, _, author_id = value.partition(":")
        if platform not in PLATFORMS or not author_id:
            raise SelectorError(f"--author {value!r}: expected <platform>:<author id>, the platform one of "
                                f"{', '.join(PLATFORMS)} (vk:12345)")
        return cls("author", value)

    @classmethod
    def post(cls, value: str) -> Selector:
        parts = value.split(":")
        if parts[0] not in PLATFORMS or len(parts) not in (3, 4) or not all(parts):
            raise SelectorError(f"--post {value!r}: expected a post id <platform>:<owner>:<post>[:<comment>]")
        return cls("post", value)

    @property
    def platform_and_author(self) -> tuple[str, str]:
        platform, _, author_id = self.value.partition(":")
        return platform, author_id


@dataclass(slots=True)
class ForgetResult:
    """What a store removed: the posts and comments (as they were, for the caller to scrub what
    quotes them elsewhere; never kept), others' reposts of them changed, and incidents changed or closed."""

    removed: list[Post] = field(default_factory=list)
    reposts: int = 0  # others' reposts and forwards of theirs, kept without what they showed of it
    incidents_changed: int = 0
    incidents_closed: int = 0

    def counts(self) -> dict[str, int]:
        comments = sum(post.kind == "comment" for post in self.removed)
        return {"posts": len(self.removed) - comments, "comments": comments, "reposts": self.reposts,
                "incidents_changed": self.incidents_changed, "incidents_closed": self.incidents_closed}


@dataclass(frozen=True, slots=True)
class ErasureRecord:
    """One erasure or retention run as the store keeps it: no removed data, only the selector
    (which the exclusion list needs), who asked and why, and how many of each kind went."""

    at: datetime
    selector: Selector
    by: str
    reason: str
    counts: dict[str, int] = field(default_factory=dict)
    id: str = field(default_factory=lambda: f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}")  # sorts as written

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "kind": self.selector.kind, "value": self.selector.value,
                "by": self.by, "reason": self.reason, "counts": dict(self.counts)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ErasureRecord:
        return cls(datetime.fromisoformat(data["at"]), Selector(data["kind"], data["value"]), data.get("by") or "",
                   data.get("reason") or "", dict(data.get("counts") or {}), data["id"])


@dataclass(frozen=True, slots=True)
class Exclusions:
    """Who is not collected again: (platform, author id) pairs and post ids."""

    authors: frozenset[tuple[str, str]] = frozenset()
    posts: frozenset[str] = frozenset()

    @classmethod
    def of(cls, records: Iterable[ErasureRecord]) -> Exclusions:
        selectors = [record.selector for record in records]
        return cls(frozenset(s.platform_and_author for s in selectors if s.kind == "author"),
                   frozenset(s.value for s in selectors if s.kind == "post"))

    def excludes(self, post: Post) -> str | None:
        """Why ``post`` must not be kept (``author`` or ``post``), or None."""
        if post.id in self.posts:
            return "post"
        if post.author.id is not None and (post.platform, str(post.author.id)) in self.authors:
            return "author"
        return None

    def excludes_origin(self, post: Post) -> bool:
        """Whether what ``post`` shares (a repost's or forward's original) is a forgotten one's."""
        origin = post.origin
        if origin is None:
            return False
        return (origin.id is not None and origin.id in self.posts) or (
            origin.author.id is not None and (post.platform, str(origin.author.id)) in self.authors)

    def __bool__(self) -> bool:
        return bool(self.authors or self.posts)


def scrub_incident(incident: Incident, removed: Mapping[str, str]) -> Incident | None:
    """``incident`` without the removed posts (id → text): their ids gone from ``post_ids`` (and
    from staff's moves, ``added_posts`` and ``excluded_posts``), from its answers and evidence (an entry naming one is dropped), and its title, summary or any text
    of its evidence that quotes one replaced by :data:`REDACTED`; left with no post, its place keeps
    no house, address or point. None when it holds none of them."""
    ids = set(removed)
    quotes = [text for text in (_norm(t) for t in removed.values()) if len(text) >= MIN_TEXT]
    post_ids = [p for p in incident.post_ids if p not in ids]
    place = incident.territory
    if place is not None and not post_ids:  # found in their words alone: a house may be their home
        place = dataclasses.replace(place, house=None, address=None, geo=None)
    evidence = _scrub(incident.evidence, ids, quotes)
    changed = dataclasses.replace(
        incident, post_ids=post_ids, territory=place,
        title=_scrub_text(incident.title, quotes), summary=_scrub_text(incident.summary, quotes),
        evidence={} if evidence is _DROP else evidence, answers=_scrub(incident.answers, ids, quotes),
        cluster_id=None if incident.cluster_id in ids else incident.cluster_id,
        added_posts=[p for p in incident.added_posts if p not in ids],
        excluded_posts=[p for p in incident.excluded_posts if p not in ids])
    return None if changed.to_dict() == incident.to_dict() else changed


def _scrub(value: Any, ids: set[str], quotes: list[str]) -> Any:
    if isinstance(value, dict):
        if value.get("id") in ids or value.get("post_id") in ids:
            return _DROP
        kept = {k: _scrub(v, ids, quotes) for k, v in value.items()}
        return {k: (None if v is _DROP else v) for k, v in kept.items()}
    if isinstance(value, (list, tuple)):
        return [item for item in (_scrub(v, ids, quotes) for v in value) if item is not _DROP]
    if isinstance(value, str):
        return _DROP if value in ids else _scrub_text(value, quotes)
    return value


def _scrub_text(text: str, quotes: list[str]) -> str:
    """``text`` or, when it quotes one of ``quotes`` (a removed post's normalised text), :data:`REDACTED`."""
    core = _norm(text).rstrip("…").strip()
    if not core:
        return text
    for quote in quotes:
        if core == quote or (len(core) >= MIN_QUOTE and core in quote) or quote[:MIN_QUOTE * 2] in core:
            return REDACTED
    return text


def _norm(text: str) -> str:
    return " ".join(str(text).split()).lower()
