"""A stored post as the detector reads it, and the detector's findings written back onto it."""

from __future__ import annotations

from typing import Any, Mapping

from indexer.schema import Post, Territory


def detection_record(post: Post, sources: Mapping[str, Any]) -> dict[str, Any]:
    """A stored post as the detector reads it: its page's kind and own territory, not an earlier result."""
    record = post.to_dict()
    source = sources.get(post.source_id)
    record["source_kind"] = post.source_kind or (source.kind if source else None)
    record["territory"] = source.territory if source else None
    record["official"] = post.author.official
    return record


def apply_scores(post: Post, scored: Mapping[str, Any]) -> None:
    post.source_kind = scored.get("source_kind")
    post.complaint, post.is_complaint, post.sector = scored["complaint"], scored["is_complaint"], scored["sector"]
    post.territory = Territory.from_dict(scored["territory"])
