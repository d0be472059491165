"""``territories/*.yml``: the gazetteer of a region: its municipalities, their districts, streets
(forms people write, lemmas, the segment houses are placed on) and landmarks (see the file's header).

Rules between entries: names are unique in their municipality; a street's type is one of
``street_types``; a street's or landmark's district is a district of its municipality; a
landmark's street (and the streets it is ``near``) are streets of its municipality; houses run
from the first number to the last.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Iterator, Literal, Sequence

from pydantic import BeforeValidator, Field

from detector.files import Source, as_file
from detector.staff.base import Entry, FileKind
from detector.staff.fields import House, Point, StaffFile, StaffModel, Text
from detector.staff.problems import TOP, Problem, listing, named

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

HouseRange = tuple[Annotated[int, Field(ge=0)], Annotated[int, Field(ge=0)]]


def _points(value: object) -> object:
    """An outline written compactly, "lat lon; lat lon; ...": a city's districts load in
    milliseconds where a YAML list of mappings takes seconds."""
    if isinstance(value, str):
        return [_fields(pair, ("lat", "lon")) for pair in value.split(";") if pair.strip()]
    return value


def _houses(value: object) -> object:
    """House points written compactly, "5 56.0010 40.0020; 12а 56.0006 40.0085", as
    ``monitor gazetteer import`` writes them (a mapping of number → [lat, lon] reads too)."""
    if isinstance(value, str):
        rows = [_fields(item, ("house", "lat", "lon")) for item in value.split(";") if item.strip()]
        return {row["house"]: (row["lat"], row["lon"]) for row in rows}
    return value


def _fields(item: str, names: tuple[str, ...]) -> dict[str, str]:
    values = item.split()
    if len(values) != len(names):
        raise ValueError(f"expected {' '.join(names)!r} between semicolons, found {item.strip()!r}")
    return dict(zip(names, values, strict=True))


Outline = Annotated[list[Point], BeforeValidator(_points)]
HousePoints = Annotated[dict[str, tuple[float, float]], BeforeValidator(_houses)]


class RegionalRoad(StaffModel):
    name: Text
    variants: list[Text] = []
    start: Point | None = None
    end: Point | None = None
    km: float | None = Field(None, gt=0)


class Region(StaffModel):
    name: Text
    forms: list[Text] = []
    centre: Point | None = None
    regional_roads: list[RegionalRoad] = []


class District(StaffModel):
    name: Text
    centre: Point | None = None
    forms: list[Text] = []
    boundary: Outline = []  # the outline, for placing a house's point in its district


class StreetSpec(StaffModel):
    canonical: Text  # "ул. Ленина": how the address is written
    type: str | None = None  # a key of street_types
    name: str | None = None  # the bare name ("Ленина")
    variants: list[Text] = []
    forms: list[Text] = []
    lemmas: str = ""  # the bare name as pymorphy3 lemmas
    bare_name_ambiguous: bool = False
    district: str | None = None
    start: Point | None = None
    end: Point | None = None
    houses: HouseRange | None = None
    house_points: HousePoints = {}  # house number → (lat, lon), from OpenStreetMap


class Landmark(StaffModel):
    name: Text
    kind: str | None = None
    variants: list[Text] = []
    forms: list[Text] = []
    street: str | None = None
    house: House | None = None
    district: str | None = None
    point: Point | None = None
    near: list[Text] = []  # other streets it is next to


class Town(StaffModel):
    name: Text
    kind: str | None = None  # city, town, ...
    centre: Point | None = None
    forms: list[Text] = []
    districts: list[District] = []
    streets: list[StreetSpec] = []
    landmarks: list[Landmark] = []


class TerritoryFile(StaffFile):
    version: Literal[1] = 1
    region: Region | None = None
    street_types: dict[Text, list[Text]] = {}
    municipalities: list[Town] = []

    def lemmas(self) -> Iterator[tuple[str, str, str]]:
        """The streets' lemma sequences with where they are: (entry, field, lemmas)."""
        for town in self.municipalities:
            yield from ((f"{named('municipality', town.name)} {named('street', street.canonical)}", "lemmas",
                         street.lemmas) for street in town.streets if street.lemmas)

    def summary(self) -> str:
        towns = self.municipalities
        return (f"{len(towns)} municipalities, {sum(len(t.districts) for t in towns)} districts, "
                f"{sum(len(t.streets) for t in towns)} streets, {sum(len(t.landmarks) for t in towns)} landmarks")


