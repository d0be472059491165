"""The kinds of values staff files hold, with the rules the detector relies on: codes, phrases
(lemmas the lemmatiser can meet), positive weights and hours, months, points on the map.

Every model forbids keys it does not know, so a misspelt key is an error, not a silent default.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from detector.text.lemmas import words


class StaffModel(BaseModel):
    """A part of a staff file: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class StaffFile(StaffModel):
    """A whole staff file."""

    def summary(self) -> str:
        """What the file holds, in a few words (``monitor check``)."""
        raise NotImplementedError


def _code(value: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", value):
        raise ValueError(f"expected a code of lower-case latin letters, digits and _ (like no_water), found {value!r}")
    return value


def _phrase(value: str) -> str:
    written = value.lower().replace("ё", "е").split()
    if not written or words(value) != written:
        raise ValueError(f"expected lemmas separated by spaces (letters, digits, hyphens), found {value!r}")
    return value


def _none_is_empty(value: Any) -> Any:
    """``lexicon:`` with every line commented out is an empty mapping, not an error."""
    return {} if value is None else value


def _number(value: Any) -> Any:
    """YAML reads ``yes`` and ``true`` as booleans, which pydantic would take for 1."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, found {value!r}")
    return value


def _house(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Code = Annotated[str, AfterValidator(_code)]
Text = Annotated[str, Field(min_length=1)]
PhraseText = Annotated[str, AfterValidator(_phrase)]
Weight = Annotated[float, BeforeValidator(_number), Field(gt=0)]
Hours = Annotated[float, BeforeValidator(_number), Field(gt=0)]
Month = Annotated[int, BeforeValidator(_number), Field(ge=1, le=12)]
House = Annotated[str, BeforeValidator(_house), Field(min_length=1)]
EMPTY_IF_NONE = BeforeValidator(_none_is_empty)
Phrases = Annotated[dict[PhraseText, Weight], EMPTY_IF_NONE]


class Point(StaffModel):
    """WGS84 decimal degrees."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Matching(StaffModel):
    """How phrases match (``matching:`` in sectors.yml and fakes.yml); only ``max_gap`` changes
    what the detector does, the rest documents the lemmatiser the phrases are written for."""

    lemmatizer: Literal["pymorphy3"] = "pymorphy3"
    max_gap: int = Field(default=2, ge=0, le=10)
    keep_function_words: list[str] = []
    weights: dict[str, Weight] = {}
