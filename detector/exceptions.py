"""Errors of the detector package.

    DetectorError
    ├── ConfigError          a setting or a staff YAML file cannot be used (names the file and field)
    │   ├── MissingFileError a configured path does not exist
    │   └── StaffFileError   a staff file breaks its rules (``problems``: each entry and field)
    ├── ModelError           a model file cannot be used
    │   └── IncompatibleModel built by another format, other word vectors or another scikit-learn
    ├── DataError            labelled data or input lines that cannot be read (names the file and line)
    ├── ReviewError          a fact-check verdict or an incident change that cannot be made
    └── ReportError          a weekly report that cannot be made as asked (the week, the folder, the PDF)

Every message says what was expected and what was found, so the CLI prints it as it is (exit 2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from detector.staff.problems import Problem

__all__ = ["ConfigError", "DataError", "DetectorError", "IncompatibleModel", "MissingFileError", "ModelError",
           "ReportError", "ReviewError", "StaffFileError"]


class DetectorError(Exception):
    """Base of every detector error."""


class ConfigError(DetectorError, ValueError):
    """A setting or a staff file (sectors, routing, territories, narratives, fakes) is wrong."""


class MissingFileError(ConfigError, FileNotFoundError):
    """A configured path names no file: never silently replaced by a default."""

    def __init__(self, setting: str, path: object) -> None:
        super().__init__(f"{setting}={path}: no such file or directory")
        self.setting = setting
        self.path = path


class StaffFileError(ConfigError):
    """A staff file that does not follow its rules; the message has one line per problem, each
    naming the file, the entry (sector, street, narrative...) and the field."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = list(problems)


class ModelError(DetectorError):
    """A model file cannot be read or used."""


class IncompatibleModel(ModelError):
    """The model was built for something else than what is installed; the message names the
    command that rebuilds it."""


class DataError(DetectorError, ValueError):
    """Labelled data or scored records that cannot be read."""


class ReviewError(DetectorError, ValueError):
    """A staff action (a verdict, a status) that cannot be applied."""


class ReportError(DetectorError):
    """A weekly report that cannot be made as asked: a week that is not ``YYYY-Www``, a folder that
    cannot be written, a PDF that WeasyPrint cannot make (its system libraries missing)."""
