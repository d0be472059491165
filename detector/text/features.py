"""The trained models' text features: TF-IDF of lemma uni- and bigrams and of character n-grams,
and (for the complaints model) the text's mean word vector (:mod:`detector.text.vectors`).

Both models (complaints, fakes) read the same two blocks of counts from the same text, so the
counts are hashed once per text (:class:`TextHasher`) and each model weighs them with its own
inverse document frequencies (:class:`Weighting`). Hashing replaces scikit-learn's vocabulary
lookups, which cost ~320 µs per post for the characters alone, twice: a word's character
n-grams are the same wherever it occurs, so they are hashed once per distinct word and cached,
and a post's counts cost ~20 µs. What the features are is what ``TfidfVectorizer`` gave:
``char_wb`` 2–5-grams (each word padded with spaces), lemma uni- and bigrams, sublinear tf,
smoothed idf, l2 per block; a feature seen in fewer than ``min_df`` training texts weighs 0
(scikit-learn's ``min_df``), and of the characters only the ``max_features`` most frequent count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import mmh3
import numpy as np
from scipy import sparse

from detector.exceptions import ModelError

N_FEATURES = 2 ** 20  # per block; collisions among ~100,000 distinct n-grams are rare
CHAR_NGRAMS = (2, 5)
_SPACES = re.compile(r"\s\s+")

if TYPE_CHECKING:
    from detector.text.vectors import WordVectors


@dataclass
class Counts:
    """Raw counts of one batch of texts: lemma n-grams and character n-grams (texts × N_FEATURES),
    and the texts' mean word vectors when the hasher has vectors."""

    words: sparse.csr_matrix
    chars: sparse.csr_matrix
    vectors: np.ndarray | None = None


class TextHasher:
    """Counts of lemma uni-/bigrams and character n-grams, by hashing, with per-word caches; with
    ``vectors``, also each text's mean word vector."""

    def __init__(self, max_cached: int = 500_000, vectors: WordVectors | None = None) -> None:
        self.max_cached = max_cached
        self.vectors = vectors
        self._chars: dict[str, np.ndarray] = {}
        self._words: dict[str, int] = {}

    def counts(self, lemmas: Sequence[str], texts: Sequence[str]) -> Counts:
        """``lemmas``: one space-joined lemma string per text; ``texts``: the lower-cased texts."""
        if len(self._chars) + len(self._words) > self.max_cached:
            self._chars.clear()
            self._words.clear()
        return Counts(self._word_counts(lemmas), self._char_counts(texts),
                      self.vectors.means(texts) if self.vectors is not None else None)

    def _word_counts(self, lines: Sequence[str]) -> sparse.csr_matrix:
        cache = self._words
        ids: list[int] = []
        indptr = [0]
        for line in lines:
            lemmas = line.split()
            for token in lemmas + [f"{a} {b}" for a, b in zip(lemmas, lemmas[1:], strict=False)]:
                found = cache.get(token)
                if found is None:
                    found = cache[token] = feature_hash(token)
                ids.append(found)
            indptr.append(len(ids))
        return _matrix(np.asarray(ids, dtype=np.int32), np.asarray(indptr))

    def _char_counts(self, texts: Sequence[str]) -> sparse.csr_matrix:
        cache = self._chars
        parts: list[np.ndarray] = []
        indptr = [0]
        total = 0
        for text in texts:
            for word in _SPACES.sub(" ", text).split():
                found = cache.get(word)
                if found is None:
                    found = cache[word] = np.fromiter((feature_hash(g) for g in char_wb_ngrams(word)), dtype=np.int32)
                parts.append(found)
                total += found.size
            indptr.append(total)
        ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
        return _matrix(ids, np.asarray(indptr))


def _matrix(ids: np.ndarray, indptr: np.ndarray) -> sparse.csr_matrix:
    matrix = sparse.csr_matrix((np.ones(ids.size), ids, indptr), shape=(indptr.size - 1, N_FEATURES))
    matrix.sum_duplicates()
    return matrix


def text_counts(examples: Sequence[Any], hasher: TextHasher | None = None) -> Counts:
    """The hashed counts of examples (anything with ``lemmas`` and ``text``)."""
    return (hasher or TextHasher()).counts([e.lemmas for e in examples], [e.text for e in examples])


def char_wb_ngrams(word: str, low: int = CHAR_NGRAMS[0], high: int = CHAR_NGRAMS[1]) -> list[str]:
    """scikit-learn's ``char_wb`` n-grams of one word: padded with spaces, a short word once."""
    padded = f" {word} "
    grams = []
    for n in range(low, high + 1):
        if n >= len(padded):
            grams.append(padded)
            break
        grams.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
    return grams


