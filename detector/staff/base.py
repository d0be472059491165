"""Reading a staff file into its model: the YAML (through :func:`detector.files.read_yaml`), its
shape (pydantic: keys, types, ranges), then the rules between its entries (unique ids, names that
must exist elsewhere in the file). Each problem names the file, the entry and the field, and says
what was expected and what was found.
"""

from __future__ import annotations

import logging
import types
from dataclasses import dataclass, field
from typing import Annotated, Any, Callable, Generic, Iterable, Mapping, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from detector.exceptions import StaffFileError
from detector.files import Source, as_file, read_yaml
from detector.staff.fields import StaffFile
from detector.staff.problems import TOP, Problem, named

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=StaffFile)

# What pydantic's error types expect, in the words of a staff member.
_EXPECTED = {
    "greater_than": "a number greater than {gt}", "greater_than_equal": "a number of at least {ge}",
    "less_than": "a number less than {lt}", "less_than_equal": "a number of at most {le}",
    "too_short": "at least {min_length} item(s)", "too_long": "at most {max_length} item(s)",
    "string_too_short": "a non-empty text", "string_type": "a text", "float_type": "a number",
    "float_parsing": "a number", "int_type": "a whole number", "int_parsing": "a whole number",
    "int_from_float": "a whole number", "bool_type": "true or false", "bool_parsing": "true or false",
    "list_type": "a list", "tuple_type": "a list", "dict_type": "a mapping", "model_type": "a mapping of fields",
    "date_type": "a date YYYY-MM-DD", "date_parsing": "a date YYYY-MM-DD",
    "date_from_datetime_parsing": "a date YYYY-MM-DD",
}


@dataclass(frozen=True)
class Entry:
    """A list or mapping of entries in a file, and how a problem inside one names it: by ``key``
    (the field that names a list item, e.g. ``code``) or, for a mapping, by its own key."""

    label: str
    key: str | None = None
    inner: Mapping[str, Entry] = field(default_factory=dict)


@dataclass(frozen=True)
class FileKind(Generic[M]):
    """One kind of staff file: its model, how its entries are named, and its rules."""

    model: type[M]
    entries: Mapping[str, Entry]
    rules: Callable[[M, str], Iterable[Problem]]

    def check(self, source: Source) -> tuple[M | None, list[Problem]]:
        """The file's model (None when its shape is wrong) and every problem found; a file that
        cannot be read or parsed raises :class:`~detector.exceptions.ConfigError`."""
        file = as_file(source)
        return self.check_data(read_yaml(file), str(file))

    def check_data(self, data: Any, name: str) -> tuple[M | None, list[Problem]]:
        data = {} if data is None else data
        if not isinstance(data, dict):
            return None, [Problem(name, TOP, "", f"expected a mapping of fields, found {type(data).__name__}")]
        try:
            spec = self.model.model_validate(data)
        except ValidationError as exc:
            return None, [self._problem(name, data, error) for error in exc.errors()]
        return spec, list(self.rules(spec, name))

    def read(self, source: Source) -> M:
        """The file's model; :class:`~detector.exceptions.StaffFileError` when anything is wrong."""
        file = as_file(source)
        return self.read_data(read_yaml(file), str(file))

    def read_data(self, data: Any, name: str) -> M:
        spec, problems = self.check_data(data, name)
        errors = [problem for problem in problems if not problem.warning]
        if errors or spec is None:
            raise StaffFileError(errors)
        for problem in problems:
            logger.warning("%s", problem)
        return spec

    def _problem(self, name: str, data: Mapping[str, Any], error: Any) -> Problem:
        loc, found = tuple(error["loc"]), error.get("input")
        if loc and loc[-1] == "[key]":  # a mapping's key is wrong: name the mapping, show the key
            loc, found = loc[:-2], loc[-2]
        where, rest = _where(data, loc, self.entries)
        return Problem(name, where, ".".join(str(part) for part in rest), _message(error, found, self.model, loc))


def _where(data: Any, loc: tuple[Any, ...], entries: Mapping[str, Entry]) -> tuple[str, tuple[Any, ...]]:
    """The entries ``loc`` goes through, named ("sector 'housing' subsector 'gas'"), and the rest."""
    parts: list[str] = []
    node, i = data, 0
    while i + 1 < len(loc) and isinstance(loc[i], str) and loc[i] in entries:
        entry = entries[loc[i]]
        container = node.get(loc[i]) if isinstance(node, dict) else None
        key = loc[i + 1]
        if isinstance(key, int):
            item = container[key] if isinstance(container, list) and key < len(container) else None
            parts.append(named(entry.label, item.get(entry.key) if entry.key and isinstance(item, dict) else None,
                               key + 1))
        else:
            item = container.get(key) if isinstance(container, dict) else None
            parts.append(named(entry.label, key))
        node, entries, i = item, entry.inner, i + 2
    return " ".join(parts) or TOP, loc[i:]


def _message(error: Any, found: Any, model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return "required, but missing"
    if kind == "extra_forbidden":
        known = _fields_at(model, loc[:-1])
        return "unknown field" + (f"; expected one of: {', '.join(known)}" if known else "")
    text = str(error["msg"])
    if text.startswith("Value error, "):
        return text.removeprefix("Value error, ")
    context = {name: int(value) if isinstance(value, float) and value.is_integer() else value
               for name, value in context.items()}  # "greater than 0", not "0.0"
    expected = _EXPECTED[kind].format(**context) if kind in _EXPECTED else text.removeprefix("Input should be ")
    return f"expected {expected}, found {_shown(found)}"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The fields of the model at ``loc`` (for "expected one of"), or [] when there is none."""
    current: Any = model
    for part in loc:
        current = _bare(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            if not isinstance(part, str) or part not in current.model_fields:
                return []
            current = current.model_fields[part].annotation
        else:  # a list index or a mapping key: the item's type
            args = get_args(current)
            if not args:
                return []
            current = args[-1]
    current = _bare(current)
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def _bare(kind: Any) -> Any:
    """``X | None`` and ``Annotated[X, ...]`` as ``X``."""
    while True:
        origin = get_origin(kind)
        if origin is Annotated:
            kind = get_args(kind)[0]
        elif origin is Union or isinstance(kind, types.UnionType):
            options = [arg for arg in get_args(kind) if arg is not type(None)]
            if len(options) != 1:
                return kind
            kind = options[0]
        else:
            return kind
