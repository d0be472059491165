"""The sectors and their phrases, from ``watchlists/sectors.yml`` (staff edit it; see its header;
:mod:`detector.staff.sectors` validates it).

Each sector's phrases are lemma sequences with a weight; ``complaint_markers`` and
``non_complaint_markers`` say whether a text complains at all. :meth:`Lexicon.read` returns what a
text contains: the weight per sector, the two marker sums and the phrases, for the model's signals
and for ``explain``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from detector.files import Source
from detector.sectors import Sector, sectors_of
from detector.staff.sectors import SectorsFile, read_sectors
from detector.text.phrases import Hit, Phrase, PhraseMatcher

COMPLAINT = "+complaint"
NOT_COMPLAINT = "-complaint"


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
        return cls.from_spec(read_sectors(path))

    @classmethod
    def from_spec(cls, spec: SectorsFile) -> Lexicon:
        phrases = [phrase for sector in spec.sectors for phrase in _phrases(sector.lexicon, sector.code)]
        phrases += _phrases(spec.complaint_markers, COMPLAINT)
        phrases += _phrases(spec.non_complaint_markers, NOT_COMPLAINT)
        return cls(sectors_of(spec), phrases, spec.matching.max_gap)

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


def _phrases(spec: Mapping[str, float], label: str) -> list[Phrase]:
    return [Phrase.parse(text, label, weight) for text, weight in spec.items()]
