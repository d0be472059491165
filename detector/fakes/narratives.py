"""The debunk registry: known false stories, each with the link to answer with.

Entries come from ``watchlists/narratives.yml`` (the fact-check team curates it) and from the
fact-check queue's own decisions (a verdict of fake with a debunk link; ``monitor review``), so a
story debunked once is matched at once when it comes back. A text matches an entry when its
content lemmas cover one of the entry's phrasings (the claim or a variant) closely: rapidfuzz's
token-set ratio over sorted lemmas, which is 100 when every word of the phrasing is in the text
and degrades gracefully with typos and paraphrase, and at least ``min_shared`` content lemmas in
common so that a two-word phrasing cannot match every post about water.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from rapidfuzz import fuzz

from detector.files import Source
from detector.staff.narratives import read_narratives_file
from detector.text.lemmas import Lemmatizer, content_lemmas


@dataclass
class Narrative:
    id: str
    claim: str
    variants: list[str] = field(default_factory=list)
    status: str = "debunked"  # debunked | unverified
    debunk: str | None = None
    date: str | None = None
    sector: str | None = None
    origin: str = "registry"  # registry (the YAML file) | review (a fact-checker's verdict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "claim": self.claim, "status": self.status, "debunk": self.debunk,
                "date": self.date, "origin": self.origin}


@dataclass
class NarrativeMatch:
    narrative: Narrative
    similarity: float  # 0..1
    phrasing: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.narrative.to_dict(), similarity=round(self.similarity, 3), matched=self.phrasing)


class Registry:
    def __init__(self, narratives: Iterable[Narrative], lemmatizer: Lemmatizer, *, threshold: float = 0.8,
                 min_shared: int = 3) -> None:
        self.lemmatizer = lemmatizer
        self.threshold = threshold
        self.min_shared = min_shared
        self.narratives: list[Narrative] = []
        self._phrasings: list[tuple[Narrative, str, str, set[str]]] = []  # narrative, text, lemma key, lemmas
        self._by_lemma: dict[str, list[int]] = {}  # lemma → the phrasings that have it
        self.extend(narratives)

    @classmethod
    def load(cls, path: Source | None, lemmatizer: Lemmatizer, **options: Any) -> Registry:
        """The registry in ``path``; None: an empty one (reviewed fakes still join it)."""
        return cls(read_narratives(path) if path is not None else [], lemmatizer, **options)

    def extend(self, narratives: Iterable[Narrative]) -> None:
        """Register more stories; one already registered (same id, claim and link) is skipped, so a
        detect worker that adds the reviewed fakes at every run keeps each once."""
        known = {(n.id, n.claim, n.debunk) for n in self.narratives}
        for narrative in narratives:
            if (narrative.id, narrative.claim, narrative.debunk) in known:
                continue
            known.add((narrative.id, narrative.claim, narrative.debunk))
            self.narratives.append(narrative)
            for phrasing in [narrative.claim, *narrative.variants]:
                lemmas = content_lemmas(self.lemmatizer.lemmas(phrasing))
                if len(lemmas) >= self.min_shared:
                    for lemma in lemmas:
                        self._by_lemma.setdefault(lemma, []).append(len(self._phrasings))
                    self._phrasings.append((narrative, phrasing, " ".join(sorted(lemmas)), lemmas))

    def match(self, lemmas: Sequence[str]) -> NarrativeMatch | None:
        """The registered story ``lemmas`` (a text's lemmas) tell again, if any."""
        words = content_lemmas(list(lemmas))
        if len(words) < self.min_shared:
            return None
        shared = Counter(n for word in words for n in self._by_lemma.get(word, ()))
        candidates = sorted(n for n, count in shared.items() if count >= self.min_shared)
        if not candidates:
            return None
        key = " ".join(sorted(words))
        best: NarrativeMatch | None = None
        for n in candidates:
            narrative, phrasing, phrasing_key, _ = self._phrasings[n]
            similarity = fuzz.token_set_ratio(phrasing_key, key) / 100
            if similarity >= self.threshold and (best is None or similarity > best.similarity):
                best = NarrativeMatch(narrative, similarity, phrasing)
        return best


def read_narratives(path: Source) -> list[Narrative]:
    """The registry's stories in ``path`` (validated by :mod:`detector.staff.narratives`)."""
    return [Narrative(spec.id, spec.claim, list(spec.variants), spec.status, spec.debunk,
                      spec.date.isoformat() if spec.date else None, spec.sector)
            for spec in read_narratives_file(path).narratives]
