"""The language of rumours and of denials, from ``watchlists/fakes.yml`` (staff edit it).

:meth:`RumourLexicon.read` says which of the named groups a text shows (forwarding appeals,
urgency, anonymous authority, claims of a cover-up, panic) with the phrases found, plus two
typographic panic marks (a run of "!!!" and shouting in capitals), and whether it is a denial.
Each group is a named piece of evidence in ``fake_evidence`` and one of the fake model's signals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from detector.files import Source
from detector.staff.fakes import GROUPS, FakesFile, read_fakes
from detector.text.phrases import Phrase, PhraseMatcher

DENIAL = "denial"
_EXCLAIMS = re.compile(r"!{3,}|[!?]{4,}")
_CAPS_WORD = re.compile(r"\b[А-ЯЁ]{4,}\b")


@dataclass
class RumourReading:
    groups: dict[str, list[str]] = field(default_factory=dict)  # group → phrases found
    weights: dict[str, float] = field(default_factory=dict)
    shouting: bool = False
    denial: list[str] = field(default_factory=list)

    def evidence(self) -> dict[str, list[str]]:
        """The groups found, as ``fake_evidence`` names them."""
        found = {group: list(phrases) for group, phrases in self.groups.items() if phrases}
        if self.shouting:
            found.setdefault("panic", []).append("!!! / КАПС")
        return found


class RumourLexicon:
    def __init__(self, phrases: Sequence[Phrase], max_gap: int = 2) -> None:
        self.matcher = PhraseMatcher(phrases, max_gap)

    @classmethod
    def load(cls, path: Source) -> RumourLexicon:
        return cls.from_spec(read_fakes(path))

    @classmethod
    def from_spec(cls, spec: FakesFile) -> RumourLexicon:
        phrases = [Phrase.parse(text, group, weight) for group, found in spec.rumour.items()
                   for text, weight in found.items()]
        phrases += [Phrase.parse(text, DENIAL, weight) for text, weight in spec.denial.items()]
        return cls(phrases, spec.matching.max_gap)

    def read(self, text: str, lemmas: Sequence[str]) -> RumourReading:
        reading = RumourReading({group: [] for group in GROUPS}, {group: 0.0 for group in GROUPS})
        for hit in self.matcher.find(lemmas):
            label = hit.phrase.label
            if label == DENIAL:
                reading.denial.append(hit.phrase.text)
            else:
                reading.groups[label].append(hit.phrase.text)
                reading.weights[label] += hit.phrase.weight
        reading.shouting = bool(_EXCLAIMS.search(text)) or len(_CAPS_WORD.findall(text)) >= 2
        return reading

    @staticmethod
    def signal_names() -> list[str]:
        return [f"rumour:{group}" for group in GROUPS] + ["rumour:shouting", "rumour:denial"]

    @staticmethod
    def signals(reading: RumourReading) -> list[float]:
        return [min(reading.weights[group], 4.0) for group in GROUPS] + [
            float(reading.shouting), float(bool(reading.denial))]
