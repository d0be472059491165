"""Evaluating the answer-quality grammar (``monitor eval answers``) on the labelled answers.

Precision, recall and F1 of отписка detection, accuracy on the hard cases and per style. With
``compare``, a small linear model (logistic regression over character n-grams and the grammar's
marker groups, trained on the train split) is scored on the same data: the measure by which the
grammar was kept (docs/ANSWERS.md).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence

from detector.answers.quality import OTPISKA, classify_answer, markers
from detector.training.data import corpus, name_of, read_jsonl

if TYPE_CHECKING:
    from detector.files import Source

ANSWERS_GOLD = ("label", "style", "hard")


@dataclass
class AnswersReport:
    """Отписка detection on one data file."""

    name: str
    method: str = "grammar"
    items: int = 0
    otpiski: int = 0
    counts: Counter[str] = field(default_factory=Counter)  # tp, fp, fn, tn (отписка is positive)
    styles: Counter[str] = field(default_factory=Counter)  # style → items
    right: Counter[str] = field(default_factory=Counter)  # style → classified right
    mistakes: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)  # gold, text, markers

    def add(self, gold: str, got: str, style: str, text: str, fired: tuple[str, ...]) -> None:
        self.items += 1
        self.otpiski += gold == OTPISKA
        key = ("t" if gold == got else "f") + ("p" if got == OTPISKA else "n")
        self.counts[key] += 1
        self.styles[style] += 1
        self.right[style] += gold == got
        if gold != got:
            self.mistakes.append((gold, text, fired))

    @property
    def precision(self) -> float:
        found = self.counts["tp"] + self.counts["fp"]
        return self.counts["tp"] / found if found else 0.0

    @property
    def recall(self) -> float:
        return self.counts["tp"] / self.otpiski if self.otpiski else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def lines(self) -> list[str]:
        styles = ", ".join(f"{s} {self.right[s]}/{self.styles[s]}" for s in sorted(self.styles))
        out = [f"{self.name} ({self.method}): {self.items} answers, {self.otpiski} отписки",
               f"  отписка      precision {self.precision:.3f}  recall {self.recall:.3f}  F1 {self.f1:.3f}",
               f"  right by style: {styles}"]
        out += [f"  wrong: gold {gold}: {text[:90]}  [{'; '.join(fired) or 'no markers'}]"
                for gold, text, fired in self.mistakes]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "method": self.method, "items": self.items, "otpiski": self.otpiski,
                "precision": self.precision, "recall": self.recall, "f1": self.f1,
                "by_style": {s: [self.right[s], self.styles[s]] for s in sorted(self.styles)}}


def evaluate_answers(paths: Sequence[Source] = (), *, compare: bool = False) -> list[AnswersReport]:
    """The grammar on each file (default: the corpus' test split); with ``compare`` also the
    linear model trained on the train split."""
    files = list(paths) or [corpus("answers", "test")]
    reports = [_evaluate(path, _grammar, "grammar") for path in files]
    if compare:
        model = _train_linear(read_jsonl(corpus("answers", "train")))
        reports += [_evaluate(path, model, "linear model") for path in files]
    return reports


def _grammar(text: str) -> tuple[str, tuple[str, ...]]:
    quality = classify_answer(text)
    return quality.label, quality.markers


def _evaluate(path: Source, judge: Callable[[str], tuple[str, tuple[str, ...]]], method: str) -> AnswersReport:
    report = AnswersReport(name_of(path), method)
    for record in read_jsonl(path):
        got, fired = judge(str(record["text"]))
        report.add(str(record["label"]), got, str(record.get("style") or "-"), str(record["text"]), fired)
    return report


def _train_linear(records: list[dict[str, Any]]) -> Callable[[str], tuple[str, tuple[str, ...]]]:
    """Logistic regression over character 2-4-grams and the marker groups that fired."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    def features(text: str) -> str:
        return text.lower() + " " + " ".join(f"__{group}__" for group in markers(text))

    model = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True),
                          LogisticRegression(max_iter=1000, C=10.0))
    model.fit([features(str(r["text"])) for r in records], [str(r["label"]) for r in records])
    return lambda text: (str(model.predict([features(text)])[0]), ())
