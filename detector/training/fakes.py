"""Training and evaluating the fakes model (``monitor train fakes``, ``monitor eval fakes``).

Labelled lines carry ``label`` (fake | ordinary), ``category``, ``story`` (near-copies of one
story share it) and ``threat``; they are removed before scoring. The evaluation gives precision,
recall and F1 of ``is_fake_suspect`` (with the debunk registry, as the product runs, and on the
text alone), the best recall at precision ≥ 0.7, the false alarms per kind of hard negative, the
threat flag's precision and recall, and the purity of the near-duplicate clustering against the
stories.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from sklearn.metrics import precision_recall_curve, precision_recall_fscore_support

from detector.exceptions import ConfigError
from detector.fakes.model import FakeModel
from detector.incidents.clusters import Clusterer, purity
from detector.model_files import data_file
from detector.training.chatter import CHATTER_SOURCE, chatter_record, chatter_split
from detector.training.data import FAKES_GOLD, Trained, name_of, read_jsonl
from detector.training.data import unlabelled as _unlabelled

if TYPE_CHECKING:
    from pathlib import Path

    from detector.files import Source
    from detector.scoring import Detector


CHATTER_WEIGHT = 0.3  # a real tweet against a labelled item (chosen on the dev splits: fakes F1, chatter share)
URGENT = {"emergency", "emergency_rumour"}  # fake_evidence naming an emergency


def unlabelled(record: dict[str, Any]) -> dict[str, Any]:
    return _unlabelled(record, FAKES_GOLD)


def train_fakes(detector: Detector, data: Sequence[Source], output: Path, *, ordinary: Sequence[Source] = (),
                chatter: Source | None = None, c: float = 4.0, seed: int = 13) -> Trained:
    """``ordinary``: more labelled files whose every item is ordinary (the complaints corpus: what
    city groups write every day, so that an alarmed complaint is not taken for a rumour; official
    news and advice). ``chatter``: real everyday posts, of which the train split (by id hash) is
    learnt from as ordinary, each weighing ``CHATTER_WEIGHT`` of a labelled item (6,000 tweets
    would otherwise outweigh the corpus' ordinary posts and cost recall on calm fakes)."""
    if detector.fakes is None:
        raise ConfigError("the fake score is off (FAKES_LEXICON=none): nothing to train or evaluate")
    records = [r for path in data for r in read_jsonl(path)]
    records += [dict(r, label="ordinary") for path in ordinary for r in read_jsonl(path)]
    labelled = len(records)
    real = [dict(chatter_record(r), label="ordinary") for r in chatter_split(read_jsonl(chatter), "train")] \
        if chatter is not None else []
    records += real
    examples = []
    for n, record in enumerate(records):
        reading = detector.prepare(unlabelled(record)).fake
        assert reading is not None
        reading.example.is_fake = record["label"] == "fake"
        reading.example.weight = 1.0 if n < labelled else CHATTER_WEIGHT
        examples.append(reading.example)
    started = time.perf_counter()
    model = FakeModel.train(examples, detector.fakes.SIGNALS, seed=seed, c=c,
                            meta={"examples": len(examples), "real_chatter": len(real),
                                  "real_chatter_weight": CHATTER_WEIGHT})
    card: dict[str, Any] = {"data": [data_file(p, name_of(p)) for p in data],
                            "ordinary": [data_file(p, name_of(p)) for p in ordinary]}
    if chatter is not None:
        card["chatter"] = dict(data_file(chatter, name_of(chatter)), split="train", source=CHATTER_SOURCE)
    model.save(output, card)
    return Trained(model, len(examples), 0, time.perf_counter() - started)


def false_alarms(detector: Detector, path: Source) -> str:
    """How many items of an all-ordinary file (e.g. the complaints dev split) are flagged."""
    records = read_jsonl(path)
    flagged = sum(1 for s in detector.score_many([unlabelled(r) for r in records]) if s["is_fake_suspect"])
    return f"{name_of(path)}: {flagged} of {len(records)} ordinary city-group posts flagged as fake suspects"


def evaluate_fakes(detector: Detector, path: Source, *, clusterer: Clusterer | None = None,
                   official: Source | None = None) -> list[str]:
    """``official``: plain official news and advice (all ordinary), scored against this file's fakes."""
    if detector.fakes is None:
        raise ConfigError("the fake score is off (FAKES_LEXICON=none): nothing to train or evaluate")
    records = read_jsonl(path)
    scored = detector.score_many([unlabelled(r) for r in records])
    gold = [r["label"] == "fake" for r in records]
    with_registry = [bool(s["is_fake_suspect"]) for s in scored]
    text_only = [s["fake_evidence"]["model"]["probability"] * (0.3 if "source" in s["fake_evidence"] else 1)
                 >= detector.fakes.threshold for s in scored]
    lines = [f"{name_of(path)}: {len(records)} items, {sum(gold)} fake, threshold {detector.fakes.threshold}"]
    lines.append("  fake         " + _prf(gold, with_registry) + "  (with the debunk registry)")
    lines.append("  fake         " + _prf(gold, text_only) + "  (text alone)")
    recall, threshold = _recall_at_precision(gold, [float(s["fake"]) for s in scored], 0.7)
    lines.append(f"  fake         recall {recall:.3f} at precision ≥ 0.70 (threshold {threshold:.2f})")
    matched = sum(1 for s in scored if "registry" in s["fake_evidence"])
    lines.append(f"  registry     {matched} items matched a registered story "
                 f"({sum(1 for s, g in zip(scored, gold, strict=True) if 'registry' in s['fake_evidence'] and not g)} of them not fake)")
    lines.append("  fakes found by category: " + _shares(
        (r["category"], p) for r, g, p in zip(records, gold, with_registry, strict=True) if g))
    lines.append("  false alarms by category: " + _shares(
        (r["category"], p) for r, g, p in zip(records, gold, with_registry, strict=True) if not g))
    threat_gold = [bool(r.get("threat")) for r in records]  # threats and emergencies, true or fake
    lines.append("  threat/emergency " + _prf(threat_gold, [bool(s["threat"] or set(s["fake_evidence"]) & URGENT)
                                                        for s in scored]) + "  (violent threat or emergency named)")
    if official is not None:
        lines += _against_official(detector, official, sum(with_registry[i] and g for i, g in enumerate(gold)))
    clusterer = clusterer or Clusterer()
    predicted = clusterer.add([{"id": r["id"], "text": r["text"]} for r in records])
    p, inverse = purity(predicted, [r.get("story") for r in records])
    stories = {r["story"] for r in records if r.get("story")}
    lines.append(f"  clusters     purity {p:.3f}  inverse purity {inverse:.3f}  "
                 f"({len(set(predicted))} clusters for {len(stories)} stories + "
                 f"{sum(1 for r in records if not r.get('story'))} one-off posts)")
    return lines


def _against_official(detector: Detector, path: Source, found: int) -> list[str]:
    """False suspects among official news and advice, and the precision of the fakes found."""
    records = read_jsonl(path)
    flagged = [bool(s["is_fake_suspect"]) for s in detector.score_many([unlabelled(r) for r in records])]
    precision = found / (found + sum(flagged)) if found + sum(flagged) else 0.0
    return [f"  official     {name_of(path)}: {sum(flagged)} of {len(records)} official news and advice flagged "
            f"({_shares((r['category'], f) for r, f in zip(records, flagged, strict=True))}); precision of the "
            f"fakes found against them {precision:.3f}"]


def _prf(gold: list[bool], predicted: list[bool]) -> str:
    precision, recall, f1, _ = precision_recall_fscore_support(gold, predicted, average="binary", zero_division=0)
    return f"precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}"


def _recall_at_precision(gold: list[bool], scores: list[float], floor: float) -> tuple[float, float]:
    """The best recall among thresholds whose precision is at least ``floor``, and that threshold."""
    precision, recall, thresholds = precision_recall_curve(gold, scores)
    best = (0.0, 1.0)
    for p, r, t in zip(precision[:-1], recall[:-1], thresholds, strict=True):
        if p >= floor and r > best[0]:
            best = (float(r), float(t))
    return best


def _shares(pairs: Iterable[tuple[str, bool]]) -> str:
    total: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    for category, flagged in pairs:
        total[category] += 1
        hits[category] += flagged
    return ", ".join(f"{c} {hits[c]}/{total[c]}" for c in sorted(total))
