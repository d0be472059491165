"""Word vectors: what a text is about beyond its exact words.

TF-IDF only knows the words it was trained on; "гололёд на тротуаре" and "скользко, дорожки не
посыпали песком" share none. A text's vector is the mean of its known words' vectors (unit
length), so texts with related words land near each other. The vectors are navec's news vectors
(natasha project, MIT: 250,000 words × 300 dimensions, product-quantised to 26 MB), which ship
inside natasha's wheel: the one Russian embedding that needs no download on these machines
(``../shared/NLP.md``). Reading them decodes each distinct word of a batch once and sums per text
with a sparse product (~22 µs a text in batches of 256), without unpacking the 300 MB table.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import tarfile
import threading
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy import sparse

from detector.exceptions import ModelError

NAVEC = "navec_news_v1_1B_250K_300d_100q.tar"
# words, and the detector's markers (``_place_``) whole, so that they are looked up and not found
_WORD = re.compile(r"_\w+_|[^\W\d_]+(?:-[^\W\d_]+)*")
_loaded: dict[Path, WordVectors] = {}
_loading = threading.Lock()


def bundled_path() -> Path:
    """navec's vectors inside the installed natasha package (found without importing natasha,
    which would load its own models)."""
    spec = importlib.util.find_spec("natasha")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("word vectors: the natasha package is not installed (it carries navec's vectors)")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "emb" / NAVEC


class WordVectors:
    """Mean word vectors of texts; a text with no known word gets zeros."""

    def __init__(self, words: dict[str, int], indexes: np.ndarray, codes: np.ndarray, name: str = "") -> None:
        self._ids = words  # word -> row of indexes
        self._indexes = indexes  # words × parts: which centroid each part of a word's vector is
        self._codes = codes  # parts × centroids × part width
        self._parts = np.arange(codes.shape[0])
        self.dim = codes.shape[0] * codes.shape[2]
        # what a model trained on these vectors records, so that it is never read with others
        digest = hashlib.sha1(np.ascontiguousarray(codes).tobytes()).hexdigest()[:12]
        self.fingerprint = f"{name}:{len(words)}x{self.dim}:{digest}"

    @classmethod
    def load(cls, path: Path | str | os.PathLike[str] | None = None) -> WordVectors:
        """The vectors at ``path`` (a navec ``.tar`` file), by default natasha's; loaded once per process."""
        where = Path(str(path)).resolve() if path else bundled_path()
        with _loading:
            if where not in _loaded:
                _loaded[where] = _read(where)
            return _loaded[where]

    def means(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per text, the direction of its known words' mean; the texts are
        read as given (the detector hands them lower-cased, as navec's words are)."""
        get = self._ids.get
        ids: list[int] = []
        indptr = [0]
        for text in texts:
            ids += [i for i in map(get, _WORD.findall(text)) if i is not None]
            indptr.append(len(ids))
        # each distinct word of the batch decoded once, then summed per text by a sparse product
        words, rows = np.unique(np.asarray(ids, dtype=np.int64), return_inverse=True)
        vectors = self._codes[self._parts, self._indexes[words]].reshape(len(words), self.dim)
        which = sparse.csr_matrix((np.ones(len(ids), dtype=np.float32), rows, indptr), shape=(len(texts), len(words)))
        sums = np.asarray(which @ vectors, dtype=np.float64)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return sums / np.where(norms > 0, norms, 1.0)


def _read(path: Path) -> WordVectors:
    from navec import Navec

    try:
        navec = Navec.load(str(path))
    except (OSError, KeyError, ValueError, tarfile.TarError) as exc:
        raise ModelError(f"{path}: not navec word vectors ({exc})") from exc
    words = navec.vocab.word_ids
    for marker in ("<unk>", "<pad>"):
        words.pop(marker, None)
    return WordVectors(words, navec.pq.indexes, navec.pq.codes, path.name)
