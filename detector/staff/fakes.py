"""``fakes.yml``: the language of rumours by named group, and of denials (see the file's header).

The groups are fixed: each is one of the fake model's signals and one kind of ``fake_evidence``,
so a group the code does not know is an error, not a silently ignored list.
"""

from __future__ import annotations

from typing import Annotated, Iterator, Literal, get_args

from detector.files import Source
from detector.staff.base import Entry, FileKind
from detector.staff.fields import EMPTY_IF_NONE, Matching, Phrases, StaffFile
from detector.staff.problems import TOP, Problem, named
from detector.staff.sectors import fold

Group = Literal["forwarding", "urgency", "anonymous_authority", "cover_up", "panic"]
GROUPS: tuple[str, ...] = get_args(Group)  # in the fake model's signal order


class FakesFile(StaffFile):
    version: Literal[1] = 1
    matching: Matching = Matching()
    rumour: Annotated[dict[Group, Phrases], EMPTY_IF_NONE] = {}
    denial: Phrases = {}

    def phrases(self) -> Iterator[tuple[str, str, str]]:
        """Every phrase with where it is: (entry, field, phrase)."""
        for group, phrases in self.rumour.items():
            yield from ((named("rumour group", group), "phrases", phrase) for phrase in phrases)
        yield from ((TOP, "denial", phrase) for phrase in self.denial)

    def summary(self) -> str:
        phrases = sum(len(p) for p in self.rumour.values())
        return f"{len(self.rumour)} rumour groups, {phrases} rumour phrases, {len(self.denial)} denial phrases"


def _rules(spec: FakesFile, file: str) -> Iterator[Problem]:
    first: dict[tuple[str, str], str] = {}
    for where, field, phrase in spec.phrases():
        earlier = first.setdefault((where, fold(phrase)), phrase)
        if earlier != phrase:
            yield Problem(file, where, field, f"expected each phrase once, found {phrase!r} and {earlier!r}, "
                                              f"which the matcher reads alike (ё as е): it would count twice")


FAKES = FileKind(FakesFile, {"rumour": Entry("rumour group")}, _rules)


def read_fakes(source: Source) -> FakesFile:
    """``fakes.yml`` validated; :class:`~detector.exceptions.StaffFileError` names what is wrong."""
    return FAKES.read(source)
