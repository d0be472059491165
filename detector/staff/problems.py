"""One thing wrong in a staff file, as ``monitor check`` prints it and a
:class:`~detector.exceptions.StaffFileError` carries it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

TOP = "top level"  # the ``where`` of a field outside any entry


@dataclass(frozen=True)
class Problem:
    """``<file>: <where>: field '<field>': <message>``; a warning does not make the file invalid."""

    file: str
    where: str  # the entry: "sector 'housing'", "municipality 'Приреченск' street 'ул. Ленина'", ...
    field: str  # dotted below the entry; empty when the problem is the whole file
    message: str  # what was expected and what was found
    warning: bool = False

    def __str__(self) -> str:
        field = f"field '{self.field}': " if self.field else ""
        level = "warning: " if self.warning else ""
        return f"{self.file}: {self.where}: {field}{level}{self.message}"


def named(label: str, name: object, number: int | None = None) -> str:
    """An entry as a problem names it: ``sector 'housing'``, or ``sector #3`` when it has no name."""
    if name is None or name == "":
        return f"{label} #{number}" if number is not None else label
    return f"{label} {name!r}"


def listing(names: Iterable[object], limit: int = 12) -> str:
    """Names for a message: ``housing, waste, energy`` (the first ``limit``, then "...")."""
    items = [str(name) for name in names]
    return ", ".join(items[:limit]) + (", ..." if len(items) > limit else "")
