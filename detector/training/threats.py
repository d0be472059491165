"""Evaluating the threat flag (``monitor eval threats``) on the hand-written threats corpus.

Lines carry ``label`` (threat | emergency | rumour | chatter) and ``form`` (how a threat is put:
first_person, plural, call, intent, announced, reported, typos_slang, in_context); both are removed
before scoring. The report gives the recall on threats by form, the share of emergency reports,
rumours and everyday violent words wrongly flagged ``threat``, and where the emergency reports and
rumours went instead (``emergency`` routes at once, ``emergency_rumour`` or a fake suspect goes to
fact-checking).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from detector.training.data import name_of, read_jsonl, unlabelled

if TYPE_CHECKING:
    from detector.files import Source
    from detector.scoring import Detector

THREATS_GOLD = ("label", "form")
NOT_THREATS = ("emergency", "rumour", "chatter")


@dataclass
class ThreatReport:
    name: str
    items: Counter[str] = field(default_factory=Counter)  # label → items
    flagged: Counter[str] = field(default_factory=Counter)  # label → flagged threat
    forms: Counter[str] = field(default_factory=Counter)  # threat form → items
    found: Counter[str] = field(default_factory=Counter)  # threat form → flagged
    emergency: int = 0  # emergency reports that route as one
    checked: int = 0  # rumours sent to fact-checking (a fake suspect or emergency_rumour)

    @property
    def recall(self) -> float:
        return self.flagged["threat"] / self.items["threat"] if self.items["threat"] else 0.0

    def false_share(self, labels: tuple[str, ...] = ("emergency", "rumour")) -> float:
        items = sum(self.items[label] for label in labels)
        return sum(self.flagged[label] for label in labels) / items if items else 0.0

    def lines(self) -> list[str]:
        wrong = ", ".join(f"{label} {self.flagged[label]}/{self.items[label]}" for label in NOT_THREATS)
        return [f"{self.name}: {sum(self.items.values())} items, {self.items['threat']} threats",
                f"  threat       recall {self.recall:.3f} ({self.flagged['threat']}/{self.items['threat']})  "
                f"false threats on emergency reports and rumours {self.false_share():.1%}",
                "  threats found by form: " + ", ".join(f"{f} {self.found[f]}/{self.forms[f]}" for f in sorted(self.forms)),
                f"  false threats by kind: {wrong}",
                f"  emergency reports routed as emergencies {self.emergency}/{self.items['emergency']}; "
                f"rumours sent to fact-checking {self.checked}/{self.items['rumour']}"]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "recall": self.recall, "false_threat_share": self.false_share(),
                "items": dict(self.items), "flagged": dict(self.flagged), "forms": dict(self.forms),
                "found": dict(self.found), "emergency_routed": self.emergency, "rumours_checked": self.checked}


def evaluate_threats(detector: Detector, path: Source) -> ThreatReport:
    records = read_jsonl(path)
    scored = detector.score_many([unlabelled(r, THREATS_GOLD) for r in records])
    report = ThreatReport(f"{name_of(path)} (written by the project)")
    for record, score in zip(records, scored, strict=True):
        label, threat, evidence = record["label"], bool(score.get("threat")), score.get("fake_evidence") or {}
        report.items[label] += 1
        report.flagged[label] += threat
        if label == "threat":
            report.forms[record["form"]] += 1
            report.found[record["form"]] += threat
        elif label == "emergency":
            report.emergency += "emergency" in evidence
        elif label == "rumour":
            report.checked += bool(score.get("is_fake_suspect") or "emergency_rumour" in evidence)
    return report
