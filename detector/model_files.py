"""Model files: numbers only (``.npz``), and a card beside each (``.card.json``).

A model file holds arrays (coefficients, the features kept, their idf), read with
``np.load(allow_pickle=False)``: opening a model runs no code, and scoring needs no scikit-learn
(it fits the models; the arithmetic of a fitted linear model is a product and a sum). The card
says what the model was trained on (each file with its SHA-256 and line count), with which library
versions, and how it scored; ``make model`` rebuilds both, byte for byte, from the same data.

Loading refuses, naming ``make model``: a card of another format; a model fit by another major
version of scikit-learn (its numbers were never checked against this code); and a model whose
feature hashing (MurmurHash3, recorded on probe words when it was built) differs from the
installed one's, since its features would then land in other columns.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from detector.exceptions import IncompatibleModel, ModelError
from detector.files import Source, as_file

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from scipy import sparse

FORMAT = 6  # 6: arrays and a card (5 and older: pickled scikit-learn objects)
HASH_PROBES = ("вода", "горячий вода", " ям", "_place_")
REBUILD = "make model"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # every member's time in the zip, so that a rebuild is byte-identical


@dataclass
class Linear:
    """A fitted linear model as numbers: one score per class, ``x · coefᵀ + intercept``."""

    coef: np.ndarray  # float32, (1 or classes) × features: what the file keeps
    intercept: np.ndarray  # float64, one per row of coef
    classes: list[str]

    def __post_init__(self) -> None:
        # What the product multiplies by: float64 like the features and laid out for ``x @ w``, so
        # that no batch pays for a conversion of the whole matrix.
        self._weights = np.ascontiguousarray(self.coef.T, dtype=np.float64)

    @classmethod
    def from_estimator(cls, estimator: Any) -> Linear:
        """A scikit-learn linear classifier's coefficients (``LogisticRegression``, ``LinearSVC``)."""
        return cls(np.asarray(estimator.coef_, dtype=np.float32), np.asarray(estimator.intercept_, dtype=np.float64),
                   [str(c) for c in estimator.classes_])

    def decision(self, x: sparse.csr_matrix) -> np.ndarray:
        """Scores per class (per row of ``coef``: one column for a binary model)."""
        return np.asarray(x @ self._weights) + self.intercept

    def probability(self, x: sparse.csr_matrix, positive: str) -> np.ndarray:
        """A binary logistic model's probability of ``positive``."""
        z = self.decision(x)[:, 0]
        p = 1.0 / (1.0 + np.exp(-z))
        return p if self.classes[1] == positive else 1.0 - p

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}.coef": self.coef, f"{prefix}.intercept": self.intercept,
                f"{prefix}.classes": np.asarray(self.classes, dtype=np.str_)}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> Linear:
        return cls(arrays[f"{prefix}.coef"], arrays[f"{prefix}.intercept"],
                   [str(c) for c in arrays[f"{prefix}.classes"]])


def card_of(path: Source) -> Traversable:
    """Where the card of the model at ``path`` is: ``complaints.npz`` → ``complaints.card.json``."""
    file = as_file(path)
    parent = getattr(file, "parent", None)
    if parent is None:
        raise ModelError(f"{file}: cannot find the model card beside it")
    stem = file.name[:-len(".npz")] if file.name.endswith(".npz") else file.name
    result: Traversable = parent / f"{stem}.card.json"
    return result


def write_model(path: Path, arrays: Mapping[str, np.ndarray], card: Mapping[str, Any]) -> None:
    """Write the arrays (deflated ``.npz`` with fixed member times) and the card beside them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", _EPOCH), buffer.getvalue(),
                             compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    full = {**card, "format": FORMAT, "arrays_sha256": _sha256(path.read_bytes())}
    Path(str(card_of(path))).write_text(json.dumps(full, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                   encoding="utf-8")


def record_figures(path: Path, figures: Any) -> None:
    """Write a model's evaluation figures into its card (``make model`` does, after training)."""
    card_file = Path(str(card_of(path)))
    card = json.loads(card_file.read_text(encoding="utf-8"))
    card["figures"] = figures
    card_file.write_text(json.dumps(card, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def read_model(path: Source, kind: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays and the card of a ``kind`` model (``complaints``, ``fakes``), after the checks
    above."""
    file = as_file(path)
    if not file.is_file():
        raise ModelError(f"{file}: no such model file; run `{REBUILD}`")
    card_file = card_of(file)
    try:
        card = json.loads(card_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{file}: its card {card_file.name} cannot be read ({exc}); run `{REBUILD}`") from exc
    check_card(card, kind, file)
    try:
        with file.open("rb") as f:
            with np.load(f, allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
    except (OSError, ValueError, zipfile.BadZipFile, KeyError) as exc:
        raise ModelError(f"{file}: not a model file ({exc}); run `{REBUILD}`") from exc
    return arrays, card


def check_card(card: Mapping[str, Any], kind: str, where: object) -> None:
    """Refuse a card this code cannot use, saying why and how to rebuild."""
    if card.get("format") != FORMAT or card.get("kind") != kind:
        raise IncompatibleModel(f"{where}: a {card.get('kind')} model of format {card.get('format')}; this version "
                                f"reads {kind} models of format {FORMAT}: run `{REBUILD}`")
    built = str((card.get("versions") or {}).get("scikit-learn", "?"))
    installed = versions()["scikit-learn"]
    if built.split(".")[0] != installed.split(".")[0]:
        raise IncompatibleModel(f"{where}: built with scikit-learn {built}, incompatible with the installed "
                                f"{installed}: run `{REBUILD}`")
    if card.get("hash_probes") != hash_probes():
        raise IncompatibleModel(f"{where}: built with scikit-learn {built}, whose feature hashing differs from the "
                                f"installed {installed}'s: run `{REBUILD}`")


def hash_probes() -> dict[str, int]:
    """The feature hash of a few probe words, as the installed scikit-learn computes it."""
    from detector.text.features import feature_hash

    return {word: feature_hash(word) for word in HASH_PROBES}


def versions() -> dict[str, str]:
    """The versions a model's numbers depend on (read without importing scikit-learn, which
    scoring does not need)."""
    found = {"python": platform.python_version()}
    for name in ("numpy", "scipy", "scikit-learn", "mmh3"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def data_file(source: Source, name: str) -> dict[str, Any]:
    """A training file as a card names it: where, its SHA-256 and its line count."""
    data = as_file(source).read_bytes()
    return {"path": name, "sha256": _sha256(data), "lines": data.count(b"\n")}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
