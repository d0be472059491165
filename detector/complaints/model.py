"""The trained part of the detector: is it a complaint, and which sector.

Features (:mod:`detector.text.features`): TF-IDF of lemma uni- and bigrams, TF-IDF of character
2–5-grams (typos, word parts), the lexicon's own signals (sector phrase weights, complaint and
non-complaint markers, the kind of page and of item) weighed ``SIGNAL_SCALE`` against the
unit-length TF-IDF rows, and the text's mean word vector (:mod:`detector.text.vectors`) weighed
``VECTOR_SCALE``. Linear models on top: logistic regression for the complaint probability among
posts about civic matters, times a second one's (the relevance model: those posts against real
everyday talk), through Platt's sigmoid fitted on dev (:meth:`ComplaintModel.complaint_probability`);
and a linear SVM for the sector, trained on complaints only (our labelled posts weigh
``POSTS_WEIGHT`` city-portal appeals each); its margins, through a softmax, are the sector scores.
One set of sector weights reads every text: a post comes without a hint of where it was written,
so the portal's filing and our definitions agree (snow left anywhere outdoors, a yard's asphalt:
amenities) or the model learns their blend. Linear models on such features are what the
real-appeals baseline uses and score thousands of posts per second; every choice here (the
scales, C, the weights) was made by cross-validation (``monitor eval complaints --cv 5``), and
docs/EVALUATION.md has the figures of what was tried.

``monitor train`` (``make model``) builds the model from labelled JSON Lines with a fixed seed; the
same data gives the same file. The file holds numbers only (:mod:`detector.model_files`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from scipy import sparse

from detector.exceptions import IncompatibleModel
from detector.files import Source
from detector.model_files import Linear, hash_probes, read_model, versions, write_model
from detector.text.features import Counts, TextFeatures, TextHasher, text_counts
from detector.text.vectors import WordVectors

SIGNAL_SCALE = 0.3  # the lexicon's and metadata's signals against the text (5-fold CV)
VECTOR_SCALE = 0.6  # the mean word vector against the unit-length TF-IDF rows (5-fold CV)
POSTS_WEIGHT = 3.0  # a labelled post against one portal appeal in the sector model (5-fold CV)
RELEVANCE_C = 4.0  # the relevance model's regularisation (on dev: 1, 4 and 16 tried)
KIND = "complaints"
SOCIAL, PORTAL = "social", "portal"  # where a text was written: its own labelling conventions


@dataclass
class Example:
    """One text as the model sees it."""

    lemmas: str  # space-joined lemmas
    text: str  # lower-cased original, for character n-grams
    signals: list[float]  # the lexicon's and the metadata's numbers, in Signals.names order
    is_complaint: bool | None = None
    sector: str | None = None
    domain: str = SOCIAL  # PORTAL: an appeal to a city portal (weighs less in the sector model)
    chatter: bool = False  # real everyday talk: learnt by the relevance model only, as not relevant


@dataclass
class ComplaintModel:
    text: TextFeatures
    complaint: Linear  # logistic regression: is it a complaint
    sector: Linear  # linear SVM: which sector
    signal_names: list[str]
    meta: dict[str, Any] = field(default_factory=dict)  # "calibration": Platt's slope and intercept
    relevance: Linear | None = None  # logistic regression: a matter for a public body, or everyday talk

    @classmethod
    def train(cls, examples: Sequence[Example], signal_names: list[str], *, seed: int = 13,
              meta: dict[str, Any] | None = None, sector_examples: Sequence[Example] = (),
              vectors: WordVectors | None = None) -> ComplaintModel:
        """``sector_examples``: more complaints with a sector (e.g. real appeals) for the sector model
        only; ``vectors``: the word vectors (by default natasha's navec). Examples marked ``chatter``
        train the relevance model only (without them there is none)."""
        from sklearn.svm import LinearSVC

        everything = list(examples) + list(sector_examples)
        vectors = vectors or WordVectors.load()
        hasher = TextHasher(vectors=vectors)
        # the vocabulary and its weights come from our posts and the appeals: real chatter is
        # learnt as negatives in their terms, not allowed to bring in its own
        own = [e for e in everything if not e.chatter]
        text = TextFeatures.fit(text_counts(own, hasher), signal_scale=SIGNAL_SCALE, vector_scale=VECTOR_SCALE)
        complaint, relevance = fit_complaint(text, examples, hasher, seed)
        with_sector = [e for e in everything if e.is_complaint and e.sector]
        sector = LinearSVC(C=0.5, class_weight="balanced", max_iter=20_000, random_state=seed)
        sector.fit(text.matrix(with_sector, hasher=hasher), [e.sector for e in with_sector],
                   sample_weight=[1.0 if e.domain == PORTAL else POSTS_WEIGHT for e in with_sector])
        return cls(text, complaint, Linear.from_estimator(sector), signal_names,
                   dict(meta or {}, vectors=vectors.fingerprint, seed=seed), relevance)

    def calibrated(self, slope: float, intercept: float) -> ComplaintModel:
        """The model with its complaint probability ``p`` passed through Platt's sigmoid
        ``1 / (1 + exp(-(slope·logit(p) + intercept)))``."""
        calibration = {"slope": round(slope, 6), "intercept": round(intercept, 6)}
        return replace(self, meta=dict(self.meta, calibration=calibration))

    def complaint_probability(self, x: sparse.csr_matrix) -> np.ndarray:
        """P(complaint) = P(a matter for a public body) × P(a problem reported | such a matter),
        calibrated: the complaint model learnt only from posts about such matters, the relevance
        model tells them from everyday talk."""
        p = self.complaint.probability(x, positive="True")
        if self.relevance is not None:
            p = p * self.relevance.probability(x, positive="True")
        calibration = self.meta.get("calibration")
        if calibration:
            p = np.clip(p, 1e-9, 1 - 1e-9)
            p = 1.0 / (1.0 + np.exp(-(calibration["slope"] * np.log(p / (1 - p)) + calibration["intercept"])))
        return p

    def predict(self, examples: Sequence[Example],
                counts: Counts | None = None) -> tuple[np.ndarray, list[dict[str, float]]]:
        """Complaint probabilities, and per example the sector probabilities; ``counts``: the
        examples' hashed counts when the caller has them (without: counted here, with natasha's
        word vectors)."""
        if not examples:
            return np.zeros(0), []
        if counts is None:
            counts = text_counts(examples, TextHasher(vectors=WordVectors.load()))
        x = self.text.matrix(examples, counts)
        complaint = self.complaint_probability(x)
        margins = self.sector.decision(x)
        sectors = np.exp(margins - margins.max(axis=1, keepdims=True))
        sectors /= sectors.sum(axis=1, keepdims=True)
        names = self.sector.classes
        return complaint, [dict(zip(names, map(float, row), strict=True)) for row in sectors]

    def save(self, path: Path, card: Mapping[str, Any] | None = None) -> None:
        """Write the model and its card (``card``: more to say in it, e.g. training files)."""
        relevance = self.relevance.arrays("relevance") if self.relevance is not None else {}
        write_model(path, {**self.text.arrays(), **self.complaint.arrays("complaint"), **self.sector.arrays("sector"),
                           **relevance},
                    {**(card or {}), "kind": KIND, "meta": self.meta, "signal_names": self.signal_names,
                     "features": self.text.settings(), "versions": versions(), "hash_probes": hash_probes()})

    @classmethod
    def load(cls, path: Source) -> ComplaintModel:
        arrays, card = read_model(path, KIND)
        relevance = Linear.from_arrays(arrays, "relevance") if "relevance.coef" in arrays else None
        complaint, sector = Linear.from_arrays(arrays, "complaint"), Linear.from_arrays(arrays, "sector")
        if sector.coef.shape[1] != complaint.coef.shape[1]:
            raise IncompatibleModel(f"{path}: its sector model reads the features per domain (an earlier model); "
                                    "run `monitor train`")
        return cls(TextFeatures.from_arrays(arrays, card["features"]), complaint, sector, list(card["signal_names"]),
                   dict(card.get("meta") or {}), relevance)


def fit_complaint(text: TextFeatures, examples: Sequence[Example], hasher: TextHasher,
                  seed: int) -> tuple[Linear, Linear | None]:
    """The complaint model over the labelled examples that are not chatter, and the relevance
    model (every such example against the chatter) when there is chatter.

    Learnt in one model, thousands of tweets drowned our own hard negatives (thanks, news,
    official replies): our dev posts' best F1 fell by 0.012; apart, by 0.001-0.003."""
    from sklearn.linear_model import LogisticRegression

    own = [e for e in examples if e.is_complaint is not None and not e.chatter]
    complaint = LogisticRegression(C=16.0, class_weight="balanced", max_iter=3000, random_state=seed)
    complaint.fit(text.matrix(own, hasher=hasher), [bool(e.is_complaint) for e in own])
    talk = [e for e in examples if e.chatter]
    if not talk:
        return Linear.from_estimator(complaint), None
    relevance = LogisticRegression(C=RELEVANCE_C, class_weight="balanced", max_iter=3000, random_state=seed)
    relevance.fit(text.matrix(own + talk, hasher=hasher), [True] * len(own) + [False] * len(talk))
    return Linear.from_estimator(complaint), Linear.from_estimator(relevance)


def platt(scores: np.ndarray, truth: Sequence[bool], groups: Sequence[int]) -> tuple[float, float]:
    """Platt scaling (1999): the sigmoid of a model's score that best gives the share of
    complaints observed among held-out items, as (slope, intercept); each of the ``groups`` (kinds
    of text: our posts, everyday talk, real appeals) weighs the same, whatever its size."""
    from sklearn.linear_model import LogisticRegression

    kinds, index, sizes = np.unique(np.asarray(groups), return_inverse=True, return_counts=True)
    weights = (len(index) / (len(kinds) * sizes))[index]
    fitted = LogisticRegression(C=1e6, max_iter=1000)
    fitted.fit(np.asarray(scores).reshape(-1, 1), list(truth), sample_weight=weights)
    return float(fitted.coef_[0, 0]), float(fitted.intercept_[0])
