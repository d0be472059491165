"""``monitor check``: every staff file the settings name, read through its validated loader, then
the checks between files and the pymorphy3 normal forms of every phrase, as one report.

It reads no model and imports no scikit-learn, so it answers in about a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator, Sequence, TypeVar

from detector.exceptions import MissingFileError, StaffFileError
from detector.sectors import Sector, sectors_of
from detector.staff import consistency
from detector.staff.base import FileKind
from detector.staff.consistency import PlaceRefs, Places
from detector.staff.fakes import FAKES, FakesFile
from detector.staff.fields import StaffFile
from detector.staff.morphology import NormalForms, phrase_problems
from detector.staff.narratives import NARRATIVES
from detector.staff.problems import Problem
from detector.staff.routing import ROUTING, RoutingFile
from detector.staff.sectors import SECTORS, SectorsFile
from detector.staff.territories import TERRITORIES, TerritoryFile, territory_files

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from detector.config import DetectorConfig

M = TypeVar("M", bound=StaffFile)


@dataclass
class CheckReport:
    """What was read, what each valid file holds, and every problem (warnings included)."""

    files: list[str] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)  # "<file>: 11 sectors, ..." for each valid file
    problems: list[Problem] = field(default_factory=list)
    sectors: tuple[Sector, ...] = ()

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]

    def invalid_files(self) -> list[str]:
        return list(dict.fromkeys(p.file for p in self.errors))

    def add(self, file: str, summary: str | None, problems: Sequence[Problem]) -> None:
        """One more file read elsewhere (the watchlist): its summary when it could be read."""
        self.files.append(file)
        if summary is not None:
            self.summaries.append(f"{file}: {summary}")
        self.problems.extend(problems)


def check_files(config: DetectorConfig, refs: Sequence[PlaceRefs] = (),
                report: CheckReport | None = None) -> CheckReport:
    """Every staff file of ``config``, each file's rules, the checks between files, and places
    other files name (``refs``: a watchlist's source territories), added to ``report`` (which may
    hold files read elsewhere, like the watchlist) or to a new one."""
    report = report if report is not None else CheckReport()
    sectors = _read(report, config.sectors_file, SECTORS)
    routing = _read(report, config.routing_file, ROUTING)
    territories = [found for file in _territory_files(report, config)
                   if (found := _read_file(report, file, TERRITORIES)) is not None]
    narratives = _read(report, config.registry_file, NARRATIVES)
    fakes = _read(report, config.fakes_lexicon_file, FAKES)
    places = Places.of(spec for _, spec in territories)
    report.problems += consistency.unique_towns(territories)
    if sectors is not None:
        report.sectors = sectors_of(sectors[1])
        if routing is not None:
            report.problems += consistency.routing_sectors(routing[1], routing[0], sectors[1], sectors[0])
        if narratives is not None:
            report.problems += consistency.narrative_sectors(narratives[1], narratives[0], sectors[1], sectors[0])
    if territories and routing is not None:
        report.problems += consistency.routing_places(routing[1], routing[0], places)
    for named in refs if territories else ():
        report.problems += consistency.named_places(named, places)
    report.problems += _morphology(sectors, routing, fakes, territories)
    return report


def _read(report: CheckReport, locate: Callable[[], Traversable | None], kind: FileKind[M]) -> tuple[str, M] | None:
    """(file, model) of one file, or None when it is left out (``none``) or cannot be used."""
    try:
        file = locate()
    except MissingFileError as exc:
        missing = Problem(str(exc.path), exc.setting, "", "no such file or directory")
        if missing not in report.problems:  # DETECTOR_FILES_DIR: once, not once per file
            report.add(str(exc.path), None, [missing])
        return None
    return _read_file(report, file, kind) if file is not None else None


def _read_file(report: CheckReport, file: Traversable, kind: FileKind[M]) -> tuple[str, M] | None:
    name = str(file)
    try:
        spec, problems = kind.check(file)
    except StaffFileError as exc:  # not readable, or not YAML
        report.add(name, None, exc.problems)
        return None
    report.add(name, spec.summary() if spec is not None else None, problems)
    return (name, spec) if spec is not None else None


def _territory_files(report: CheckReport, config: DetectorConfig) -> list[Traversable]:
    try:
        return territory_files(config.territories_dir())
    except MissingFileError as exc:
        missing = Problem(str(exc.path), exc.setting, "", "no such file or directory")
        if missing not in report.problems:
            report.add(str(exc.path), None, [missing])
        return []


def _morphology(sectors: tuple[str, SectorsFile] | None, routing: tuple[str, RoutingFile] | None,
                fakes: tuple[str, FakesFile] | None, territories: list[tuple[str, TerritoryFile]]) -> list[Problem]:
    """Every phrase word (and street lemma) that is no pymorphy3 normal form."""
    forms = NormalForms()
    phrases: list[tuple[str, Iterator[tuple[str, str, str]]]] = [(file, spec.lemmas()) for file, spec in territories]
    for found in (sectors, routing, fakes):
        if found is not None:
            phrases.append((found[0], found[1].phrases()))
    return [problem for file, found in phrases for problem in phrase_problems(file, found, forms)]
