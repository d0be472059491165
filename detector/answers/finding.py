"""Official answers found where they are written, and linked to the incident holding the citizen's post.

An answer is a comment by an official account under a citizen's post or comment (a reply to it, or a
later comment in its thread), or a post on a body's own page that links the citizen's post (its
URL, or a repost of it). An account is official when the watchlist names it
(``official_accounts``: ``platform:id`` with the body it speaks for) or when it is the page's own
account on an official page (a governor's, a government's, a municipality's). A city group's own
account is not a body: its replies ("напишите в личку") are not answers unless the watchlist says so.

Each incident keeps its answers oldest first (``Incident.answers``), the first one's time
(``answered_at``) and how it reads (``answer_quality``, :mod:`detector.answers.quality`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from detector.answers.quality import classify_answer
from detector.records import OFFICIAL_PAGES
from indexer.schema import make_id
from indexer.store import Holding, IncidentQuery

if TYPE_CHECKING:
    from indexer.schema import Incident, Post
    from indexer.store import Store

INCIDENTS = 100_000  # incidents read at most for one run's answers
_TEXT = 500  # characters of an answer's text kept on the incident
# Links to a citizen's post as the platforms write them: its stable id is built from the link.
_LINKS = (
    (re.compile(r"vk\.com/wall(-?\d+)_(\d+)"), "vk"),
    (re.compile(r"t\.me/([A-Za-z0-9_]{4,})/(\d+)(?![\d?])"), "telegram"),
    (re.compile(r"ok\.ru/group/(\d+)/topic/(\d+)"), "ok"),
)


@dataclass(frozen=True, slots=True)
class OfficialAccounts:
    """The accounts whose words are a body's answer: ``platform:id`` → the body it speaks for (None:
    the account's own name). ``source_kinds``: each watched page's kind, for its own account."""

    accounts: Mapping[str, str | None] = field(default_factory=dict)
    source_kinds: Mapping[str, str | None] = field(default_factory=dict)

    def speaker(self, post: Post) -> str | None:
        """The body ``post`` answers for, or None when it is not an official answer."""
        key = f"{post.platform}:{post.author.id}"
        if post.author.id is not None and key in self.accounts:
            return self.accounts[key] or post.author.name or key
        kind = post.source_kind or self.source_kinds.get(post.source_id)
        if post.author.official and kind in OFFICIAL_PAGES:
            return post.author.name or post.source_id
        return None

    def named(self, post: Post) -> bool:
        """Is its author an account the watchlist names (its words a body's, wherever it writes)?"""
        return post.author.id is not None and f"{post.platform}:{post.author.id}" in self.accounts


@dataclass(frozen=True, slots=True)
class FoundAnswer:
    """An official answer and the posts it answers, nearest first (the comment replied to, then
    the thread's root; or the posts a body's post links)."""

    post: Post
    body: str
    targets: tuple[str, ...]
    via: str  # reply | comment | link

    def record(self) -> dict[str, Any]:
        """The answer as an incident keeps it."""
        quality = classify_answer(self.post.text)
        at = self.post.created_at or self.post.crawled_at
        return {"post_id": self.post.id, "author": self.post.author.id, "body": self.body,
                "at": at.isoformat() if at else None, "quality": quality.label, "markers": list(quality.markers),
                "url": self.post.url, "text": self.post.text[:_TEXT], "to": self.targets[0], "via": self.via}


def find_answers(posts: Iterable[Post], accounts: OfficialAccounts) -> list[FoundAnswer]:
    """The official answers among ``posts``: comments by official accounts, and official posts linking others."""
    found = []
    for post in posts:
        body = accounts.speaker(post)
        if body is None:
            continue
        if post.kind == "comment":
            targets = tuple(dict.fromkeys(p for p in (post.parent_id, post.thread_root) if p))
            via = "reply" if post.parent_id and post.parent_id != post.thread_root else "comment"
        else:
            targets, via = linked_posts(post), "link"
        if targets:
            found.append(FoundAnswer(post, body, targets, via))
    return found


def linked_posts(post: Post) -> tuple[str, ...]:
    """The ids of the posts a post links (in its text, its link attachments) or reposts."""
    texts = [post.text, *(a.url or "" for a in post.attachments)]
    ids = [make_id(platform, m.group(1), m.group(2)) for text in texts for pattern, platform in _LINKS
           for m in pattern.finditer(text)]
    if post.origin is not None and post.origin.id:
        ids.append(post.origin.id)
    return tuple(i for i in dict.fromkeys(ids) if i != post.id)


def link_answers(store: Store, found: Sequence[FoundAnswer], fresh: Sequence[Incident] = ()) -> list[Incident]:
    """Record each answer on the routing incident holding the post it answers; returns the incidents
    that changed. ``fresh``: incidents this run is about to write (they win over their stored copy)."""
    if not found:
        return []
    targets = tuple(sorted({t for answer in found for t in answer.targets}))
    stored = store.find_incidents(IncidentQuery(queue="routing", holding=Holding(post_ids=targets), limit=INCIDENTS))
    incidents = {i.id: i for i in stored} | {i.id: i for i in fresh if i.queue == "routing"}
    holder = {pid: incident for incident in incidents.values() for pid in incident.post_ids}
    changed: dict[str, Incident] = {}
    for answer in found:
        incident = next((holder[t] for t in answer.targets if t in holder), None)
        if incident is not None and answer.post.id not in incident.post_ids and add_answer(incident, answer.record()):
            changed[incident.id] = incident
    return list(changed.values())


def add_answer(incident: Incident, record: dict[str, Any]) -> bool:
    """Keep ``record`` on ``incident`` (again: replaced, an edited answer reads anew); the first
    answer's time and quality follow. False when nothing changed."""
    kept = [a for a in incident.answers if a.get("post_id") != record["post_id"]]
    answers = sorted([*kept, record], key=lambda a: (a.get("at") or "", a.get("post_id") or ""))
    if answers == incident.answers:
        return False
    incident.answers = answers
    first = answers[0]
    incident.answered_at = _time(first.get("at"))
    incident.answer_quality = first.get("quality")
    return True


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None
