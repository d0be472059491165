"""What one ``monitor detect`` run reads: the posts to score, and the stored posts around them.

A full run scores every post of its window and needs nothing else. An incremental run scores only
what is new or changed since its checkpoint, so the history those posts are judged against comes
from the store, a query each, never the whole window:

- their earlier near-copies, by the LSH band keys the detector stored with each post
  (:meth:`~detector.incidents.clusters.Clusterer.keys`);
- the other posts of the clusters they join (a story's spread counts its sources);
- the posts their replies answer (a reply under a rumour is part of its story);
- the official pages' recent posts (a denial links the rumours it is about).

Context posts keep their stored findings: they are read, never scored or written. (A new official
denial is the one case where stored posts are scored again: ``run_detect`` reads the open
fact-check items' posts for it.)
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from detector.records import OFFICIAL_PAGES, detection_record, record_time
from indexer.store import Query

if TYPE_CHECKING:
    from detector.incidents.clusters import Clusterer
    from detector.records import SourceInfo
    from indexer.schema import Post
    from indexer.store import Store

CONTEXT = 20_000  # stored posts read per kind of context at most
DENIALS = timedelta(days=7)  # how far back an official denial is looked for (FactChecker's window)


def context_record(post: Post, sources: Mapping[str, SourceInfo]) -> dict[str, Any]:
    """A stored post as history: what it was found to be, not scored again."""
    record = detection_record(post, sources)
    record["territory"] = post.territory.to_dict() if post.territory else None
    record["context"] = True
    return record


def read_context(store: Store, posts: Sequence[Post], clusterer: Clusterer, *, window: timedelta,
                 sources: Mapping[str, SourceInfo]) -> list[dict[str, Any]]:
    """The stored posts around ``posts`` (see the module's docstring), oldest first."""
    scored = {post.id for post in posts}
    times = [post.created_at for post in posts if post.created_at]
    since = min(times) - window if times else None
    found: dict[str, Post] = {}

    def read(query: Query) -> list[Post]:
        fresh = [p for p in store.search(query) if p.id not in scored and p.id not in found]
        found.update((p.id, p) for p in fresh)
        return fresh

    keys = sorted({key for keys in clusterer.text_keys([post.text for post in posts]) for key in keys})
    copies = read(Query(bands=tuple(keys), since=since, limit=CONTEXT)) if keys else []
    clusters = sorted({p.cluster_id for p in copies if p.cluster_id})
    if clusters:
        read(Query(cluster_ids=tuple(clusters), since=since, limit=CONTEXT))
    roots = sorted({p.thread_root for p in posts if p.thread_root and p.thread_root not in scored})
    if roots:
        read(Query(ids=tuple(roots), limit=len(roots)))
    official = sorted(s for s, info in sources.items() if info.kind in OFFICIAL_PAGES)
    if official and times:
        read(Query(source_ids=tuple(official), kind="post", since=max(times) - DENIALS, limit=CONTEXT))
    return [context_record(p, sources) for p in sorted(found.values(), key=lambda p: record_time(p.created_at))]
