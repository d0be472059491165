"""Street mentions on real text: what `monitor eval places` prints.

The labelled set is the St Petersburg appeals whose text names the street of the address the citizen
picked on the portal's map (the repository keeps only their ids and the labels, never the texts:
the data has no licence), plus VK-style phrasings the project wrote (``corpus/streets/written.jsonl``,
marked as written). An appeal is cut into dev or test by a hash of its id. On the appeals, the
gazetteer is the streets of the dev split's addresses: a test street that a dev address also names
counts as "in the gazetteer", any other as "not in the gazetteer" (found only by the open-vocabulary
reader). Figures: the share of labelled mentions where a street is found at all, and where it comes
out exactly (the name in the nominative and, where the address has one, the house).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from detector.places.gazetteer import Gazetteer
from detector.places.words import TYPES
from detector.staff.territories import StreetSpec, TerritoryFile, Town
from detector.training.data import read_jsonl

if TYPE_CHECKING:
    from detector.files import Source
    from detector.text.lemmas import Lemmatizer

APPEALS_SOURCE = ("«Наш Санкт-Петербург» appeals, Oct-Dec 2020 (Timmy-Max/Appeals-to-Housing-and-Communal-Services, "
                  "raw data commit f639e6e): ids and labels only")
CITY = "Санкт-Петербург"
_TYPE_WORDS = {*TYPES, "линия", "дорога", "канал"}
# A name in quotes is an organisation's (ТСЖ "Суворовский-61"), not an address.
_QUOTED = re.compile(r"[\"«][^\"»]{0,60}[\"»]")
_ABBREVIATIONS = sorted((abbr for _, abbr in TYPES.values()), key=len, reverse=True)


@dataclass(frozen=True)
class Address:
    """A portal address cut into parts: "г.Санкт-Петербург, Мебельная улица, дом 47, корпус 1"."""

    street: str
    kind: str
    house: str | None


def parse_address(address: str) -> Address | None:
    parts = [p.strip() for p in address.split(",")]
    street = next((p for p in parts[1:] if any(w.lower() in _TYPE_WORDS for w in p.split())), None)
    if street is None:
        return None
    words = street.split()
    kind = next(w.lower() for w in words if w.lower() in _TYPE_WORDS)
    name = " ".join(w for w in words if w.lower() != kind)
    number = next((p.split(maxsplit=1)[1] for p in parts if p.startswith("дом ")), None)
    block = next((p.split(maxsplit=1)[1] for p in parts if p.startswith("корпус ")), None)
    house = (number.lower() + (f"к{block}" if block else "")) if number else None
    return Address(name, kind, house)


def split_of(item_id: str) -> str:
    """``dev`` or ``test``, by a stable hash of the id."""
    return "dev" if int(hashlib.sha256(item_id.encode("utf-8")).hexdigest()[:8], 16) % 2 == 0 else "test"


def candidates(rows: Iterable[Mapping[str, Any]]) -> Iterable[dict[str, Any]]:
    """Appeals whose text contains the address's street name (a stem of its longest word) outside
    quotes. Read on a random sample of 70: 68 name the street; the 2 others named it only in an
    organisation's quoted name, which the quotes rule now leaves out."""
    for row in rows:
        address = parse_address(str(row.get("address") or ""))
        if address is None:
            continue
        longest = max(address.street.split(), key=len)
        stem = _fold(longest[:max(4, len(longest) - 2)])
        if stem in _fold(_QUOTED.sub(" ", str(row["text"]))):
            house = address.house if address.house and re.search(
                rf"(?<!\d){re.escape(address.house.split('к')[0].split('/')[0])}(?!\d)", str(row["text"])) else None
            yield {"id": row["id"], "split": split_of(str(row["id"])), "street": address.street,
                   "type": address.kind, "house": house}


def street_key(street: str | None) -> str:
    """A street as compared: the name without its type abbreviation, lower case, ё folded."""
    name = str(street or "")
    for abbreviation in _ABBREVIATIONS:
        if name.startswith(abbreviation + " "):
            name = name[len(abbreviation) + 1:]
            break
    return _fold(name).replace(" ", "")


