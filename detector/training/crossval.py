"""``monitor eval complaints --cv K``: judge a model change by cross-validation, not on one split.

Our labelled posts (by default train and dev) are cut into K stratified folds with a fixed seed;
each fold is scored by a model trained, as ``monitor train`` trains, on the other folds, the
train-only posts (``--extra``) and the real appeals. For the real appeals the check is the last 20%
(by id) of their earlier 70%, so the later 30% stays untouched for the final figures; each fold's
model scores it once and the figures pool the K readings, with the portal's platform field and
without it. With ``chatter``, its train split joins every fold as negatives and its dev split is
scored by every fold's model: the check appeals (without the field) against it give the complaint
figure on real text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, Sequence

from sklearn.model_selection import StratifiedKFold

from detector.complaints.model import ComplaintModel, Example
from detector.training.chatter import chatter_negatives, chatter_record, chatter_split
from detector.training.complaints import (
    appeal_examples,
    appeal_record,
    labelled_examples,
    split_appeals,
    with_appeals,
)
from detector.training.data import read_jsonl, unlabelled
from detector.training.evaluation import Report, evaluate

if TYPE_CHECKING:
    from detector.files import Source
    from detector.scoring import Detector

FOLD_SEED = 20261123  # the seed of corpus/complaints/split.py
APPEALS_CHECK = 0.2  # the last share of the real appeals' earlier 70% that checks the folds' models


def cross_validate(detector: Detector, data: Sequence[Source], *, extra: Sequence[Source] = (),
                   real_appeals: Source | None = None, chatter: Source | None = None, folds: int = 5,
                   seed: int = 13) -> list[Report]:
    records = [r for path in data for r in read_jsonl(path)]
    examples = labelled_examples(detector, records)
    rows = read_jsonl(chatter) if chatter is not None else []
    always = labelled_examples(detector, [r for path in extra for r in read_jsonl(path)]) + [
        detector.labelled_example(r, False, None) for r in chatter_negatives(rows)]
    talk = [chatter_record(r) for r in chatter_split(rows, "dev")]
    appeals, check = _appeals(detector, real_appeals)
    scored: list[dict[str, Any]] = [{} for _ in records]
    checked: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {"hint": [], "plain": [], "talk": []}
    kept = detector.model
    try:
        for held in _folds(records, folds):
            rest = set(range(len(records))) - set(held)
            train, sector_only = with_appeals([examples[n] for n in sorted(rest)] + always, appeals, seed)
            detector.model = ComplaintModel.train(train, detector.signal_names, seed=seed, sector_examples=sector_only,
                                                  vectors=detector.word_vectors())
            for n, result in zip(held, detector.score_many([unlabelled(records[n]) for n in held]), strict=True):
                scored[n] = result
            _check(detector, check, talk, checked)
    finally:
        detector.model = kept
    names = " + ".join(str(p) for p in data)
    reports = [evaluate(f"{names} ({folds}-fold cross-validation, each item scored by the model that did not see it)",
                        zip(records, scored, strict=True))]
    if checked["hint"]:
        name = f"{real_appeals} (last 20% of the earlier 70% by id: {len(check)} appeals, each scored by all {folds} folds' models"
        reports.append(evaluate(f"{name})", checked["hint"]))
        reports.append(evaluate(f"{name}, no platform field)", checked["plain"]))
    if checked["talk"]:
        reports.append(evaluate(f"{chatter} dev split (not complaints, each scored by all {folds} folds' models)",
                                checked["talk"]))
        pairs = [({"is_complaint": True}, s) for _, s in checked["plain"]] + checked["talk"]
        reports.append(evaluate("the check appeals (no platform field) against the chatter's dev split", pairs))
    return reports


def _check(detector: Detector, check: list[dict[str, Any]], talk: list[dict[str, Any]],
           checked: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]) -> None:
    """One fold's model on the check appeals, with and without the platform field, and on the chatter."""
    gold = [{"is_complaint": True, "sector": r["sector"]} for r in check]
    checked["hint"] += zip(gold, detector.score_many([appeal_record(r) for r in check]), strict=True)
    checked["plain"] += zip(gold, detector.score_many([appeal_record(r, hint=False) for r in check]), strict=True)
    checked["talk"] += [({"is_complaint": False}, s) for s in detector.score_many(talk)]


def _folds(records: list[dict[str, Any]], folds: int) -> Iterator[list[int]]:
    strata = [f"{r.get('is_complaint')}/{r.get('sector')}" for r in records]
    splitter = StratifiedKFold(folds, shuffle=True, random_state=FOLD_SEED)
    for _, held in splitter.split(strata, strata):
        yield [int(n) for n in held]


def _appeals(detector: Detector, path: Source | None) -> tuple[list[Example], list[dict[str, Any]]]:
    """The earlier 70% of the real appeals, cut by id: the part to train on and the part to check."""
    if path is None:
        return [], []
    earlier = split_appeals(read_jsonl(path))[0]
    cut = int(len(earlier) * (1 - APPEALS_CHECK))
    return appeal_examples(detector, earlier[:cut]), earlier[cut:]
