"""Is a post a false story spreading, or a threat? The fake score and its named evidence.

We do not decide truth; we score check-worthiness and match known debunks, and give the
fact-checker the reasons next to the score. Per text (``monitor score``, one line alone):

* ``rumour``: the language of rumour from ``watchlists/fakes.yml`` (forwarding appeals, urgency,
  anonymous authority, claims of a cover-up, panic), by group, with the phrases found;
* ``model``: a classifier trained on the project's labelled fakes (TF-IDF of lemmas and character
  n-grams plus the rumour groups and the kind of source), which also catches calm, news-like fakes
  that use none of those words; its probability is the base of the score;
* ``registry``: a match with a known story in the debunk registry, with the link to answer with;
* ``source``: an official page's or account's own words, which are news or answers, not rumours;
* ``markers``: how the text is sourced (:mod:`detector.fakes.sources`): ``source_named`` (a body that
  spoke), ``document_cited``, ``advice``, and ``no_source`` (rumour words and no one named).

With history (``monitor detect``; :mod:`detector.incidents.factcheck`): ``spread`` (the story's cluster
reached many sources fast) and ``denied_by`` (an official page denies the same story).

``threat`` is a violent threat (:mod:`detector.fakes.threats`: someone will shoot, blow up or burn a
school, a mall, an office, an official), flagged whatever the fake score. Reports of emergencies
(the fast-track phrases with ``threat: true`` in ``watchlists/routing.yml``: пожар, стрельба,
запах газа) are not threats: the evidence names them ``emergency`` (routed at once, with the
emergency body) or, when told as hearsay ("говорят", "знакомый врач сказал", "перешлите", "власти
молчат", a known story), ``emergency_rumour``: a story for the fact-check queue. An eyewitness's
report routes whatever the fake model reads: a missed fire costs more than a checked rumour. A rumour of a threat ("говорят, в школе будет стрельба") is such
a rumour too: no one's intent is shown, so it is checked, not raised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from detector.fakes.model import FakeExample, FakeModel
from detector.fakes.rumour import RumourLexicon, RumourReading
from detector.fakes.sources import SIGNAL_NAMES, Sourcing, read_sourcing
from detector.fakes.threats import HEARSAY
from detector.text.lemmas import words

if TYPE_CHECKING:
    from detector.fakes.narratives import NarrativeMatch, Registry
    from detector.fakes.threats import ThreatGrammar
    from detector.text.features import Counts
    from detector.text.phrases import PhraseMatcher

OFFICIAL_FACTOR = 0.3  # official pages post true urgent news: their words weigh less as rumour
DENIAL_FACTOR = 0.2  # an official denial is the answer to a fake, not the fake
SOURCED_FACTOR = 0.5  # a document a reader can check, and no rumour words: news more than rumour
RETOLD_GROUPS = ("forwarding", "anonymous_authority", "cover_up")
THREAT_RUMOUR_WEIGHT = 0.5  # hearsay of an attack to come: checked at once, whatever the model reads


@dataclass
class FakeReading:
    """What the fake scorer needs of one text, prepared with the rest of the detector's reading."""

    rumour: RumourReading
    example: FakeExample
    official: bool  # published by an official page (a community page's own account is not one)
    registry: NarrativeMatch | None
    threat: list[str]  # the violent threats found, each with its form
    threat_rumour: list[str]  # a threat's words retold as hearsay ("говорят, в школе будет стрельба")
    emergency: list[str]  # routing.yml's threat-to-life phrases found
    retold: bool  # hearsay, a source nobody can check, a known story: an emergency told so is a rumour
    sourcing: Sourcing


