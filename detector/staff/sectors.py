"""``sectors.yml``: the sectors of the routing queues (code, Russian name, the ЦУР taxonomy groups
and topics each takes), their lexicons, and the complaint markers (see the file's header).

Rules between entries: codes are unique; a taxonomy group or topic belongs to one sector; a phrase
appears in one sector only, and once in its mapping (ё is read as е, so "ливнёвка" and "ливневка"
are one phrase, which would count twice).
"""

from __future__ import annotations

from typing import Iterator, Literal

from pydantic import Field

from detector.files import Source
from detector.staff.base import Entry, FileKind
from detector.staff.fields import Code, Matching, Phrases, StaffFile, StaffModel, Text
from detector.staff.problems import TOP, Problem, named

MARKERS = ("complaint_markers", "non_complaint_markers")


class SectorSpec(StaffModel):
    code: Code
    name: Text
    description: str = ""
    maps_to: list[Text] = []  # groups of the ЦУР incident taxonomy (topic2group.json), exact spelling
    topics: list[Text] = []  # finer topics taken even when their group maps elsewhere
    lexicon: Phrases = {}


class SectorsFile(StaffFile):
    version: Literal[1] = 1
    matching: Matching = Matching()
    sectors: list[SectorSpec] = Field(min_length=1)
    complaint_markers: Phrases = {}
    non_complaint_markers: Phrases = {}

    def phrases(self) -> Iterator[tuple[str, str, str]]:
        """Every phrase with where it is: (entry, field, phrase)."""
        for sector in self.sectors:
            yield from ((named("sector", sector.code), "lexicon", phrase) for phrase in sector.lexicon)
        for markers in MARKERS:
            yield from ((TOP, markers, phrase) for phrase in getattr(self, markers))

    def summary(self) -> str:
        phrases = sum(len(s.lexicon) for s in self.sectors)
        markers = len(self.complaint_markers) + len(self.non_complaint_markers)
        return f"{len(self.sectors)} sectors, {phrases} lexicon phrases, {markers} complaint markers"


def fold(phrase: str) -> str:
    """A phrase as the matcher reads it: lower case, ё as е, single spaces."""
    return " ".join(phrase.lower().replace("ё", "е").split())


def _rules(spec: SectorsFile, file: str) -> Iterator[Problem]:
    yield from _unique_codes(spec, file)
    yield from _one_sector_each(spec, file, "maps_to", "taxonomy group")
    yield from _one_sector_each(spec, file, "topics", "taxonomy topic")
    yield from _phrases_once(spec, file)


def _unique_codes(spec: SectorsFile, file: str) -> Iterator[Problem]:
    seen: set[str] = set()
    for number, sector in enumerate(spec.sectors, 1):
        if sector.code in seen:
            yield Problem(file, named("sector", sector.code), "code",
                          f"expected a code no other sector has, found {sector.code!r} again (sector #{number})")
        seen.add(sector.code)


def _one_sector_each(spec: SectorsFile, file: str, field: str, what: str) -> Iterator[Problem]:
    owner: dict[str, str] = {}
    for sector in spec.sectors:
        for name in getattr(sector, field):
            if name in owner:
                yield Problem(file, named("sector", sector.code), field,
                              f"expected each {what} in one sector only, found {name!r} also in sector "
                              f"{owner[name]!r}")
            owner.setdefault(name, sector.code)


def _phrases_once(spec: SectorsFile, file: str) -> Iterator[Problem]:
    first: dict[tuple[bool, str], tuple[str, str, str]] = {}  # (a marker?, phrase as read) → its first place
    for where, field, phrase in spec.phrases():
        key = (field in MARKERS, fold(phrase))
        earlier = first.setdefault(key, (where, field, phrase))
        if earlier == (where, field, phrase):
            continue
        if earlier[:2] == (where, field):
            yield Problem(file, where, field, f"expected each phrase once, found {phrase!r} and {earlier[2]!r}, "
                                              f"which the matcher reads alike (ё as е): it would count twice")
        elif field == "lexicon":
            yield Problem(file, where, field, f"expected a phrase in one sector only, found {phrase!r} also in "
                                              f"{earlier[0]}: keep it where it is decisive, use a longer phrase here")
        else:
            yield Problem(file, where, field, f"expected a phrase in one list of markers, found {phrase!r} also "
                                              f"in {earlier[1]}")


SECTORS = FileKind(SectorsFile, {"sectors": Entry("sector", "code")}, _rules)


def read_sectors(source: Source) -> SectorsFile:
    """``sectors.yml`` validated; :class:`~detector.exceptions.StaffFileError` names what is wrong."""
    return SECTORS.read(source)
