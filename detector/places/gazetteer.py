"""Where a post is: streets, houses, districts, towns and landmarks found in its text, resolved
against the gazetteer in ``watchlists/territories/*.yml``.

A street is found by the forms people write (``variants``, ``forms``: "на Речной", "пр-т Победы",
"3 мкр") or by its lemmas; a bare name that is also an ordinary word ("Мира", "Победы") counts only
next to a house number or a street-type word. The house is read right after the street ("Ленина
д. 5 к. 2", "Победы 14/2") or right before it ("дом 12а по Речной"). A name two towns share (ул.
Ленина) goes to the town the text names, else to the source's own territory. The point is
interpolated along the street by house number, else the street's middle, the landmark, the
district's or the town's centre (a house the gazetteer has a point for, from OpenStreetMap, gets
its own point, and the district whose outline holds it). A street the gazetteer does not list is
read by :class:`~detector.places.streets.StreetReader` and takes the town and district of the text
or of the source's territory. When the text names nothing, the source's default territory is used
and ``source`` says so.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from detector.files import Source
from detector.places.houses import house_after, house_before
from detector.places.outline import contains
from detector.places.streets import StreetMention, StreetReader
from detector.places.words import ABBREVIATIONS, TYPES
from detector.staff.fields import Point
from detector.staff.territories import StreetSpec, TerritoryFile, read_territories
from detector.text.lemmas import Lemmatizer, Token
from detector.text.lemmas import words as split_words
from indexer.schema import Territory

# Words before a bare street name that make it an address: "на Речной", "по Мира", "угол Кирова".
_ADDRESS_WORDS = {"на", "по", "у", "до", "с", "со", "около", "возле", "напротив", "между", "угол", "от", "за",
                  "вдоль", "к", "ко", "в", "из", "перекресток"}
_WEAK_DISTRICT_FORMS = {"центр", "в центре", "по центру", "центральная часть"}


def _words(text: str) -> tuple[str, ...]:
    return tuple(split_words(text))


@dataclass
class Street:
    canonical: str
    municipality: str
    district: str | None
    ambiguous: bool
    start: tuple[float, float] | None
    end: tuple[float, float] | None
    houses: tuple[int, int] | None
    name: str = ""  # the bare name, lower case, ё folded: what an open-vocabulary mention is looked up by
    kind: str | None = None
    house_points: dict[str, tuple[float, float]] = field(default_factory=dict)

    def point(self, house: str | None) -> tuple[float, float] | None:
        """The house's own point when the gazetteer has it, else a point interpolated along the street."""
        if house and house in self.house_points:
            return self.house_points[house]
        if not self.start or not self.end:
            return None
        share = 0.5
        digits = re.match(r"\d+", house) if house else None
        number = int(digits.group()) if digits else None
        if number is not None and self.houses and self.houses[1] > self.houses[0]:
            share = min(1.0, max(0.0, (number - self.houses[0]) / (self.houses[1] - self.houses[0])))
        return (round(self.start[0] + (self.end[0] - self.start[0]) * share, 6),
                round(self.start[1] + (self.end[1] - self.start[1]) * share, 6))


@dataclass
class Place:
    """A district, a town or a landmark, with its point."""

    kind: str  # municipality | district | landmark
    name: str
    municipality: str
    district: str | None = None
    street: str | None = None
    house: str | None = None
    point: tuple[float, float] | None = None
    boundary: tuple[tuple[float, float], ...] = ()  # a district's outline (lat, lon), when the gazetteer has it


@dataclass
class _Entry:
    words: tuple[str, ...]
    target: Street | Place
    bare: bool  # the form is a bare name (no street-type word)
    by_lemma: bool = False


@dataclass
class Found:
    territory: Territory
    evidence: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)  # every place name found: token [start, end)


def _point(point: Point | None) -> tuple[float, float] | None:
    return (point.lat, point.lon) if point is not None else None


