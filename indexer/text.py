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
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("ё", "е"))


def stems(text: str) -> list[str]:
    """The stems of every word in ``text``; Latin words get the English stemmer."""
    found = words(text)
    stemmed: list[str] = _RUSSIAN.stemWords(found)  # one C call; Snowball's Russian leaves Latin words alone
    if _LATIN.search(text):
        stemmed = [_ENGLISH.stemWord(w) if _LATIN.search(w) else w for w in stemmed]
    return stemmed


def search_terms(text: str) -> str:
    return " ".join(stems(text))
