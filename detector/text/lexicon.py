"""The sectors and their phrases, from ``watchlists/sectors.yml`` (staff edit it; see its header).

Each sector's phrases are lemma sequences with a weight; ``complaint_markers`` and
``non_complaint_markers`` say whether a text complains at all. :meth:`Lexicon.read` returns what a
text contains: the weight per sector, the two marker sums and the phrases, for the model's signals
and for ``explain``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from detector.files import Source, read_yaml
from detector.text.phrases import Hit, Phrase, PhraseMatcher

COMPLAINT = "+complaint"
NOT_COMPLAINT = "-complaint"


@dataclass(frozen=True)
class Sector:
    code: str
    name: str
    maps_to: tuple[str, ...] = ()


@dataclass
class Reading:
    sectors: dict[str, float] = field(default_factory=dict)
    complaint: float = 0.0
    not_complaint: float = 0.0
    hits: list[Hit] = field(default_factory=list)

    def phrases(self, label: str) -> list[str]:
        return [h.phrase.text for h in self.hits if h.phrase.label == label]


class Lexicon:
    def __init__(self, sectors: Sequence[Sector], phrases: Sequence[Phrase], max_gap: int = 2) -> None:
        self.sectors = list(sectors)
        self.codes = [s.code for s in sectors]
        self.matcher = PhraseMatcher(phrases, max_gap)

    @classmethod
    def load(cls, path: Source) -> Lexicon:
        data = read_yaml(path)
        sectors, phrases = [], []
        for spec in data["sectors"]:
            sectors.append(Sector(spec["code"], spec["name"], tuple(spec.get("maps_to") or ())))
            phrases += _phrases(spec.get("lexicon") or {}, spec["code"])
        phrases += _phrases(data.get("complaint_markers") or {}, COMPLAINT)
        phrases += _phrases(data.get("non_complaint_markers") or {}, NOT_COMPLAINT)
        return cls(sectors, phrases, int((data.get("matching") or {}).get("max_gap", 2)))

    def read(self, lemmas: Sequence[str]) -> Reading:
        reading = Reading({code: 0.0 for code in self.codes})
        reading.hits = self.matcher.find(lemmas)
        for hit in reading.hits:
            label, weight = hit.phrase.label, hit.phrase.weight
            if label == COMPLAINT:
                reading.complaint += weight
            elif label == NOT_COMPLAINT:
                reading.not_complaint += weight
            else:
                reading.sectors[label] += weight
        return reading


def _phrases(spec: dict[str, float], label: str) -> list[Phrase]:
    return [Phrase.parse(text, label, weight) for text, weight in spec.items()]
