"""The labelled corpus and how it is read.

Labelled files are JSON Lines that carry gold fields next to what the detector reads; the gold
fields are removed before scoring (:func:`unlabelled`), so a label can never leak into a score.
The project's corpus lives in ``corpus/`` beside this module (its README and ``split.py`` say how
it was written and split); the real St Petersburg appeals are read from wherever they are given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Sequence

from detector.exceptions import DataError
from detector.files import Source, as_file

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

GOLD = ("is_complaint", "sector", "territory", "negative")  # the complaints corpus' labels
FAKES_GOLD = ("label", "category", "story", "threat", "is_complaint", "sector", "negative")


@dataclass
class Trained:
    """A model just trained, and what it was trained on."""

    model: Any
    examples: int
    sector_examples: int
    seconds: float


def name_of(path: Any) -> str:
    """How a data file is named in reports and model cards: its path inside the project when it is
    the packaged corpus, else its file name (never a path of the machine that trained)."""
    text = str(path)
    marker = "detector/training/corpus/"
    return text[text.index(marker):] if marker in text else text.replace("\\", "/").rsplit("/", 1)[-1]


def corpus(kind: str, split: str) -> Traversable:
    """A split of the project's labelled corpus: ``corpus("complaints", "train")``."""
    return files("detector.training") / "corpus" / kind / f"{split}.jsonl"


def read_jsonl(path: Source) -> list[dict[str, Any]]:
    """Every object in a JSON Lines file; a line that is not a JSON object names the file and line."""
    file = as_file(path)
    records = []
    try:
        with file.open("r", encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    raise DataError(f"{file}:{number}: not JSON ({exc})") from exc
                if not isinstance(record, dict):
                    raise DataError(f"{file}:{number}: expected a JSON object, got {type(record).__name__}")
                records.append(record)
    except OSError as exc:
        raise DataError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    return records


def unlabelled(record: dict[str, Any], gold: Sequence[str] = GOLD) -> dict[str, Any]:
    """``record`` without its gold fields, so a label can never leak into a score."""
    return {k: v for k, v in record.items() if k not in gold}