class FakeScorer:
    # Not the "official author" flag: on a community page or channel every post of the page's own
    # account has it, so it says nothing about whether the words are the authorities'. Not the
    # length or the comment/post kind either: on the demo region's pages they turned advice in a
    # forum thread into "rumours" (the labelled corpora differ in length and kind, reality does not).
    SIGNALS = RumourLexicon.signal_names() + ["official_page", "question"] + SIGNAL_NAMES

    def __init__(self, rumour: RumourLexicon, registry: Registry, model: FakeModel | None,
                 threshold: float = 0.5, emergencies: PhraseMatcher | None = None,
                 threats: ThreatGrammar | None = None) -> None:
        self.rumour = rumour
        self.registry = registry
        self.model = model
        self.threshold = threshold
        self.emergencies = emergencies
        self.threats = threats

    def read(self, text: str, lemmas: Sequence[str], *, official_page: bool, is_comment: bool) -> FakeReading:
        rumour = self.rumour.read(text, lemmas)
        sourcing = read_sourcing(text, lemmas)
        signals = RumourLexicon.signals(rumour) + [float(official_page), float("?" in text)] + sourcing.signals()
        emergency = [hit.phrase.text for hit in self.emergencies.find(lemmas)] if self.emergencies is not None else []
        threat, told = self.threats.find(text, lemmas) if self.threats is not None else ([], [])
        registry = self.registry.match(lemmas)
        retold = bool(told or registry or any(rumour.groups[g] for g in RETOLD_GROUPS)
                      or (emergency and not HEARSAY.isdisjoint(words(text))))
        return FakeReading(rumour, FakeExample(" ".join(lemmas), text.lower(), signals),
                           official_page, registry, threat, told, emergency, retold, sourcing)

    def score_many(self, readings: Sequence[FakeReading], counts: Counts | None = None) -> list[dict[str, Any]]:
        """``counts``: the readings' hashed text counts, when the caller has them."""
        if self.model is not None:
            probabilities = [float(p) for p in self.model.predict([r.example for r in readings], counts)]
        else:
            probabilities = [self._lexicon_probability(r.rumour) for r in readings]
        return [self.finding(r, p) for r, p in zip(readings, probabilities, strict=True)]

    def finding(self, reading: FakeReading, probability: float) -> dict[str, Any]:
        """``fake``, ``is_fake_suspect``, ``threat`` and ``fake_evidence`` for one text."""
        evidence: dict[str, Any] = {}
        rumour = reading.rumour.evidence()
        if rumour:
            evidence["rumour"] = rumour
        evidence["model"] = {"probability": round(probability, 4),
                             "method": "model" if self.model is not None else "lexicon"}
        fake = probability
        match = reading.registry
        if match is not None:
            evidence["registry"] = match.to_dict()
            # A denial or a sceptic repeats the claim to refute it: the match links it to the story
            # but is no evidence that it spreads the story.
            if not reading.rumour.denial:
                fake = max(fake, 0.5 + 0.5 * match.similarity if match.narrative.status == "debunked" else 0.6)
        if reading.sourcing.checkable and not rumour:
            fake *= SOURCED_FACTOR
        if reading.threat_rumour and not (reading.official and reading.rumour.denial):
            evidence["threat_rumour"] = list(reading.threat_rumour)
            fake = combine(fake, THREAT_RUMOUR_WEIGHT)
        if reading.official:
            denial = bool(reading.rumour.denial)
            fake *= DENIAL_FACTOR if denial else OFFICIAL_FACTOR
            evidence["source"] = ("an official page denies a story: the answer, not the fake" if denial
                                  else "an official page or account: news or an answer, weighs less as rumour")
        if reading.rumour.denial:
            evidence["denial"] = list(reading.rumour.denial)
        markers = reading.sourcing.evidence([g for g, found in reading.rumour.groups.items() if found])
        if markers:
            evidence["markers"] = markers
        threat = _urgency(reading, evidence)
        return {"fake": round(fake, 4), "is_fake_suspect": fake >= self.threshold, "threat": threat,
                "fake_evidence": evidence}

    @staticmethod
    def _lexicon_probability(rumour: RumourReading) -> float:
        groups = sum(1 for w in rumour.weights.values() if w > 0)
        z = 0.6 * sum(min(w, 2.0) for w in rumour.weights.values()) + 0.8 * groups + 0.8 * rumour.shouting - 2.5
        return 1 / (1 + math.exp(-z))


def _urgency(reading: FakeReading, evidence: dict[str, Any]) -> bool:
    """Whether the text is a threat; names the threats and emergencies in ``evidence``. An official
    denial names what it denies ("слухи об отравлении"): it is neither."""
    if reading.official and reading.rumour.denial:
        return False
    if reading.threat:
        evidence["threat"] = list(reading.threat)
    if reading.emergency:
        evidence["emergency_rumour" if reading.retold else "emergency"] = list(reading.emergency)
    return bool(reading.threat)


def combine(fake: float, weight: float) -> float:
    """Add a piece of evidence of strength ``weight`` (0..1) to a score: a noisy OR."""
    return 1 - (1 - fake) * (1 - weight)
