"""Search terms for Russian text: lower case, ё folded to е, each word reduced to its Snowball stem.

Both the stored text and the query pass through :func:`search_terms`, so "мусор" finds "мусора"
and "мусором". Snowball (PyStemmer, C) is used rather than a lemmatiser because it runs at millions
of words per second, well inside the crawl's budget.
"""

from __future__ import annotations

import re

import Stemmer

_WORD = re.compile(r"\w+", re.UNICODE)
_RUSSIAN = Stemmer.Stemmer("russian")
_ENGLISH = Stemmer.Stemmer("english")
_CYRILLIC = re.compile(r"[а-я]")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("ё", "е"))


def stems(text: str) -> list[str]:
    """The stems of every word in ``text``; Latin words get the English stemmer."""
    out = []
    for word in words(text):
        stemmer = _RUSSIAN if _CYRILLIC.search(word) else _ENGLISH
        out.append(stemmer.stemWord(word))
    return out


def search_terms(text: str) -> str:
    return " ".join(stems(text))
