"""Reading the staff's YAML files (sectors, routing, territories, narratives, fakes) from a path or
from the package, with errors that name the file and the line.

A file is given as a path or as a packaged resource (``importlib.resources``), so every loader
works from any working directory and from inside a zipped egg.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import yaml

from detector.exceptions import StaffFileError
from detector.staff.problems import Problem

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

Source = Union[str, "os.PathLike[str]", "Traversable"]

try:  # libyaml's loader is ~10x faster on the 1,000-line lexicons
    _Base: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Base = yaml.SafeLoader


class _Loader(_Base):  # type: ignore[misc]
    """YAML's safe loader, refusing a key written twice in one mapping: YAML keeps the last one
    silently, so a phrase or a field entered twice would lose the first without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        lines: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in lines:
                raise yaml.constructor.ConstructorError(
                    None, None, f"expected each key once in a mapping, found {key!r} again (first on line "
                                f"{lines[key]})", key_node.start_mark)
            if isinstance(key, Hashable):
                lines[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


def as_file(source: Source) -> Traversable:
    """A path (str or PathLike) or a packaged resource, as something to read."""
    if isinstance(source, (str, os.PathLike)):
        return Path(source)
    return source


def read_yaml(source: Source) -> Any:
    """The YAML document in ``source``; a file that cannot be read or parsed is a
    :class:`~detector.exceptions.StaffFileError` naming it (and the line, for a syntax error)."""
    file = as_file(source)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StaffFileError([Problem(str(file), "whole file", "", f"cannot read: {exc}")]) from exc
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "whole file"
        problem = getattr(exc, "problem", None) or exc
        raise StaffFileError([Problem(str(file), where, "", f"not valid YAML: {problem}")]) from exc