def _rules(spec: TerritoryFile, file: str) -> Iterator[Problem]:
    yield from _unique(file, TOP, "municipality", [t.name for t in spec.municipalities], "the file")
    for town in spec.municipalities:
        where = named("municipality", town.name)
        yield from _unique(file, where, "district", [d.name for d in town.districts], town.name)
        yield from _unique(file, where, "street", [s.canonical for s in town.streets], town.name)
        yield from _unique(file, where, "landmark", [m.name for m in town.landmarks], town.name)
        yield from _streets(spec, town, file)
        yield from _landmarks(town, file)


def _unique(file: str, where: str, label: str, names: Sequence[str], scope: str) -> Iterator[Problem]:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            yield Problem(file, f"{where} {named(label, name)}" if where != TOP else named(label, name), "name",
                          f"expected each {label} once in {scope}, found {name!r} again")
        seen.add(name)


def _streets(spec: TerritoryFile, town: Town, file: str) -> Iterator[Problem]:
    districts = [d.name for d in town.districts]
    for street in town.streets:
        where = f"{named('municipality', town.name)} {named('street', street.canonical)}"
        if street.type is not None and spec.street_types and street.type not in spec.street_types:
            yield Problem(file, where, "type", f"expected one of street_types ({listing(spec.street_types)}), "
                                               f"found {street.type!r}")
        if street.district is not None and street.district not in districts:
            yield Problem(file, where, "district", f"expected a district of {town.name} ({listing(districts)}), "
                                                   f"found {street.district!r}")
        if street.houses and street.houses[0] > street.houses[1]:
            yield Problem(file, where, "houses", f"expected [first, last] with first ≤ last, found "
                                                 f"{list(street.houses)}")


def _landmarks(town: Town, file: str) -> Iterator[Problem]:
    districts = [d.name for d in town.districts]
    streets = [s.canonical for s in town.streets]
    for landmark in town.landmarks:
        where = f"{named('municipality', town.name)} {named('landmark', landmark.name)}"
        if landmark.district is not None and landmark.district not in districts:
            yield Problem(file, where, "district", f"expected a district of {town.name} ({listing(districts)}), "
                                                   f"found {landmark.district!r}")
        for field, name in [("street", landmark.street), *(("near", n) for n in landmark.near)]:
            if name is not None and name not in streets:
                yield Problem(file, where, field, f"expected a street of {town.name} as its canonical name "
                                                  f"({listing(streets, 6)}), found {name!r}")


_TOWN = {"districts": Entry("district", "name"), "streets": Entry("street", "canonical"),
         "landmarks": Entry("landmark", "name")}
TERRITORIES = FileKind(TerritoryFile, {"municipalities": Entry("municipality", "name", _TOWN)}, _rules)


def read_territories(source: Source) -> TerritoryFile:
    """One gazetteer file validated; :class:`~detector.exceptions.StaffFileError` names what is wrong."""
    return TERRITORIES.read(source)


def territory_files(territories: Source) -> list[Traversable]:
    """The gazetteer files: ``territories`` is one file or a folder of them."""
    folder = as_file(territories)
    if folder.is_dir():
        return sorted((f for f in folder.iterdir() if f.name.endswith(".yml")), key=lambda f: f.name)
    return [folder]


def municipality_names(territories: Source) -> set[str]:
    """The towns the gazetteer knows."""
    return {town.name for file in territory_files(territories) for town in read_territories(file).municipalities}
