"""The checks that need two files together: routing and the debunk registry name sectors of
``sectors.yml``; routing names municipalities and districts of the territories; a watchlist's
sources name a town, a district or the region the gazetteer knows (else their posts silently get
no default place).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

from detector.staff.narratives import NarrativesFile
from detector.staff.problems import TOP, Problem, listing, named
from detector.staff.routing import RoutingFile
from detector.staff.sectors import SectorsFile
from detector.staff.territories import TerritoryFile


@dataclass(frozen=True)
class PlaceRefs:
    """The territories another file names, e.g. a watchlist's sources: (entry, field, name) each."""

    file: str
    refs: Sequence[tuple[str, str, str]]


@dataclass(frozen=True)
class Places:
    """What the territories define: the regions, and each municipality with its districts."""

    regions: tuple[str, ...]
    towns: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, files: Iterable[TerritoryFile]) -> Places:
        files = list(files)
        return cls(tuple(f.region.name for f in files if f.region),
                   {t.name: tuple(d.name for d in t.districts) for f in files for t in f.municipalities})

    def names(self) -> list[str]:
        """Every municipality and district, each once."""
        return list(dict.fromkeys([*self.towns, *(d for ds in self.towns.values() for d in ds)]))


def unique_towns(files: Sequence[tuple[str, TerritoryFile]]) -> Iterator[Problem]:
    """A municipality is defined in one territory file only."""
    first: dict[str, str] = {}
    for file, spec in files:
        for town in spec.municipalities:
            if first.setdefault(town.name, file) != file:
                yield Problem(file, named("municipality", town.name), "name",
                              f"expected each municipality in one territory file, found {town.name!r} also in "
                              f"{first[town.name]}")


def routing_sectors(routing: RoutingFile, file: str, sectors: SectorsFile, sectors_file: str) -> Iterator[Problem]:
    """Routing's sectors and fast-track sectors exist; a sector routing leaves out is a warning."""
    codes = [s.code for s in sectors.sectors]
    expected = f"expected a sector code of {sectors_file} ({listing(codes)})"
    for code in routing.sectors:
        if code not in codes:
            yield Problem(file, named("sector", code), "sectors", f"{expected}, found {code!r}")
    for entry in routing.fast_track:
        for code in entry.sectors:
            if code not in codes:
                yield Problem(file, named("fast-track entry", entry.id), "sectors", f"{expected}, found {code!r}")
    for code in codes:
        if code not in routing.sectors:
            yield Problem(file, TOP, "sectors", f"no entry for sector {code!r} of {sectors_file}: its complaints "
                                                f"go to the defaults' body", warning=True)


def routing_places(routing: RoutingFile, file: str, places: Places) -> Iterator[Problem]:
    """Routing's municipalities and districts are the territories' (a typo would never match)."""
    for where, town, district in routing.places():
        if town not in places.towns:
            yield Problem(file, where, "municipalities", f"expected a municipality of the territories "
                                                         f"({listing(places.towns)}), found {town!r}")
        elif district is not None and district not in places.towns[town]:
            yield Problem(file, where, "districts", f"expected a district of {town} in the territories "
                                                    f"({listing(places.towns[town])}), found {district!r}")


def narrative_sectors(narratives: NarrativesFile, file: str, sectors: SectorsFile,
                      sectors_file: str) -> Iterator[Problem]:
    codes = [s.code for s in sectors.sectors]
    for narrative in narratives.narratives:
        if narrative.sector is not None and narrative.sector not in codes:
            yield Problem(file, named("narrative", narrative.id), "sector",
                          f"expected a sector code of {sectors_file} ({listing(codes)}), found {narrative.sector!r}")


def named_places(refs: PlaceRefs, places: Places) -> Iterator[Problem]:
    """Each territory another file names is a municipality, a district or the region; "town,
    district" names both."""
    known = {*places.names(), *places.regions}
    for where, field, name in refs.refs:
        unknown = [part.strip() for part in name.split(",") if part.strip() not in known]
        if unknown:
            region = f" or the region ({listing(places.regions)})" if places.regions else ""
            yield Problem(refs.file, where, field, f"expected a municipality or district of the territories "
                                                   f"({listing(places.names())}){region}, found {name!r}")