@dataclass
class Group:
    items: int = 0
    found: int = 0
    exact: int = 0
    houses: int = 0
    house_exact: int = 0

    def line(self, label: str) -> str:
        def share(a: int, b: int) -> str:
            return f"{a / b:.3f}" if b else "-"

        return (f"  {label:<24} n={self.items:<5} found {share(self.found, self.items)}  "
                f"exact name {share(self.exact, self.items)}  exact house {share(self.house_exact, self.houses)} "
                f"(n={self.houses})")


@dataclass
class StreetReport:
    name: str
    groups: dict[str, Group] = field(default_factory=lambda: {"in the gazetteer": Group(),
                                                              "not in the gazetteer": Group(), "all": Group(),
                                                              "all, no gazetteer": Group()})

    def add(self, known: bool | None, found: Mapping[str, Any], gold: Mapping[str, Any]) -> None:
        """``known`` None: the item read with no gazetteer at all (the open-vocabulary reader alone)."""
        hit = found.get("source") == "text" and bool(found.get("street"))
        exact = hit and street_key(found.get("street")) == street_key(gold["street"])
        labels = ["all, no gazetteer"] if known is None else ["in the gazetteer" if known else "not in the gazetteer", "all"]
        for label in labels:
            group = self.groups[label]
            group.items += 1
            group.found += hit
            group.exact += exact
            if gold.get("house"):
                group.houses += 1
                group.house_exact += exact and _fold(str(found.get("house"))) == _fold(str(gold["house"]))

    def lines(self) -> list[str]:
        return [f"{self.name}: street mentions", *(g.line(label) for label, g in self.groups.items() if g.items)]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, **{label: g.__dict__ for label, g in self.groups.items()}}


def gazetteer_of(labels: Iterable[Mapping[str, Any]], lemmatizer: Lemmatizer) -> Gazetteer:
    """The city's gazetteer as far as the dev split's addresses name its streets."""
    streets = {(label["street"], label["type"]) for label in labels}
    specs = [StreetSpec(canonical=f"{TYPES[kind][1]} {name}" if kind in TYPES else f"{name} {kind}",
                        type=kind if kind in TYPES else None, name=name,
                        lemmas=" ".join(lemmatizer.lemma(w) for w in name.split()))
             for name, kind in sorted(streets)]
    town = Town(name=CITY, streets=specs)
    return Gazetteer.from_specs([TerritoryFile(street_types={k: [k] for k in TYPES}, municipalities=[town])],
                                lemmatizer)


def evaluate_appeals(lemmatizer: Lemmatizer, labels_file: Source, appeals: Source, split: str = "test") -> StreetReport:
    """The labelled appeals of ``split`` read against a gazetteer of the dev split's streets."""
    labels = [row for row in read_jsonl(labels_file) if row.get("mention", True)]
    texts = {str(row["id"]): str(row["text"]) for row in read_jsonl(appeals)}
    dev = [row for row in labels if row["split"] == "dev"]
    gazetteer = gazetteer_of(dev, lemmatizer)
    alone = gazetteer_of([], lemmatizer)
    known = {street_key(row["street"]) for row in dev}
    report = StreetReport(f"St Petersburg appeals, {split} split")
    for row in labels:
        text = texts.get(str(row["id"]))
        if row["split"] != split or text is None:
            continue
        tokens = lemmatizer.tokens(text)
        found = gazetteer.locate(text, tokens, {"municipality": CITY}).territory.to_dict()
        report.add(street_key(row["street"]) in known, found, row)
        report.add(None, alone.locate(text, tokens, {"municipality": CITY}).territory.to_dict(), row)
    return report


def evaluate_written(gazetteer: Gazetteer, lemmatizer: Lemmatizer, path: Source) -> StreetReport:
    """The project's own VK-style phrasings against the region's gazetteer."""
    known = {street_key(s.canonical) for s in gazetteer.streets} | {street_key(s.name) for s in gazetteer.streets}
    report = StreetReport("VK-style phrasings written by the project")
    for row in read_jsonl(path):
        text = str(row["text"])
        found = gazetteer.locate(text, lemmatizer.tokens(text), row.get("territory")).territory.to_dict()
        report.add(street_key(row["street"]) in known, found, row)
    return report


def _fold(text: str) -> str:
    return text.lower().replace("ё", "е")
