"""A town's gazetteer from an OpenStreetMap extract (``.osm.pbf`` or ``.osm``), read with pyosmium.

Streets are the named highways, merged by name (one street, however many ways it is drawn with);
houses are the nodes and building outlines with ``addr:street`` and ``addr:housenumber`` (a building
is placed at the mean of its outline's points); districts are administrative boundaries of
``admin_level`` 8-10 and ``place=suburb|quarter|neighbourhood`` areas. The result is one
``territories/*.yml`` file the detector reads as it is: each street with its type and bare name
("улица Ленина" → ``ул. Ленина``, type ``улица``, name ``Ленина``), its ends, its houses' points and
the district its middle lies in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detector.exceptions import DetectorError
from detector.places.outline import contains
from detector.places.words import TYPES

if TYPE_CHECKING:
    from detector.text.lemmas import Lemmatizer

_HIGHWAYS = {"primary", "secondary", "tertiary", "residential", "unclassified", "living_street", "pedestrian",
             "service", "trunk", "road"}
_DISTRICT_PLACES = {"suburb", "quarter", "neighbourhood"}
_DISTRICT_LEVELS = {"8", "9", "10"}


class OsmImportError(DetectorError):
    """An extract that cannot be read: the file and what pyosmium said."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: cannot read the OpenStreetMap extract: {reason}")
        self.path = path


@dataclass
class _Street:
    points: list[tuple[float, float]] = field(default_factory=list)
    houses: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass
class Extract:
    """What an extract holds for the gazetteer."""

    town: str | None = None
    town_point: tuple[float, float] | None = None
    streets: dict[str, _Street] = field(default_factory=lambda: defaultdict(_Street))
    districts: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    centres: dict[str, tuple[float, float]] = field(default_factory=dict)  # place=suburb|quarter nodes


def read_extract(path: Path) -> Extract:
    """Streets, houses and districts of the extract at ``path``."""
    import osmium  # only `monitor gazetteer import` needs it

    extract = Extract()

    class Handler(osmium.SimpleHandler):
        def node(self, n: Any) -> None:
            tags = n.tags
            if tags.get("place") in ("city", "town") and extract.town is None:
                extract.town, extract.town_point = tags.get("name"), (n.location.lat, n.location.lon)
            if "addr:street" in tags and "addr:housenumber" in tags:
                _house(extract, tags, [(n.location.lat, n.location.lon)])
            if tags.get("place") in _DISTRICT_PLACES and tags.get("name"):
                extract.centres[tags["name"]] = (n.location.lat, n.location.lon)

        def way(self, w: Any) -> None:
            tags = w.tags
            points = [(nd.location.lat, nd.location.lon) for nd in w.nodes if nd.location.valid()]
            if tags.get("highway") in _HIGHWAYS and tags.get("name"):
                extract.streets[tags["name"]].points += points
            if "addr:street" in tags and "addr:housenumber" in tags and points:
                _house(extract, tags, points)

        def area(self, a: Any) -> None:
            tags = a.tags
            district = (tags.get("boundary") == "administrative" and tags.get("admin_level") in _DISTRICT_LEVELS) \
                or tags.get("place") in _DISTRICT_PLACES
            if district and tags.get("name"):
                for ring in a.outer_rings():
                    extract.districts[tags["name"]] = [(p.lat, p.lon) for p in ring if p.location.valid()]
                    break

    try:
        Handler().apply_file(str(path), locations=True)
    except RuntimeError as exc:
        raise OsmImportError(path, str(exc)) from exc
    return extract


def _house(extract: Extract, tags: Any, points: list[tuple[float, float]]) -> None:
    lat = sum(p[0] for p in points) / len(points)
    lon = sum(p[1] for p in points) / len(points)
    number = tags["addr:housenumber"].lower().replace(" ", "").replace("корпус", "к").replace("корп.", "к")
    extract.streets[tags["addr:street"]].houses[number] = (round(lat, 6), round(lon, 6))


def split_name(osm_name: str) -> tuple[str, str | None]:
    """"улица Ленина" → ("Ленина", "улица"); "Московское шоссе" → ("Московское", "шоссе")."""
    words = osm_name.split()
    kind = next((w.lower() for w in words if w.lower() in TYPES), None)
    if kind is None:
        return osm_name, None
    index = next(i for i, w in enumerate(words) if w.lower() == kind)
    return " ".join(words[:index] + words[index + 1:]), kind


def territories(extract: Extract, lemmatizer: Lemmatizer, town: str | None = None) -> dict[str, Any]:
    """The extract as a ``territories/*.yml`` document; each street's lemmas are written in it, so
    loading a city's gazetteer does not run the morphology on thousands of names."""
    name = town or extract.town
    if not name:
        raise DetectorError("the extract names no town (no place=city or place=town node): give --town NAME")
    districts = [{"name": d, "centre": _point(_middle(ring)), "boundary": "; ".join(f"{p[0]:.6f} {p[1]:.6f}" for p in ring)}
                 for d, ring in sorted(extract.districts.items())]
    districts += [{"name": d, "centre": _point(point)} for d, point in sorted(extract.centres.items())
                  if d not in extract.districts]
    streets = []
    seen: set[str] = set()
    for osm_name, street in sorted(extract.streets.items()):
        bare, kind = split_name(osm_name)
        canonical = f"{TYPES[kind][1]} {bare}" if kind else osm_name
        if canonical in seen:  # "улица Ленина" and "Ленина улица" in one extract: the first stays
            continue
        seen.add(canonical)
        entry: dict[str, Any] = {"canonical": canonical, "type": kind, "name": bare,
                                 "lemmas": " ".join(lemmatizer.lemmas(bare)) or None}
        points = street.points or list(street.houses.values())
        if points:
            entry["start"], entry["end"] = _point(points[0]), _point(points[-1])
            entry["district"] = _district(extract, _middle(points))
        if street.houses:
            entry["house_points"] = "; ".join(f"{h.replace(' ', '')} {p[0]:.6f} {p[1]:.6f}"
                                              for h, p in sorted(street.houses.items()))
        streets.append({k: v for k, v in entry.items() if v is not None})
    town_entry: dict[str, Any] = {"name": name, "districts": districts, "streets": streets}
    if extract.town_point:
        town_entry["centre"] = _point(extract.town_point)
    return {"version": 1, "street_types": {kind: [kind, abbreviation] for kind, (_, abbreviation) in TYPES.items()},
            "municipalities": [town_entry]}


def _district(extract: Extract, point: tuple[float, float]) -> str | None:
    """The district whose outline holds ``point``; else, where the extract has only the districts'
    place nodes (an outline cut by the extract's edge cannot be assembled), the nearest one within
    ~3 km, as geocoders place an address in a suburb."""
    inside = next((d for d, ring in extract.districts.items() if contains(ring, point)), None)
    if inside is not None or not extract.centres:
        return inside
    name, centre = min(extract.centres.items(), key=lambda item: _distance2(item[1], point))
    return name if _distance2(centre, point) < 0.03 ** 2 else None


def _distance2(a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - b[0]) ** 2 + ((a[1] - b[1]) * 0.56) ** 2  # a degree of longitude is ~0.56 of latitude's at 56°


def _middle(points: list[tuple[float, float]]) -> tuple[float, float]:
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def _point(point: tuple[float, float]) -> dict[str, float]:
    return {"lat": round(point[0], 6), "lon": round(point[1], 6)}