def feature_hash(token: str) -> int:
    """A token's column before weighting: MurmurHash3 (32 bit, seed 0, unsigned), the hash
    scikit-learn's ``HashingVectorizer`` uses, modulo :data:`N_FEATURES`."""
    return mmh3.hash(token, 0, signed=False) % N_FEATURES




def _normalize(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Each row scaled to unit length (rows of zeros stay zeros), in place."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    matrix.data /= np.repeat(norms, np.diff(matrix.indptr))
    return matrix


@dataclass
class Weighting:
    """One block's fitted weighting: which hashed features it keeps (their column, else −1), and
    their inverse document frequencies."""

    columns: np.ndarray  # int32, N_FEATURES: the feature's column, −1 when left out
    idf: np.ndarray  # float64, one per kept feature

    @classmethod
    def fit(cls, counts: sparse.csr_matrix, *, min_df: int = 2, max_features: int | None = None) -> Weighting:
        df = np.bincount(counts.indices, minlength=N_FEATURES)  # counts has no duplicate entries
        keep = df >= min_df
        if max_features is not None and keep.sum() > max_features:
            totals = np.bincount(counts.indices, weights=counts.data, minlength=N_FEATURES)
            order = np.argsort(-np.where(keep, totals, -1), kind="stable")
            keep = np.zeros_like(keep)
            keep[order[:max_features]] = True
        kept = np.flatnonzero(keep)
        columns = np.full(N_FEATURES, -1, dtype=np.int32)
        columns[kept] = np.arange(kept.size, dtype=np.int32)
        return cls(columns, np.log((1 + counts.shape[0]) / (1 + df[kept])) + 1)

    @property
    def width(self) -> int:
        return int(self.idf.size)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """What a model file keeps: the hashed features kept, in column order, and their idf."""
        return {f"{prefix}.kept": np.flatnonzero(self.columns >= 0).astype(np.int32), f"{prefix}.idf": self.idf}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> Weighting:
        kept = arrays[f"{prefix}.kept"]
        columns = np.full(N_FEATURES, -1, dtype=np.int32)
        columns[kept] = np.arange(kept.size, dtype=np.int32)
        return cls(columns, np.asarray(arrays[f"{prefix}.idf"], dtype=np.float64))

    def transform(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        columns = self.columns[counts.indices]
        kept = columns >= 0
        indptr = np.concatenate([[0], np.cumsum(kept)])[counts.indptr]
        columns = columns[kept]
        data = (1 + np.log(counts.data[kept])) * self.idf[columns]
        weighted = sparse.csr_matrix((data, columns, indptr), shape=(counts.shape[0], self.width))
        return _normalize(weighted)


@dataclass
class TextFeatures:
    """A model's weighting of both blocks, and its features: words, characters, signals, then the
    mean word vector when ``vector_scale`` is not 0."""

    words: Weighting
    chars: Weighting
    signal_scale: float = 1.0  # the signals' weight against the unit-length TF-IDF rows
    vector_scale: float = 0.0  # the unit-length mean word vector's weight; 0: not read

    def arrays(self) -> dict[str, np.ndarray]:
        return {**self.words.arrays("words"), **self.chars.arrays("chars")}

    def settings(self) -> dict[str, float]:
        return {"signal_scale": self.signal_scale, "vector_scale": self.vector_scale}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], settings: Mapping[str, float]) -> TextFeatures:
        return cls(Weighting.from_arrays(arrays, "words"), Weighting.from_arrays(arrays, "chars"),
                   float(settings["signal_scale"]), float(settings["vector_scale"]))

    @classmethod
    def fit(cls, counts: Counts, *, signal_scale: float = 1.0, vector_scale: float = 0.0) -> TextFeatures:
        return cls(Weighting.fit(counts.words), Weighting.fit(counts.chars, max_features=60_000), signal_scale,
                   vector_scale)

    def matrix(self, examples: Sequence[Any], counts: Counts | None = None, *,
               hasher: TextHasher | None = None) -> sparse.csr_matrix:
        """The features of examples (anything with ``lemmas``, ``text`` and ``signals``);
        ``counts``: their hashed counts when the caller has them (the detector shares them
        between its models)."""
        counts = counts if counts is not None else text_counts(examples, hasher)
        return self.transform(counts, [e.signals for e in examples])

    def transform(self, counts: Counts, signals: Sequence[Sequence[float]]) -> sparse.csr_matrix:
        extra = sparse.csr_matrix(self.signal_scale
                                  * np.asarray(signals, dtype=np.float64).reshape(counts.words.shape[0], -1))
        blocks = [self.words.transform(counts.words), self.chars.transform(counts.chars), extra]
        if self.vector_scale:
            if counts.vectors is None:
                raise ModelError("this model reads word vectors: count the texts with a TextHasher that has them")
            blocks.append(sparse.csr_matrix(self.vector_scale * counts.vectors))
        return sparse.hstack(blocks).tocsr()
