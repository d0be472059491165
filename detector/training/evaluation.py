"""Detection quality on labelled data: what `monitor eval complaints` prints.

Complaint detection: precision, recall, F1 of ``is_complaint``. Sector: per-sector precision,
recall, F1 and their macro average, over the items labelled as complaints with a sector (so the
sector figure does not mix in complaint-detection errors). Territory: over the labelled complaints
whose text names a street, the share where the street (and, where a house is labelled, the house)
comes out exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from sklearn.metrics import precision_recall_fscore_support


@dataclass
class Report:
    name: str
    items: int = 0
    complaint: tuple[float, float, float] | None = None  # precision, recall, F1
    complaint_recall: float | None = None  # when every item is a complaint (real appeals)
    complaint_flagged: float | None = None  # when no item is a complaint (real chatter): false alarms
    complaints: int = 0
    sectors: dict[str, tuple[float, float, float, int]] = field(default_factory=dict)
    sector_macro_f1: float | None = None
    streets: int = 0
    street_accuracy: float | None = None
    houses: int = 0
    house_accuracy: float | None = None
    # per bin of the complaint probability: (low, high, items, mean probability, share of complaints)
    calibration: list[tuple[float, float, int, float, float]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.name}: {self.items} items"]
        if self.complaint:
            p, r, f = self.complaint
            out.append(f"  complaint    precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}  ({self.complaints} labelled complaints)")
        elif self.complaint_recall is not None:
            out.append(f"  complaint    recall {self.complaint_recall:.3f}  (every item is a complaint)")
        elif self.complaint_flagged is not None:
            out.append(f"  complaint    flagged {self.complaint_flagged:.3f}  (no item is a complaint)")
        if self.sectors:
            out.append(f"  sector       macro-F1 {self.sector_macro_f1:.3f}")
            for code, (p, r, f, n) in sorted(self.sectors.items()):
                out.append(f"    {code:<11} precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}  n={n}")
        if self.street_accuracy is not None:
            out.append(f"  territory    street exact {self.street_accuracy:.3f} (n={self.streets})"
                       + (f"  house exact {self.house_accuracy:.3f} (n={self.houses})"
                          if self.house_accuracy is not None else ""))
        if self.calibration:
            out.append("  calibration  probability bin: items, mean probability, observed share of complaints")
            out += [f"    {lo:.1f}-{hi:.1f}  {n:>5}  {mean:.3f}  {share:.3f}" for lo, hi, n, mean, share in self.calibration]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def evaluate(name: str, pairs: Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> Report:
    """``pairs``: (gold record, scored record) for each item."""
    report = Report(name)
    truth, guess = [], []
    sector_truth, sector_guess = [], []
    street_hits = house_hits = 0
    for gold, scored in pairs:
        report.items += 1
        if gold.get("is_complaint") is not None:
            truth.append(bool(gold["is_complaint"]))
            guess.append(bool(scored["is_complaint"]))
        if gold.get("is_complaint") and gold.get("sector"):
            sector_truth.append(gold["sector"])
            sector_guess.append(top_sector(scored))
        place = gold.get("territory") if isinstance(gold.get("territory"), Mapping) else None
        if gold.get("is_complaint") and place and place.get("street"):
            found = scored.get("territory") or {}
            from_text = found.get("source") == "text"
            report.streets += 1
            street_hits += from_text and _same(found.get("street"), place["street"])
            if place.get("house"):
                report.houses += 1
                house_hits += from_text and _same(found.get("street"), place["street"]) and \
                    _same(found.get("house"), place["house"])
    report.complaints = sum(truth)
    if truth and len(set(truth)) > 1:
        p, r, f, _ = precision_recall_fscore_support(truth, guess, average="binary", zero_division=0)
        report.complaint = (float(p), float(r), float(f))
    elif truth and all(truth):
        report.complaint_recall = sum(guess) / len(guess)
    elif truth:
        report.complaint_flagged = sum(guess) / len(guess)
    if sector_truth:
        labels = sorted(set(sector_truth))
        p, r, f, n = precision_recall_fscore_support(sector_truth, sector_guess, labels=labels, zero_division=0)
        report.sectors = {code: (float(p[i]), float(r[i]), float(f[i]), int(n[i])) for i, code in enumerate(labels)}
        report.sector_macro_f1 = float(sum(f) / len(f))
    if report.streets:
        report.street_accuracy = street_hits / report.streets
    if report.houses:
        report.house_accuracy = house_hits / report.houses
    return report


def calibration_table(pairs: Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]],
                      bins: int = 10) -> list[tuple[float, float, int, float, float]]:
    """Predicted complaint probability in ``bins`` equal bins against the share of complaints
    observed in each: a calibrated score reads the same in both columns."""
    rows: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for gold, scored in pairs:
        probability = float(scored["complaint"])
        rows[min(int(probability * bins), bins - 1)].append((probability, bool(gold["is_complaint"])))
    return [(n / bins, (n + 1) / bins, len(row), sum(p for p, _ in row) / len(row), sum(t for _, t in row) / len(row))
            for n, row in enumerate(rows) if row]


def top_sector(scored: Mapping[str, Any]) -> str | None:
    """The sector a scored item is judged by: its highest-scoring one, even when the complaint
    score is below the threshold (the sector figure does not mix in complaint errors)."""
    scores: dict[str, float] = scored.get("sector_scores") or {}
    if not scores:
        sector: str | None = scored.get("sector")
        return sector
    return max(scores, key=lambda code: scores[code])


def _same(a: Any, b: Any) -> bool:
    def norm(value: Any) -> str:
        return str(value).lower().replace("ё", "е").replace(" ", "")

    return a is not None and b is not None and norm(a) == norm(b)
