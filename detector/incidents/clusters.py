"""Near-identical posts and comments across sources and platforms, grouped into clusters.

A false story spreads as copies: re-posted with "Перешлите!!!" in front, shortened, with a typo or
another town's name, pasted inside a longer comment. Each text becomes a MinHash of its character
5-gram shingles (after lower-casing, ё→е, and dropping links, mentions and punctuation), and an LSH
index (datasketch) finds earlier candidates; the new text joins the cluster of the most similar
one when their estimated Jaccard similarity passes ``threshold``, or when the shorter text lies
almost wholly inside the longer (estimated containment ≥ ``containment``: a shortened copy, or a
copy pasted inside a longer comment), or else it starts its own. Character shingles
survive typos and inflection that word shingles do not. Texts too short to tell a copy from a
coincidence ("и у нас так же") stay in clusters of their own.

The LSH index is banded the way datasketch sizes it for the candidate threshold (21 bands of 3
rows for 64 permutations), and each band is a short key (:meth:`Clusterer.keys`). The detector
stores a post's keys with its findings, so an incremental run finds a new post's earlier copies
with one store query instead of holding the whole window in memory.

A cluster knows its first appearance, its posts, its sources and platforms, and its growth: how
many new distinct sources it reached in each hour. The routing queue's incident grouping and the
fact-check queue both read these cluster ids, so there is one clustering, not two.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence

from datasketch import LeanMinHash, MinHash, MinHashLSH

from detector.records import record_time

EXACT = 0.9
PER_CLUSTER = 4
_LINK = re.compile(r"https?://\S+|www\.\S+|[@#]\w+")
_NOT_WORD = re.compile(r"[^\w]+")


def normalise(text: str) -> str:
    """What two copies of a story share: lower case, ё as е, no links, mentions or punctuation."""
    text = _LINK.sub(" ", text.lower().replace("ё", "е"))
    return " ".join(_NOT_WORD.sub(" ", text).replace("_", " ").split())


def shingles(text: str, size: int = 5, *, normalised: bool = False) -> list[bytes]:
    norm = text if normalised else normalise(text)
    return list({norm[i:i + size].encode() for i in range(max(1, len(norm) - size + 1))})


def cluster_id_for(post_id: str) -> str:
    """A cluster is named after its first post, so the same history gives the same ids."""
    return "cl-" + hashlib.sha1(str(post_id).encode()).hexdigest()[:12]


@dataclass
class Cluster:
    id: str
    first_id: str
    first_seen: datetime
    posts: list[str] = field(default_factory=list)
    sources: dict[str, datetime] = field(default_factory=dict)  # source id → first seen there
    platforms: set[str] = field(default_factory=set)
    last_seen: datetime | None = None

    def add(self, post_id: str, when: datetime, source: str | None, platform: str | None) -> None:
        self.posts.append(post_id)
        if source and (source not in self.sources or when < self.sources[source]):
            self.sources[source] = when
        if platform:
            self.platforms.add(platform)
        self.last_seen = max(self.last_seen or when, when)

    def growth(self, hours: int = 24) -> list[int]:
        """New distinct sources per hour since the first appearance (at most ``hours`` buckets)."""
        counts = Counter(min(int((seen - self.first_seen).total_seconds() // 3600), hours - 1)
                         for seen in self.sources.values())
        span = min(hours, max(counts, default=0) + 1)
        return [counts.get(hour, 0) for hour in range(span)]

    def sources_within(self, hours: float) -> int:
        """How many distinct sources it reached within ``hours`` of its first appearance."""
        limit = self.first_seen + timedelta(hours=hours)
        return sum(1 for seen in self.sources.values() if seen <= limit)

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "first_id": self.first_id, "first_seen": self.first_seen.isoformat(),
                "last_seen": self.last_seen.isoformat() if self.last_seen else None, "posts": len(self.posts),
                "sources": sorted(self.sources, key=self.sources.__getitem__), "platforms": sorted(self.platforms),
                "new_sources_per_hour": self.growth()}


class Clusterer:
    """Assigns cluster ids in time order; feed it the window's posts (oldest first is not needed).

    A record that already carries a ``cluster_id`` (from an earlier run) keeps it, so ids stay put
    when the window slides past a cluster's first post.
    """

    def __init__(self, threshold: float = 0.5, containment: float = 0.8, num_perm: int = 64,
                 min_chars: int = 30, shingle_size: int = 5, seed: int = 1) -> None:
        self.threshold = threshold
        self.containment = containment
        self.num_perm = num_perm
        self.min_chars = min_chars
        self.shingle_size = shingle_size
        self.seed = seed
        # Candidates are looked up below the join threshold, for the containment test to see them.
        banding = MinHashLSH(threshold=min(threshold, 0.3), num_perm=num_perm)  # only for its banding
        self.bands, self.rows = banding.b, banding.r
        self.index: dict[str, list[str]] = {}  # band key → post ids
        self.signatures: dict[str, tuple[LeanMinHash, int]] = {}
        self.keys_of: dict[str, list[str]] = {}  # post id → its band keys (what the store keeps)
        self.cluster_of: dict[str, str] = {}
        self.clusters: dict[str, Cluster] = {}
        # Texts hashed by text_keys (a tick looks up the new posts' near-copies before it clusters
        # them): add() takes their signatures from here instead of hashing them twice.
        self._hashed: dict[str, tuple[LeanMinHash, int]] = {}

    def add(self, records: Sequence[Mapping[str, Any]]) -> list[str]:
        """Cluster ids for ``records``, in their order."""
        order = sorted(range(len(records)), key=lambda n: record_time(records[n].get("created_at")))
        new = [n for n in order if str(records[n]["id"]) not in self.cluster_of]
        texts = {n: normalise(_text(records[n])) for n in new}
        long_enough = [n for n in new if len(texts[n]) >= self.min_chars]
        hashes = dict(zip(long_enough, self._signatures([texts[n] for n in long_enough]), strict=True))
        for n in order:
            record = records[n]
            post_id = str(record["id"])
            if post_id in self.cluster_of:
                continue
            signature = hashes.get(n)
            cluster = record.get("cluster_id") or (self._nearest(signature) if signature is not None else None)
            self._place(record, post_id, cluster or cluster_id_for(post_id))
            if signature is not None:
                keys = self.keys(signature[0])
                for key in keys:
                    self.index.setdefault(key, []).append(post_id)
                self.signatures[post_id], self.keys_of[post_id] = signature, keys
        return [self.cluster_of[str(r["id"])] for r in records]

    def keys(self, minhash: LeanMinHash) -> list[str]:
        """The LSH band keys of a MinHash: two texts are candidates when they share one. A key
        is the band's number and a 56-bit digest of its rows (16 hex digits)."""
        values = minhash.hashvalues
        return [f"{band:02x}" + hashlib.blake2b(values[band * self.rows:(band + 1) * self.rows].tobytes(),
                                                 digest_size=7).hexdigest()
                for band in range(self.bands)]

    def text_keys(self, texts: Sequence[str]) -> list[list[str]]:
        """The band keys of each text (none when it is too short to cluster), hashed as one batch."""
        normalised = [normalise(text) for text in texts]
        long_enough = [n for n, text in enumerate(normalised) if len(text) >= self.min_chars]
        keys: list[list[str]] = [[] for _ in texts]
        signatures = self._signatures(normalised[n] for n in long_enough)
        self._hashed = {}  # the last call's texts only: a caller that never clusters them holds no more
        for n, signature in zip(long_enough, signatures, strict=True):
            keys[n] = self.keys(signature[0])
            self._hashed[normalised[n]] = signature
        return keys

    def cluster(self, post_id: str) -> Cluster | None:
        cluster = self.cluster_of.get(str(post_id))
        return self.clusters.get(cluster) if cluster else None

    def similar(self, text: str) -> list[tuple[str, float]]:
        """Clusters holding a near-copy of ``text``, most similar first (for matching a registry entry)."""
        text = normalise(text)
        if len(text) < self.min_chars:
            return []
        signature = self._signatures([text])[0]
        best: dict[str, float] = {}
        for key, similarity in self._candidates(signature):
            cluster = self.cluster_of[key]
            best[cluster] = max(best.get(cluster, 0.0), similarity)
        return sorted(best.items(), key=lambda kv: -kv[1])

    def _nearest(self, signature: tuple[LeanMinHash, int]) -> str | None:
        best_key, best = None, 0.0
        for key, similarity in self._candidates(signature):
            if similarity > best:
                best_key, best = key, similarity
                if best >= EXACT:
                    break  # a copy: no other candidate can be much closer
        return self.cluster_of[best_key] if best_key is not None else None

    def _candidates(self, signature: tuple[LeanMinHash, int]) -> Iterable[tuple[str, float]]:
        """Earlier texts that are near-copies of this one, each with its similarity: the Jaccard
        estimate, or for a text mostly inside the other, the containment estimate. At most
        ``PER_CLUSTER`` members of one cluster are compared: a story copied a thousand times
        would otherwise cost a thousand comparisons per new copy."""
        minhash, size = signature
        compared: dict[str, int] = {}
        # Sorted, not in a set's order (string hashes are salted per process): the same history
        # gives the same clusters in every run.
        for key in sorted({post for band in self.keys(minhash) for post in self.index.get(band, ())}):
            cluster = self.cluster_of[key]
            if compared.get(cluster, 0) >= PER_CLUSTER:
                continue
            compared[cluster] = compared.get(cluster, 0) + 1
            other, other_size = self.signatures[key]
            jaccard = minhash.jaccard(other)
            if jaccard >= self.threshold:
                yield key, jaccard
                continue
            # |A ∩ B| = J (|A| + |B|) / (1 + J); measured against the shorter text.
            contained = jaccard * (size + other_size) / (1 + jaccard) / min(size, other_size)
            if contained >= self.containment:
                yield key, contained

    def _place(self, record: Mapping[str, Any], post_id: str, cluster_id: str) -> None:
        when = record_time(record.get("created_at"))
        cluster = self.clusters.get(cluster_id)
        if cluster is None:
            cluster = self.clusters[cluster_id] = Cluster(cluster_id, post_id, when)
        elif when < cluster.first_seen:
            cluster.first_id, cluster.first_seen = post_id, when
        cluster.add(post_id, when, record.get("source_id"), record.get("platform"))
        self.cluster_of[post_id] = cluster_id

    def _signatures(self, texts: Iterable[str]) -> list[tuple[LeanMinHash, int]]:
        """MinHash and shingle count of each (normalised) text; one text_keys hashed is taken as it was."""
        texts = list(texts)
        found: dict[int, tuple[LeanMinHash, int]] = {}
        for n, text in enumerate(texts):
            hashed = self._hashed.pop(text, None)
            if hashed is not None:
                found[n] = hashed
        todo = [n for n in range(len(texts)) if n not in found]
        sets = [shingles(texts[n], self.shingle_size, normalised=True) for n in todo]
        minhashes = MinHash.generator(sets, num_perm=self.num_perm, seed=self.seed, hashfunc=zlib.crc32)
        found.update((n, (LeanMinHash(m), len(s))) for n, m, s in zip(todo, minhashes, sets, strict=True))
        return [found[n] for n in range(len(texts))]


def purity(predicted: Sequence[str], gold: Sequence[str | None]) -> tuple[float, float]:
    """Purity and inverse purity of ``predicted`` clusters against ``gold`` groups.

    Purity: the share of items that are in their cluster's majority gold group (1.0 when no cluster
    mixes two stories). Inverse purity: the share of items that are in their gold group's majority
    cluster (1.0 when no story is split). Items without a gold group count as groups of their own.
    """
    groups = [g if g is not None else f"\0{n}" for n, g in enumerate(gold)]
    total = len(groups) or 1
    by_cluster: dict[str, Counter[str]] = {}
    by_gold: dict[str, Counter[str]] = {}
    for c, g in zip(predicted, groups, strict=True):
        by_cluster.setdefault(c, Counter())[g] += 1
        by_gold.setdefault(g, Counter())[c] += 1
    return (sum(max(c.values()) for c in by_cluster.values()) / total,
            sum(max(c.values()) for c in by_gold.values()) / total)


def _text(record: Mapping[str, Any]) -> str:
    return str(record.get("text") or "")




__all__ = ["Cluster", "Clusterer", "cluster_id_for", "normalise", "purity", "shingles"]