class Gazetteer:
    def __init__(self, streets: Sequence[Street], places: Sequence[Place], entries: Sequence[_Entry],
                 type_words: set[str], reader: StreetReader | None = None) -> None:
        self.streets = list(streets)
        self.places = list(places)
        self.type_words = type_words | set(TYPES) | set(ABBREVIATIONS)
        self.reader = reader
        self._by_street_name: dict[str, list[Street]] = defaultdict(list)
        for street in streets:
            if street.name:
                self._by_street_name[street.name].append(street)
        self._outlines = [p for p in places if p.kind == "district" and p.boundary]
        self._by_first: dict[str, list[_Entry]] = defaultdict(list)
        for entry in entries:
            self._by_first[entry.words[0]].append(entry)
        self._by_name = {p.name: p for p in places if p.kind in ("municipality", "district")}

    @classmethod
    def load(cls, paths: Iterable[Source], lemmatizer: Lemmatizer) -> Gazetteer:
        return cls.from_specs([read_territories(path) for path in paths], lemmatizer)

    @classmethod
    def from_specs(cls, specs: Iterable[TerritoryFile], lemmatizer: Lemmatizer) -> Gazetteer:
        streets: list[Street] = []
        places: list[Place] = []
        entries: list[_Entry] = []
        type_words: set[str] = set()
        for spec in specs:
            for forms in spec.street_types.values():
                type_words.update(w for form in forms for w in _words(form))
            for town in spec.municipalities:
                place = Place("municipality", town.name, town.name, point=_point(town.centre))
                places.append(place)
                entries += [_Entry(_words(f), place, False) for f in town.forms or [town.name]]
                for district in town.districts:
                    place = Place("district", district.name, town.name, district.name, point=_point(district.centre),
                                  boundary=tuple((p.lat, p.lon) for p in district.boundary))
                    places.append(place)
                    entries += [_Entry(_words(f), place, False) for f in district.forms or [district.name]
                                if f.lower() not in _WEAK_DISTRICT_FORMS]
                for street_spec in town.streets:
                    street, found = _street(street_spec, town.name, type_words, lemmatizer)
                    streets.append(street)
                    entries += found
                for landmark in town.landmarks:
                    place = Place("landmark", landmark.name, town.name, landmark.district, landmark.street,
                                  landmark.house, _point(landmark.point))
                    places.append(place)
                    entries += [_Entry(_words(f), place, False)
                                for f in {landmark.name, *landmark.variants, *landmark.forms} if _words(f)]
        return cls(streets, places, entries, type_words, StreetReader(lemmatizer))

    # -- finding -----------------------------------------------------------------------------

    def locate(self, text: str, tokens: Sequence[Token], default: str | dict[str, Any] | None = None) -> Found:
        words = [t.text for t in tokens]
        lemmas = [t.lemma for t in tokens]
        streets: list[tuple[int, Street, str | None, str]] = []
        places: list[tuple[int, Place, str]] = []
        spans: list[tuple[int, int]] = []
        i = 0
        while i < len(tokens):
            best: tuple[int, _Entry] | None = None
            for entry in self._by_first.get(words[i], []) + self._by_first.get(lemmas[i], []):
                seq = lemmas if entry.by_lemma else words
                n = len(entry.words)
                if tuple(seq[i:i + n]) == entry.words and (best is None or n > best[0]):
                    best = (n, entry)
            if best is None:
                i += 1
                continue
            n, entry = best
            end = i + n
            written = text[tokens[i].start:tokens[end - 1].end]
            if isinstance(entry.target, Street):
                typed_after = end < len(words) and (words[end] in self.type_words or lemmas[end] in self.type_words)
                house = house_after(text, tokens[end - 1 + typed_after].end) or house_before(text, tokens[i].start)
                typed = (i > 0 and words[i - 1] in self.type_words) or (end < len(words) and (
                    words[end] in self.type_words or lemmas[end] in self.type_words))
                named = text[tokens[i].start].isupper() and i > 0 and words[i - 1] in _ADDRESS_WORDS
                if entry.bare and entry.target.ambiguous and not (house or typed or named):
                    i += 1
                    continue
                for street in self._same_name(entry.target):
                    streets.append((i, street, house, written))
            else:
                places.append((i, entry.target, written))
            spans.append((i, end))
            i = end
        mention = None if streets or self.reader is None else self._open_street(text, tokens, spans)
        if mention is not None:
            known = self._known(mention)
            streets += [(mention.start, street, mention.house, mention.written) for street in known]
            spans.append((mention.start, mention.end))
        found = self._resolve(streets, places, default)
        if mention is not None and not streets:
            found = self._unlisted(mention, found)
        found.spans = spans
        return self._in_outline(found)

    def _open_street(self, text: str, tokens: Sequence[Token], spans: list[tuple[int, int]]) -> StreetMention | None:
        """The first street mention the gazetteer does not list, outside the places already found."""
        assert self.reader is not None
        for mention in self.reader.find(text, tokens):
            if not any(start < mention.end and mention.start < end for start, end in spans):
                return mention
        return None

    def _known(self, mention: StreetMention) -> list[Street]:
        key = mention.name.lower().replace("ё", "е")
        return [s for s in self._by_street_name.get(key, []) if mention.kind is None or s.kind in (None, mention.kind)]

    @staticmethod
    def _unlisted(mention: StreetMention, found: Found) -> Found:
        """A street the gazetteer does not list: the town and district (and their point) that the
        text or the source's territory gives."""
        place = found.territory if found.territory.municipality else Territory()
        town = place.municipality
        address = (f"{town}, " if town else "") + mention.canonical + (f", {mention.house}" if mention.house else "")
        evidence = [f"street: {mention.written!r}" + (f", house {mention.house}" if mention.house else "")
                    + " (not in the gazetteer)"]
        return Found(Territory(town, place.district, mention.canonical, mention.house, address, place.geo, "text"),
                     evidence + found.evidence)

    def _in_outline(self, found: Found) -> Found:
        """The district whose outline holds the point, when the gazetteer has outlines."""
        place = found.territory
        if place.geo is None or not self._outlines:
            return found
        inside = next((d for d in self._outlines if d.municipality == place.municipality
                       and contains(d.boundary, place.geo)), None)
        if inside is not None:
            place.district = inside.district
        return found

    def _same_name(self, street: Street) -> list[Street]:
        return [s for s in self.streets if s.canonical == street.canonical]

    def _resolve(self, streets: list[tuple[int, Street, str | None, str]], places: list[tuple[int, Place, str]],
                 default: str | dict[str, Any] | None) -> Found:
        towns = [p for _, p, _ in places if p.kind == "municipality"]
        districts = [p for _, p, _ in places if p.kind == "district"]
        landmarks = [(p, w) for _, p, w in places if p.kind == "landmark"]
        fallback = self._default(default)
        wanted_town = towns[0].municipality if towns else (districts[0].municipality if districts else None)
        if streets:
            first = min(position for position, *_ in streets)
            candidates = [(s, h, w) for position, s, h, w in streets if position == first]
            pick = next((c for c in candidates if c[0].municipality == wanted_town), None) or next(
                (c for c in candidates if fallback and c[0].municipality == fallback.municipality), None)
            if pick is None and len(candidates) > 1:  # two towns share the name and nothing says which
                street, house, written = candidates[0]
                return Found(Territory(None, None, street.canonical, house, street.canonical + (f", {house}" if house else ""),
                                       None, "text"), [f"street: {written!r} (town unknown)"])
            street, house, written = pick or candidates[0]
            address = f"{street.municipality}, {street.canonical}" + (f", {house}" if house else "")
            evidence = [f"street: {written!r}" + (f", house {house}" if house else "")]
            return Found(Territory(street.municipality, street.district, street.canonical, house, address,
                                   street.point(house), "text"), evidence)
        if landmarks:
            place, written = landmarks[0]
            on = next((s for s in self.streets if s.canonical == place.street
                       and s.municipality == place.municipality), None)
            address = f"{place.municipality}, {place.street}" + (f", {place.house}" if place.house else "") \
                if place.street else f"{place.municipality}, {place.name}"
            return Found(Territory(place.municipality, place.district or (on.district if on else None),
                                   place.street, place.house, address, place.point, "text"),
                         [f"landmark: {written!r} ({place.name})"])
        if districts:
            d = districts[0]
            return Found(Territory(d.municipality, d.district, None, None, f"{d.municipality}, {d.name} район",
                                   d.point, "text"), [f"district: {d.name}"])
        if towns:
            t = towns[0]
            return Found(Territory(t.municipality, None, None, None, t.municipality, t.point, "text"),
                         [f"town: {t.name}"])
        if fallback:
            return Found(Territory(fallback.municipality, fallback.district, None, None,
                                   fallback.municipality + (f", {fallback.district} район" if fallback.district
                                                            and fallback.district != fallback.municipality else ""),
                                   fallback.point, "source_default"), ["the source's own territory"])
        return Found(Territory(), [])

    def _default(self, default: str | dict[str, Any] | None) -> Place | None:
        if not default:
            return None
        if isinstance(default, dict):
            name = str(default.get("district") or default.get("municipality") or "")
        else:
            name = str(default).split(",")[-1].strip() if "," in str(default) else str(default).strip()
        return self._by_name.get(name)


