"""The trained part of the detector: is it a complaint, and which sector.

Features: TF-IDF of lemma uni- and bigrams, TF-IDF of character 2–5-grams (typos, word parts),
and the lexicon's own signals (sector phrase weights, complaint and non-complaint markers, the kind
of page and of item) weighed ``SIGNAL_SCALE`` = 0.3 against the unit-length TF-IDF rows. Two linear
models on top: logistic regression (C=16) for the complaint probability, and a linear SVM (C=0.5)
for the sector, trained on complaints only; its margins, through a softmax, are the sector scores.

Chosen by 5-fold cross-validation over our train + dev posts (``monitor eval complaints --cv 5``,
which also checks the last 20% of the real appeals' earlier 70%), never on one split. Against the
previous configuration on the same folds (complaint F1 0.901, sector macro-F1 0.796, appeals check
0.890), weighing the signals 0.3 and adding the 151 train-only posts gave 0.912 / 0.833 / 0.891. Not taken: the portal's fine ``reason`` classes mapped up to sectors, logistic
regression for the sector (0.797 at C=8), other SVM C, other character n-gram ranges and sizes,
weighing our posts 2-4× the appeals (all within ±0.005 or worse; README "Complaints" has the
table). Linear models on these features are what the real-appeals baseline uses (word+char
TF-IDF, linear SVM) and score thousands of posts per second.

``monitor train`` builds the model from labelled JSON Lines with a fixed seed and writes
``detector/models/complaints.joblib``; the same command on the same data gives the same model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import joblib
import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

FORMAT = 3
SIGNAL_SCALE = 0.3  # the lexicon's and metadata's signals against the text (5-fold CV)


def vectorizers() -> tuple[TfidfVectorizer, TfidfVectorizer]:
    """The text features both trained models use: lemma uni- and bigrams, character 2–5-grams."""
    return (TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, token_pattern=r"\S+"),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
                            max_features=60_000))


def stack_features(words: TfidfVectorizer, chars: TfidfVectorizer, examples: Sequence[Any],
                   signal_scale: float = 1.0) -> sparse.csr_matrix:
    """One row per example (anything with ``lemmas``, ``text`` and ``signals``): words, characters, and
    the signals times ``signal_scale`` (their weight against the unit-length TF-IDF rows)."""
    signals = sparse.csr_matrix(signal_scale * np.asarray([e.signals for e in examples], dtype=np.float64))
    return sparse.hstack([words.transform([e.lemmas for e in examples]),
                          chars.transform([e.text for e in examples]), signals]).tocsr()


def save_model(model: Any, path: Path | str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path, compress=3)


@dataclass
class Example:
    """One text as the model sees it."""

    lemmas: str  # space-joined lemmas
    text: str  # lower-cased original, for character n-grams
    signals: list[float]  # the lexicon's and the metadata's numbers, in Signals.names order
    is_complaint: bool | None = None
    sector: str | None = None


@dataclass
class ComplaintModel:
    words: TfidfVectorizer
    chars: TfidfVectorizer
    complaint: LogisticRegression
    sector: LinearSVC
    signal_names: list[str]
    meta: dict[str, Any] = field(default_factory=dict)
    signal_scale: float = SIGNAL_SCALE

    @classmethod
    def train(cls, examples: Sequence[Example], signal_names: list[str], *, seed: int = 13,
              meta: dict[str, Any] | None = None, sector_examples: Sequence[Example] = ()) -> ComplaintModel:
        """``sector_examples``: more complaints with a sector (e.g. real appeals) for the sector model only."""
        words, chars = vectorizers()
        everything = list(examples) + list(sector_examples)
        words.fit([e.lemmas for e in everything])
        chars.fit([e.text for e in everything])
        model = cls(words, chars, LogisticRegression(C=16.0, class_weight="balanced", max_iter=3000,
                                                     random_state=seed),
                    LinearSVC(C=0.5, class_weight="balanced", max_iter=20_000, random_state=seed),
                    signal_names, dict(meta or {}, format=FORMAT))
        labelled = [e for e in examples if e.is_complaint is not None]
        model.complaint.fit(model.features(labelled), [bool(e.is_complaint) for e in labelled])
        with_sector = [e for e in everything if e.is_complaint and e.sector]
        model.sector.fit(model.features(with_sector), [e.sector for e in with_sector])
        return model

    def features(self, examples: Sequence[Example]) -> sparse.csr_matrix:
        return stack_features(self.words, self.chars, examples, self.signal_scale)

    def predict(self, examples: Sequence[Example]) -> tuple[np.ndarray, list[dict[str, float]]]:
        """Complaint probabilities, and per example the sector probabilities."""
        if not examples:
            return np.zeros(0), []
        x = self.features(examples)
        complaint = self.complaint.predict_proba(x)[:, list(self.complaint.classes_).index(True)]
        margins = self.sector.decision_function(x)
        sectors = np.exp(margins - margins.max(axis=1, keepdims=True))
        sectors /= sectors.sum(axis=1, keepdims=True)
        names = [str(c) for c in self.sector.classes_]
        return complaint, [dict(zip(names, map(float, row), strict=True)) for row in sectors]

    def save(self, path: Path | str) -> None:
        save_model(self, path)

    @staticmethod
    def load(path: Path | str) -> ComplaintModel:
        model = joblib.load(path)
        if not isinstance(model, ComplaintModel) or model.meta.get("format") != FORMAT:
            raise ValueError(f"{path}: not a complaints model of format {FORMAT}; run `monitor train`")
        return model
