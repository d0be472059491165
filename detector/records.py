"""A stored post as the detector reads it, and the detector's findings written back onto it.

The text it reads is the post's own with its original's (:attr:`~indexer.schema.Post.shared_text`):
a repost of a complaint is that complaint, a forwarded rumour a copy of that rumour.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Protocol

from indexer.schema import Post, Territory, utcnow


class SourceInfo(Protocol):
    """What the detector reads of a watched page (a watchlist's ``Source`` is one): its kind
    (``city_group``, ``governor``, ...) and its own territory, the default for its posts."""

    @property
    def kind(self) -> str: ...

    @property
    def territory(self) -> str | None: ...

# Watchlist page kinds whose words are the authorities' own: news, answers, denials.
OFFICIAL_PAGES = frozenset({"governor", "government", "municipal"})


def official_page(record: Mapping[str, Any]) -> bool:
    """Did an official page (not a community page's own admin account) publish it?"""
    return record.get("source_kind") in OFFICIAL_PAGES


def record_time(value: Any) -> datetime:
    """A record's ``created_at`` (a datetime or ISO 8601 text); now when it has none or it does not parse."""
    if isinstance(value, datetime):
        return value
    if value:
        try:
            return datetime.fromisoformat(str(value))
        except ValueError:
            pass
    return utcnow()


def detection_record(post: Post, sources: Mapping[str, SourceInfo]) -> dict[str, Any]:
    """A stored post as the detector reads it: its page's kind and own territory, not an earlier result."""
    record = post.to_dict()
    record["text"] = post.shared_text
    source = sources.get(post.source_id)
    record["source_kind"] = post.source_kind or (source.kind if source else None)
    record["territory"] = source.territory if source else None
    record["official"] = post.author.official
    return record


def scoring_record(post: Post, sources: Mapping[str, SourceInfo]) -> dict[str, Any]:
    """Only what scoring one post reads (:meth:`~detector.scoring.Detector.prepare`): what the
    crawl's detector stage sends to its worker, a third of a whole record."""
    source = sources.get(post.source_id)
    return {"id": post.id, "text": post.shared_text, "title": post.title, "kind": post.kind, "platform": post.platform,
            "source_kind": post.source_kind or (source.kind if source else None),
            "territory": source.territory if source else None, "official": post.author.official}


# What scoring one post finds (the rest of the detector's fields, cluster and incident, need history).
FINDINGS = ("complaint", "is_complaint", "sector", "territory", "fake", "is_fake_suspect", "threat", "fake_evidence")


def findings(scored: Mapping[str, Any]) -> dict[str, Any]:
    """What :func:`apply_scores` writes onto a post, out of a scored record (which also repeats
    the whole input): what a worker process sends back."""
    return {key: scored[key] for key in FINDINGS if key in scored}


def apply_scores(post: Post, scored: Mapping[str, Any]) -> None:
    """The scores onto the post (its page's kind, the crawl's field, is left as the crawl wrote it)."""
    post.complaint, post.is_complaint, post.sector = scored["complaint"], scored["is_complaint"], scored["sector"]
    post.territory = Territory.from_dict(scored["territory"])
    if "fake" in scored:
        post.fake, post.is_fake_suspect = scored["fake"], scored["is_fake_suspect"]
        post.threat, post.fake_evidence = scored["threat"], scored["fake_evidence"]
