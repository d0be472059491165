"""Training and evaluating the complaints model (``monitor train``, ``monitor eval complaints``).

The model learns from our labelled posts plus the real St Petersburg appeals when they are given:
a few hundred of them teach the complaint model the portal's formal style, the rest teach the
sector model the portal's categories (:func:`with_appeals`). The appeals are cut by id, which
grows with time: the earlier 70% may be learnt from, the later 30% is only ever scored. Real
everyday chatter (:mod:`detector.training.chatter`, its train split) teaches the complaint model
what is not a complaint; its probability is then calibrated on items it did not learn
(:func:`calibration_examples`).
"""

from __future__ import annotations

import random
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from detector.complaints.model import PORTAL, ComplaintModel, Example, fit_complaint, platt
from detector.model_files import data_file
from detector.training.chatter import CHATTER_SOURCE, chatter_negatives, chatter_record, chatter_split
from detector.training.data import Trained, name_of, read_jsonl, unlabelled
from detector.training.evaluation import Report, calibration_table, evaluate

if TYPE_CHECKING:
    from pathlib import Path

    from detector.files import Source
    from detector.scoring import Detector

REAL_COMPLAINTS = 300  # real appeals added to the complaint model's positives
CALIBRATION_APPEALS = 1000  # real appeals the complaint model did not learn, among the calibration items
TRAIN_SHARE = 0.7  # the earlier share of the real appeals that may be learnt from
APPEALS_SOURCE = ("Appeals to St Petersburg's city portal «Наш Санкт-Петербург», Oct-Dec 2020, from the public "
                  "research repository Timmy-Max/Appeals-to-Housing-and-Communal-Services (raw data f639e6e)")


def train_complaints(detector: Detector, data: Sequence[Source], output: Path, *,
                     real_appeals: Source | None = None, chatter: Source | None = None,
                     calibration: Sequence[Source] = (), seed: int = 13) -> Trained:
    """Train on labelled ``data`` (the earlier 70% of ``real_appeals``, the train split of
    ``chatter`` as negatives) and save to ``output``; the same data and seed give the same model.

    With ``calibration`` (files among ``data``), the complaint probability is calibrated (Platt)
    on them, the chatter's dev split and real appeals the complaint model never saw, as scored by
    a twin complaint model fitted without them; the shipped model learns them too."""
    held = {str(p) for p in calibration}
    learnt = labelled_examples(detector, [r for p in data if str(p) not in held for r in read_jsonl(p)])
    dev = labelled_examples(detector, [r for p in data if str(p) in held for r in read_jsonl(p)])
    rows = read_jsonl(chatter) if chatter is not None else []
    negatives = [replace(detector.labelled_example(r, False, None), chatter=True) for r in chatter_negatives(rows)]
    appeals = appeal_examples(detector, split_appeals(read_jsonl(real_appeals))[0]) if real_appeals else []
    examples, sector_examples = with_appeals(learnt + dev + negatives, appeals, seed)
    started = time.perf_counter()
    model = ComplaintModel.train(examples, detector.signal_names, seed=seed, sector_examples=sector_examples,
                                 vectors=detector.word_vectors(),
                                 meta={"examples": len(examples), "sector_examples": len(sector_examples)})
    card: dict[str, Any] = {"data": [data_file(p, name_of(p)) for p in data]}
    if dev:
        model, card["calibration"] = calibrate(detector, model, examples, dev, rows, appeals, seed)
        card["calibration"]["on"] = [name_of(p) for p in calibration] + ["chatter dev split", "real appeals"]
    if real_appeals is not None:
        card["real_appeals"] = {**data_file(real_appeals, name_of(real_appeals)), "source": APPEALS_SOURCE,
                                "used": f"the earlier {TRAIN_SHARE:.0%} by id, with a sector"}
    if chatter is not None:
        card["chatter"] = {**data_file(chatter, name_of(chatter)), "source": CHATTER_SOURCE,
                           "used": "the train split by id hash as negatives, the dev split to calibrate"}
    model.save(output, card)
    return Trained(model, len(examples), len(sector_examples), time.perf_counter() - started)


def calibrate(detector: Detector, model: ComplaintModel, examples: list[Example], dev: list[Example],
              chatter: list[dict[str, Any]], appeals: list[Example], seed: int) -> tuple[ComplaintModel, dict[str, Any]]:
    """``model`` calibrated by Platt on the scores of its twin, fitted as it was but without
    ``dev``, on :func:`calibration_examples`; and what they were."""
    learnt = {id(e) for e in examples}
    parts = calibration_examples(detector, dev, chatter, [e for e in appeals if id(e) not in learnt], seed)
    check = [e for part in parts for e in part]
    held = {id(e) for e in dev}
    complaint, relevance = fit_complaint(model.text, [e for e in examples if id(e) not in held], detector.hasher, seed)
    twin = replace(model, complaint=complaint, relevance=relevance, meta={})
    p = np.clip(twin.complaint_probability(model.text.matrix(check, hasher=detector.hasher)), 1e-9, 1 - 1e-9)
    truth = [bool(e.is_complaint) for e in check]
    slope_intercept = platt(np.log(p / (1 - p)), truth, [n for n, part in enumerate(parts) for _ in part])
    return model.calibrated(*slope_intercept), {"items": len(check), "complaints": sum(truth)}


