"""``narratives.yml``: the debunk registry, false stories already met and where they were answered
(see the file's header).

Rules between entries: ids are unique; a debunked story has the link to answer with. Sector codes
are checked against ``sectors.yml`` by ``monitor check``.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Iterator, Literal

from pydantic import AfterValidator

from detector.files import Source
from detector.staff.base import Entry, FileKind
from detector.staff.fields import Code, StaffFile, StaffModel, Text
from detector.staff.problems import Problem, named


def _link(value: str) -> str:
    if not value.startswith(("https://", "http://")) or len(value.split("//", 1)[1]) < 3:
        raise ValueError(f"expected an https:// URL, found {value!r}")
    return value


Link = Annotated[str, AfterValidator(_link)]


class NarrativeSpec(StaffModel):
    id: Code
    claim: Text
    variants: list[Text] = []
    status: Literal["debunked", "unverified"] = "debunked"
    debunk: Link | None = None
    date: datetime.date | None = None
    sector: Code | None = None


class NarrativesFile(StaffFile):
    version: Literal[1] = 1
    narratives: list[NarrativeSpec] = []

    def summary(self) -> str:
        debunked = sum(n.status == "debunked" for n in self.narratives)
        return f"{len(self.narratives)} narratives ({debunked} debunked, {len(self.narratives) - debunked} unverified)"


def _rules(spec: NarrativesFile, file: str) -> Iterator[Problem]:
    seen: set[str] = set()
    for narrative in spec.narratives:
        where = named("narrative", narrative.id)
        if narrative.id in seen:
            yield Problem(file, where, "id", f"expected an id used once, found {narrative.id!r} again")
        seen.add(narrative.id)
        if narrative.status == "debunked" and not narrative.debunk:
            yield Problem(file, where, "debunk", "expected the URL of the denial to answer with (status debunked), "
                                                 "found none")


NARRATIVES = FileKind(NarrativesFile, {"narratives": Entry("narrative", "id")}, _rules)


def read_narratives_file(source: Source) -> NarrativesFile:
    """``narratives.yml`` validated; :class:`~detector.exceptions.StaffFileError` names what is wrong."""
    return NARRATIVES.read(source)