def _street(spec: StreetSpec, town: str, type_words: set[str],
            lemmatizer: Lemmatizer) -> tuple[Street, list[_Entry]]:
    """A street and the ways it is found: its written forms, its lemmas, "3 мкр" for a microdistrict."""
    street = Street(spec.canonical, town, spec.district, spec.bare_name_ambiguous, _point(spec.start),
                    _point(spec.end), spec.houses, (spec.name or "").lower().replace("ё", "е"), spec.type,
                    {house: (p[0], p[1]) for house, p in spec.house_points.items()})
    entries = []
    for form in {*spec.variants, *spec.forms, spec.canonical}:
        words = _words(form)
        typed = any(w in type_words or lemmatizer.lemma(w) in type_words for w in words)
        if words:
            entries.append(_Entry(words, street, not typed))
    lemmas = tuple(spec.lemmas.lower().replace("ё", "е").split()) or tuple(
        lemmatizer.lemma(w) for w in _words(spec.name or ""))
    if lemmas:
        entries.append(_Entry(lemmas, street, True, by_lemma=True))
    number = re.match(r"(\d+)", spec.canonical)
    if spec.type == "микрорайон" and number:  # "3 мкр", "в 3-м микрорайоне", "мкр 3"
        n = number.group(1)
        for head in (n, f"{n}-й", f"{n}-м", f"{n}-го", f"{n}-ом", f"{n}й"):
            for word in ("микрорайон", "мкр", "мкрн", "микр"):
                entries.append(_Entry((head, word), street, False, by_lemma=True))
        for word in ("мкр", "микрорайон", "мкрн"):
            entries.append(_Entry((word, n), street, False, by_lemma=True))
    return street, entries