def calibration_examples(detector: Detector, dev: list[Example], chatter: list[dict[str, Any]],
                         unseen: list[Example], seed: int) -> list[list[Example]]:
    """What the complaint probability is calibrated on: the held-out labelled posts, the chatter's
    dev split (every one taken as not a complaint) and ``CALIBRATION_APPEALS`` of the real appeals
    the complaint model did not learn (``unseen``): three kinds of text, which weigh the same."""
    picked = random.Random(seed).sample(unseen, min(CALIBRATION_APPEALS, len(unseen)))
    talk = [detector.labelled_example(chatter_record(r), False, None) for r in chatter_split(chatter, "dev")]
    return [dev, talk, picked]


def labelled_examples(detector: Detector, records: list[dict[str, Any]]) -> list[Example]:
    return [detector.labelled_example(unlabelled(r), bool(r.get("is_complaint")), r.get("sector")) for r in records]


def appeal_examples(detector: Detector, rows: list[dict[str, Any]]) -> list[Example]:
    """Real appeals as the model sees them: the text and the platform (the portal gives no page
    or author)."""
    return [detector.labelled_example(appeal_record(r), True, r["sector"]) for r in rows]


def appeal_record(row: dict[str, Any], *, hint: bool = True) -> dict[str, Any]:
    """What the detector reads of a real appeal: its text, marked as written to a city portal
    (such an example weighs less than our posts in the sector model); ``hint`` False: the text
    alone, as a post on a social network comes (the same sector: one model reads both)."""
    return {"id": row["id"], "text": row["text"], **({"platform": PORTAL} if hint else {})}


def with_appeals(examples: list[Example], appeals: list[Example], seed: int) -> tuple[list[Example], list[Example]]:
    """Our labelled posts plus a few hundred real appeals, and the other appeals (sectors only).

    The few hundred teach the complaint model the portal's formal style: without them it finds 39%
    of the real appeals, with 300 it finds 96%, at the same F1 on our posts. Portal appeals among
    our labelled files (``raw/part_f``, ``part_g``: written for the portal's winter and its stop
    signs) teach the sector model only: in the complaint model too they cost 0.006 of the
    cross-validated complaint F1."""
    rng = random.Random(seed)
    picked = set(rng.sample(range(len(appeals)), min(REAL_COMPLAINTS, len(appeals))))
    return ([e for e in examples if e.domain != PORTAL] + [e for n, e in enumerate(appeals) if n in picked],
            [e for n, e in enumerate(appeals) if n not in picked] + [e for e in examples if e.domain == PORTAL])


def split_appeals(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The real appeals by id order (the portal's ids grow with time): the earlier 70% to train on,
    the later 30% to test on, keeping only appeals with an unambiguous sector."""
    rows = sorted((r for r in rows if r.get("sector")), key=lambda r: int("".join(filter(str.isdigit, r["id"]))))
    cut = int(len(rows) * TRAIN_SHARE)
    return rows[:cut], rows[cut:]


def evaluate_complaints(detector: Detector, data: Sequence[Source], *, real_appeals: Source | None = None,
                        chatter: Source | None = None) -> list[Report]:
    """One report per labelled file; with ``real_appeals``, their later 30% with the portal's
    platform field and without it (as posts); with ``chatter`` too, the appeals without it
    against the chatter's test split: is a complaint told from everyday talk."""
    reports = []
    for path in data:
        records = read_jsonl(path)
        scored = detector.score_many([unlabelled(r) for r in records])
        reports.append(evaluate(name_of(path), zip(records, scored, strict=True)))
    if real_appeals is None:
        return reports
    test = split_appeals(read_jsonl(real_appeals))[1]
    gold = [{"is_complaint": True, "sector": r["sector"]} for r in test]
    name = f"{name_of(real_appeals)} (later 30% by id, sector labelled"
    scored = detector.score_many([appeal_record(r) for r in test])
    reports.append(evaluate(f"{name})", zip(gold, scored, strict=True)))
    plain = detector.score_many([appeal_record(r, hint=False) for r in test])
    reports.append(evaluate(f"{name}, no platform field)", zip(gold, plain, strict=True)))
    if chatter is not None:
        rows = chatter_split(read_jsonl(chatter), "test")
        talk = detector.score_many([chatter_record(r) for r in rows])
        pairs = [({"is_complaint": True}, s) for s in plain] + [({"is_complaint": False}, s) for s in talk]
        combined = evaluate(f"{name_of(real_appeals)} later 30% (no platform field) against "
                            f"{name_of(chatter)} test split (by id hash, not complaints)", pairs)
        combined.calibration = calibration_table(pairs)
        reports.append(combined)
    return reports
