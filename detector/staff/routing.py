"""``routing.yml``: who must act on a complaint and by when: defaults, then per sector (with
subsectors), municipality and district, and the fast-track topics (see the file's header).

A level gives any of ``body``, ``deadline_hours``, ``also_notify``; what it leaves out is inherited
from the level above, so those fields are optional everywhere but in ``defaults``. Rules between
entries: subsector and fast-track ids are unique. The names of sectors, municipalities and
districts are checked against the other files by ``monitor check``.
"""

from __future__ import annotations

from typing import Iterator, Literal

from pydantic import Field

from detector.files import Source
from detector.staff.base import Entry, FileKind
from detector.staff.fields import Code, Hours, Month, PhraseText, StaffFile, StaffModel, Text
from detector.staff.problems import Problem, named


class Level(StaffModel):
    """What one level decides; a field left out is inherited."""

    body: Text | None = None
    deadline_hours: Hours | None = None
    also_notify: list[Text] | None = None


class MunicipalityRoute(Level):
    districts: dict[Text, Level] = {}


class Subsector(Level):
    id: Code
    phrases: list[PhraseText] = Field(min_length=1)
    municipalities: dict[Text, MunicipalityRoute] = {}


class SectorRoute(Level):
    subsectors: list[Subsector] = []
    municipalities: dict[Text, MunicipalityRoute] = {}


class Defaults(StaffModel):
    body: Text
    deadline_hours: Hours
    also_notify: list[Text] = []


class FastTrack(StaffModel):
    id: Code
    name: str = ""
    phrases: list[PhraseText] = Field(min_length=1)
    deadline_hours: Hours
    threat: bool = False
    body: Text | None = None  # an emergency body that acts first
    also_notify: list[Text] = []
    sectors: list[Code] = []  # empty: any sector
    months: list[Month] = []  # empty: all year


class RoutingFile(StaffFile):
    version: Literal[1] = 1
    defaults: Defaults
    sectors: dict[Code, SectorRoute] = {}
    fast_track: list[FastTrack] = []

    def phrases(self) -> Iterator[tuple[str, str, str]]:
        """Every phrase with where it is: (entry, field, phrase)."""
        for code, sector in self.sectors.items():
            for sub in sector.subsectors:
                yield from ((f"{named('sector', code)} {named('subsector', sub.id)}", "phrases", phrase)
                            for phrase in sub.phrases)
        for entry in self.fast_track:
            yield from ((named("fast-track entry", entry.id), "phrases", phrase) for phrase in entry.phrases)

    def places(self) -> Iterator[tuple[str, str, str | None]]:
        """Every municipality and district routed: (entry naming it, municipality, district or None)."""
        for code, sector in self.sectors.items():
            nodes = [(named("sector", code), sector.municipalities)] + [
                (f"{named('sector', code)} {named('subsector', sub.id)}", sub.municipalities)
                for sub in sector.subsectors]
            for where, municipalities in nodes:
                for town, route in municipalities.items():
                    yield where, town, None
                    yield from ((f"{where} {named('municipality', town)}", town, district)
                                for district in route.districts)

    def summary(self) -> str:
        return f"{len(self.sectors)} sectors routed, {len(self.fast_track)} fast-track topics"


def _rules(spec: RoutingFile, file: str) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    for code, sector in spec.sectors.items():
        for sub in sector.subsectors:
            where = f"{named('sector', code)} {named('subsector', sub.id)}"
            if sub.id in seen:
                yield Problem(file, where, "id", f"expected a subsector id used once, found {sub.id!r} also in "
                                                 f"{seen[sub.id]}")
            seen.setdefault(sub.id, named("sector", code))
    ids: set[str] = set()
    for entry in spec.fast_track:
        if entry.id in ids:
            yield Problem(file, named("fast-track entry", entry.id), "id",
                          f"expected a fast-track id used once, found {entry.id!r} again")
        ids.add(entry.id)


_MUNICIPALITIES = {"municipalities": Entry("municipality", inner={"districts": Entry("district")})}
ROUTING = FileKind(RoutingFile, {
    "sectors": Entry("sector", inner={"subsectors": Entry("subsector", "id", _MUNICIPALITIES), **_MUNICIPALITIES}),
    "fast_track": Entry("fast-track entry", "id")}, _rules)


def read_routing(source: Source) -> RoutingFile:
    """``routing.yml`` validated; :class:`~detector.exceptions.StaffFileError` names what is wrong."""
    return ROUTING.read(source)
