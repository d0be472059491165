"""Reading the staff's YAML files (sectors, routing, territories, narratives, fakes) from a path or
from the package, with errors that name the file.

A file is given as a path or as a packaged resource (``importlib.resources``), so every loader
works from any working directory and from inside a zipped egg.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import yaml

from detector.exceptions import ConfigError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

Source = Union[str, "os.PathLike[str]", "Traversable"]

try:  # libyaml's loader is ~10x faster on the 1,000-line lexicons
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader


def as_file(source: Source) -> Traversable:
    """A path (str or PathLike) or a packaged resource, as something to read."""
    if isinstance(source, (str, os.PathLike)):
        return Path(source)
    return source


def read_yaml(source: Source) -> Any:
    """The YAML document in ``source``; a file that cannot be read or parsed is a
    :class:`~detector.exceptions.ConfigError` naming it (and the line, for a syntax error)."""
    file = as_file(source)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read: {exc}") from exc
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{file}:{where} not valid YAML: {getattr(exc, 'problem', None) or exc}") from exc
