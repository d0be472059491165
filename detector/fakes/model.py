"""The fakes model: a classifier of texts that read like a false story spreading.

TF-IDF of lemmas and character n-grams (:mod:`detector.text.features`) plus the rumour groups and
the kind of source (:class:`~detector.fakes.scorer.FakeScorer`'s signals), logistic regression on
top; trained by ``monitor train fakes`` on the project's labelled fakes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from detector.files import Source
from detector.model_files import Linear, hash_probes, read_model, versions, write_model
from detector.text.features import Counts, TextFeatures, TextHasher, text_counts

KIND = "fakes"


@dataclass
class FakeExample:
    lemmas: str
    text: str
    signals: list[float]
    is_fake: bool | None = None
    weight: float = 1.0  # in training: real chatter weighs less than the labelled corpus


@dataclass
class FakeModel:
    text: TextFeatures
    classifier: Linear  # logistic regression: does it read like a false story spreading
    signal_names: list[str]
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def train(cls, examples: Sequence[FakeExample], signal_names: list[str], *, seed: int = 13,
              c: float = 4.0, meta: dict[str, Any] | None = None) -> FakeModel:
        from sklearn.linear_model import LogisticRegression

        hasher = TextHasher()
        text = TextFeatures.fit(text_counts(examples, hasher))
        classifier = LogisticRegression(C=c, class_weight="balanced", max_iter=3000, random_state=seed)
        classifier.fit(text.matrix(examples, hasher=hasher), [bool(e.is_fake) for e in examples],
                       sample_weight=[e.weight for e in examples])
        return cls(text, Linear.from_estimator(classifier), signal_names, dict(meta or {}, C=c, seed=seed))

    def predict(self, examples: Sequence[FakeExample], counts: Counts | None = None) -> np.ndarray:
        if not examples:
            return np.zeros(0)
        return self.classifier.probability(self.text.matrix(examples, counts), positive="True")

    def save(self, path: Path, card: Mapping[str, Any] | None = None) -> None:
        write_model(path, {**self.text.arrays(), **self.classifier.arrays("classifier")},
                    {**(card or {}), "kind": KIND, "meta": self.meta, "signal_names": self.signal_names,
                     "features": self.text.settings(), "versions": versions(), "hash_probes": hash_probes()})

    @classmethod
    def load(cls, path: Source) -> FakeModel:
        arrays, card = read_model(path, KIND)
        return cls(TextFeatures.from_arrays(arrays, card["features"]), Linear.from_arrays(arrays, "classifier"),
                   list(card["signal_names"]), dict(card.get("meta") or {}))
