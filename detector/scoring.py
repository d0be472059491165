"""Score one post or comment: complaint, sector, territory, and why.

The :class:`Detector` joins the parts: the lemmatiser, the sector lexicon, the gazetteer and the
trained model. It reads plain dicts (the ``monitor score`` JSON Lines contract, or a stored
post's ``to_dict()``) and returns the input plus its scores, so the crawler stage, ``monitor
detect`` and ``monitor score`` all go through :meth:`Detector.score_many`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from detector.complaints.model import PORTAL, SOCIAL, ComplaintModel, Example
from detector.complaints.speaker import page_speaks
from detector.config import DetectorConfig
from detector.exceptions import IncompatibleModel
from detector.fakes.model import FakeModel
from detector.fakes.narratives import Registry
from detector.fakes.rumour import RumourLexicon
from detector.fakes.scorer import FakeReading, FakeScorer
from detector.fakes.threats import ThreatGrammar
from detector.files import Source
from detector.incidents.routing import Router
from detector.places.gazetteer import Found, Gazetteer
from detector.records import OFFICIAL_PAGES
from detector.staff.territories import territory_files
from detector.text.features import TextHasher, text_counts
from detector.text.lemmas import Lemmatizer, Token
from detector.text.lexicon import COMPLAINT, NOT_COMPLAINT, Lexicon, Reading
from detector.text.vectors import WordVectors

EXTRA_SIGNALS = ["complaint_markers", "non_complaint_markers", "has_street", "has_house", "question",
                 "exclamation", "is_comment", "official_page", "official_author", "log_length"]
OFFICIAL_AUTHOR_FACTOR = 0.2  # a page's own words are answers or news, not complaints (complaints.speaker)
PLACE = "_place_"  # what the model reads instead of a street, district or town name


@dataclass
class _Prepared:
    record: Mapping[str, Any]
    example: Example
    reading: Reading
    found: Found
    fake: FakeReading | None
    page_speaks: bool  # the page's own words, not a reader's it publishes (detector.complaints.speaker)
    reader_mark: str | None  # the words that say a page's own post is a reader's message


class Detector:
    def __init__(self, lexicon: Lexicon, gazetteer: Gazetteer, model: ComplaintModel | None,
                 lemmatizer: Lemmatizer, threshold: float = 0.6, fakes: FakeScorer | None = None,
                 vectors: str | os.PathLike[str] | None = None) -> None:
        self.lexicon = lexicon
        self.gazetteer = gazetteer
        self.model = model
        self.lemmatizer = lemmatizer
        self.threshold = threshold
        self.fakes = fakes
        self.vectors_path = vectors  # None: natasha's navec
        self.hasher = TextHasher()  # the models' text counts, shared and cached per word

    @classmethod
    def load(cls, sectors: Source, territories: Source, model: Source | None, threshold: float = 0.6, *,
             fakes: Source | None = None, narratives: Source | None = None, fakes_model: Source | None = None,
             fakes_threshold: float = 0.5, routing: Source | None = None,
             vectors: str | os.PathLike[str] | None = None) -> Detector:
        """``model`` None: the lexicon alone scores. ``fakes`` (the rumour lexicon) turns the fake
        score on; without ``fakes_model`` that score comes from the lexicon alone. ``routing`` gives
        the emergency phrases (violent threats are read by a grammar); ``vectors``: word vectors other than natasha's navec (the model must
        have been trained with them)."""
        lemmatizer = Lemmatizer()
        loaded = ComplaintModel.load(model) if model is not None else None
        scorer = None
        if fakes is not None:
            scorer = FakeScorer(RumourLexicon.load(fakes), Registry.load(narratives, lemmatizer),
                                FakeModel.load(fakes_model) if fakes_model is not None else None,
                                fakes_threshold, Router.load(routing).threats() if routing is not None else None,
                                ThreatGrammar(lemmatizer.morph))
        detector = cls(Lexicon.load(sectors), Gazetteer.load(territory_files(territories), lemmatizer), loaded,
                       lemmatizer, threshold, scorer, vectors)
        if loaded is not None and loaded.text.vector_scale:
            trained_with, given = loaded.meta.get("vectors"), detector.word_vectors().fingerprint
            if trained_with != given:
                raise IncompatibleModel(f"{model}: trained with the word vectors {trained_with}, DETECTOR_VECTORS "
                                        f"gives {given}; run `monitor train`")
        return detector

    @classmethod
    def from_config(cls, config: DetectorConfig, *, with_model: bool = True) -> Detector:
        """The detector as ``config`` describes it; ``with_model`` False: no trained model (what
        training starts from)."""
        return cls.load(config.sectors_file(), config.territories_dir(),
                        config.model_file() if with_model else None, config.threshold,
                        fakes=config.fakes_lexicon_file(), narratives=config.registry_file(),
                        fakes_model=config.fakes_model_file() if with_model else None,
                        fakes_threshold=config.fakes_threshold, routing=config.routing_file(),
                        vectors=config.vectors_file())

    @classmethod
    def from_settings(cls, settings: Any, *, with_model: bool = True) -> Detector:
        """The detector as Scrapy settings (or a mapping of them) describe it."""
        return cls.from_config(DetectorConfig.from_settings(settings), with_model=with_model)

    def word_vectors(self) -> WordVectors:
        """The word vectors, loaded when first needed: only the complaints model reads them (not
        the lexicon alone, nor the fakes model)."""
        if self.hasher.vectors is None:
            self.hasher.vectors = WordVectors.load(self.vectors_path)
        return self.hasher.vectors

    @property
    def signal_names(self) -> list[str]:
        return [f"lexicon:{code}" for code in self.lexicon.codes] + EXTRA_SIGNALS

    def prepare(self, record: Mapping[str, Any]) -> _Prepared:
        text = str(record.get("text") or "")
        if record.get("title"):
            text = f"{record['title']}\n{text}"
        tokens = self.lemmatizer.tokens(text)
        lemmas = [t.lemma for t in tokens]
        reading = self.lexicon.read(lemmas)
        found = self.gazetteer.locate(text, tokens, record.get("territory"))
        place = found.territory
        source_kind = record.get("source_kind")
        official, mark = page_speaks(record, text)
        signals = [reading.sectors[code] for code in self.lexicon.codes] + [
            reading.complaint, reading.not_complaint, float(place.source == "text" and place.street is not None),
            float(place.house is not None), float("?" in text), float(min(text.count("!"), 3)),
            float(record.get("kind") == "comment"), float(source_kind in OFFICIAL_PAGES), float(official),
            math.log1p(len(tokens))]
        example = Example(*_without_places(text, tokens, lemmas, found.spans), signals, record.get("is_complaint"),
                          record.get("sector"), PORTAL if record.get("platform") == PORTAL else SOCIAL)
        fake = None
        if self.fakes is not None:
            fake = self.fakes.read(text, lemmas, official_page=source_kind in OFFICIAL_PAGES,
                                   is_comment=record.get("kind") == "comment")
        return _Prepared(record, example, reading, found, fake, official, mark)

    def labelled_example(self, record: Mapping[str, Any], is_complaint: bool, sector: str | None) -> Example:
        """What the model trains on: ``record`` prepared as for scoring (give it without gold
        fields), then labelled."""
        example = self.prepare(record).example
        example.is_complaint, example.sector = is_complaint, sector
        return example

    def score_many(self, records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        prepared = [self.prepare(r) for r in records]
        examples = [p.example for p in prepared]
        counts = None  # both models read them: hashed once
        if self.model is not None or (self.fakes is not None and self.fakes.model is not None):
            if self.model is not None and self.model.text.vector_scale:
                self.word_vectors()
            counts = text_counts(examples, self.hasher)
        probabilities: Sequence[float] | np.ndarray
        if self.model is not None:
            probabilities, sector_scores = self.model.predict(examples, counts)
        else:
            probabilities = [self._lexicon_complaint(p.reading) for p in prepared]
            sector_scores = [self._lexicon_sectors(p.reading) for p in prepared]
        outputs = [self._output(p, float(prob), scores) for p, prob, scores in zip(prepared, probabilities,
                                                                                   sector_scores, strict=True)]
        if self.fakes is not None:
            # prepare() reads every text for fakes when they are on: the readings line up with counts
            findings = self.fakes.score_many([p.fake for p in prepared if p.fake is not None], counts)
            for out, finding in zip(outputs, findings, strict=True):
                out.update(finding)
        return outputs

    def score(self, record: Mapping[str, Any]) -> dict[str, Any]:
        return self.score_many([record])[0]

    def _output(self, p: _Prepared, probability: float, sector_scores: dict[str, float]) -> dict[str, Any]:
        rules = []
        if p.page_speaks:
            probability *= OFFICIAL_AUTHOR_FACTOR
            rules.append("the official account's own words: an answer, not a complaint")
        elif p.reader_mark:
            rules.append(f"the page publishes a reader's message («{p.reader_mark}»): a citizen's words")
        is_complaint = probability >= self.threshold
        sector = max(sector_scores, key=lambda code: sector_scores[code]) if is_complaint and sector_scores else None
        reading = p.reading
        explain = {
            "complaint_markers": reading.phrases(COMPLAINT),
            "non_complaint_markers": reading.phrases(NOT_COMPLAINT),
            "sector_phrases": {code: reading.phrases(code) for code in self.lexicon.codes if reading.phrases(code)},
            "territory": p.found.evidence,
            "rules": rules,
            "method": "model" if self.model is not None else "lexicon",
        }
        out = dict(p.record)
        out.update(complaint=round(probability, 4), is_complaint=is_complaint, sector=sector,
                   sector_scores={k: round(v, 4) for k, v in sorted(sector_scores.items(), key=lambda kv: -kv[1])},
                   territory=p.found.territory.to_dict(), explain=explain)
        return out

    @staticmethod
    def _lexicon_complaint(reading: Reading) -> float:
        strongest = max(reading.sectors.values(), default=0.0)
        z = 1.2 * reading.complaint + 0.8 * min(strongest, 3.0) - 1.5 * reading.not_complaint - 1.5
        return 1 / (1 + math.exp(-z))

    @staticmethod
    def _lexicon_sectors(reading: Reading) -> dict[str, float]:
        total = sum(reading.sectors.values())
        if total <= 0:
            return {"other": 1.0}
        return {code: weight / total for code, weight in reading.sectors.items() if weight > 0}


def _without_places(text: str, tokens: Sequence[Token], lemmas: Sequence[str],
                    spans: Sequence[tuple[int, int]]) -> tuple[str, str]:
    """The lemmas and the lower-cased text the model reads, every place name the gazetteer found
    replaced by ``PLACE``: which street a problem is on says nothing of its sector, and a model that
    learnt the demo region's street names would not carry to another region."""
    kept: list[str] = []
    pieces: list[str] = []
    after, at = 0, 0  # the first token and the first character after the last place
    for start, end in spans:
        kept += [*lemmas[after:start], PLACE]
        pieces += [text[at:tokens[start].start], PLACE]
        after, at = end, tokens[end - 1].end
    return " ".join([*kept, *lemmas[after:]]), ("".join(pieces) + text[at:]).lower()
