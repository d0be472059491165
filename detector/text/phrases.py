"""Find lexicon phrases, written as lemmas, in a text's lemmas.

A phrase matches when its lemmas appear in order with at most ``max_gap`` other words between
neighbours, so "горячий вода" finds "горячей воды", "горячую опять воду". Staff edit phrases in
YAML (``watchlists/sectors.yml``, ``watchlists/routing.yml``) without touching code.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass(frozen=True, slots=True)
class Phrase:
    lemmas: tuple[str, ...]
    label: str  # what the phrase stands for: a sector code, "complaint", a fast-track topic...
    weight: float = 1.0

    @property
    def text(self) -> str:
        return " ".join(self.lemmas)

    @classmethod
    def parse(cls, written: str, label: str, weight: float = 1.0) -> Phrase:
        """A phrase as staff write it in YAML: lemmas separated by spaces, ё read as е."""
        return cls(tuple(str(written).lower().replace("ё", "е").split()), label, float(weight))


@dataclass(frozen=True, slots=True)
class Hit:
    phrase: Phrase
    start: int  # token positions, end exclusive
    end: int


class PhraseMatcher:
    def __init__(self, phrases: Iterable[Phrase], max_gap: int = 2) -> None:
        self.max_gap = max_gap
        self._by_first: dict[str, list[Phrase]] = defaultdict(list)
        for phrase in phrases:
            if phrase.lemmas:
                self._by_first[phrase.lemmas[0]].append(phrase)

    def find(self, lemmas: Sequence[str]) -> list[Hit]:
        """Every phrase found, each at its first place; a phrase that is part of a longer hit of
        the same label is dropped (so "вода" does not count again inside "горячий вода")."""
        hits: list[Hit] = []
        seen: set[int] = set()  # ids: hashing a frozen dataclass costs more than the match
        by_first = self._by_first
        for start, lemma in enumerate(lemmas):
            for phrase in by_first.get(lemma, ()):
                if id(phrase) in seen:
                    continue
                end = self._match(phrase, lemmas, start) if len(phrase.lemmas) > 1 else start + 1
                if end is not None:
                    hits.append(Hit(phrase, start, end))
                    seen.add(id(phrase))
        return _drop_contained(hits)

    def _match(self, phrase: Phrase, lemmas: Sequence[str], start: int) -> int | None:
        position = start
        for lemma in phrase.lemmas[1:]:
            limit = min(len(lemmas), position + 2 + self.max_gap)
            for nxt in range(position + 1, limit):
                if lemmas[nxt] == lemma:
                    position = nxt
                    break
            else:
                return None
        return position + 1


def _drop_contained(hits: list[Hit]) -> list[Hit]:
    if len(hits) < 2:
        return hits
    kept = []
    for hit in hits:
        inside = any(other is not hit and other.phrase.label == hit.phrase.label
                     and len(other.phrase.lemmas) > len(hit.phrase.lemmas)
                     and other.start <= hit.start and hit.end <= other.end for other in hits)
        if not inside:
            kept.append(hit)
    return kept
