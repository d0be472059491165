"""Words and lemmas of Russian posts, with where each word is in the text.

Every detector part reads text through :class:`Lemmatizer`: the lexicons, the address matcher and the
classifier see the same lemmas, so "трубу прорвало", "прорвало трубы" and "труба прорвалась" meet
on "труба" and "прорвать". pymorphy3 costs ~95 µs per new word form; a form cache makes a repeated
form cost a dictionary lookup, and posts repeat their vocabulary a lot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

import pymorphy3

_WORD = re.compile(r"[а-яёa-z0-9]+(?:-[а-яёa-z0-9]+)*", re.IGNORECASE)
# Lemmas too common to tell two texts apart (incident grouping, debunk-registry matching).
STOP_LEMMAS = frozenset({
    "и", "в", "на", "не", "что", "с", "по", "у", "а", "как", "это", "к", "же", "за", "уже", "так", "мы", "я",
    "они", "он", "она", "вы", "до", "из", "от", "о", "для", "нет", "да", "все", "весь", "опять", "быть", "но",
    "или", "если", "то", "тот", "этот", "там", "тут", "вот", "ещё", "еще", "бы", "ли", "свой", "наш", "ваш"})


def content_lemmas(lemmas: list[str]) -> set[str]:
    """The lemmas that carry a text's subject: no stop words, numbers or one- and two-letter words."""
    return {lemma for lemma in lemmas if lemma not in STOP_LEMMAS and len(lemma) > 2 and not lemma.isdigit()}


def words(text: str) -> list[str]:
    """The words of ``text`` as the lemmatiser sees them: lower case, ё folded to е."""
    return [w.lower().replace("ё", "е") for w in _WORD.findall(text)]


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # as written, lower case, ё folded
    lemma: str
    start: int  # character offsets in the original text
    end: int


class Lemmatizer:
    """Lower case, ё→е, pymorphy3's most probable normal form; numbers and Latin words stay as they are."""

    def __init__(self, cache_size: int = 500_000) -> None:
        self._morph = pymorphy3.MorphAnalyzer()
        self._cache: dict[str, str] = {}
        self._cache_size = cache_size

    @property
    def morph(self) -> pymorphy3.MorphAnalyzer:
        """The analyser itself, for the parts that read tags (person, tense, case), not only lemmas."""
        return self._morph

    def lemma(self, word: str) -> str:
        word = word.lower().replace("ё", "е")
        found = self._cache.get(word)
        if found is None:
            if word.isdigit() or not ("а" <= word[0] <= "я"):
                found = word
            else:
                found = self._morph.parse(word)[0].normal_form.replace("ё", "е")
            if len(self._cache) < self._cache_size:
                self._cache[word] = found
        return found

    def parses(self, word: str) -> list[Any]:
        """pymorphy3's readings of ``word``, most probable first (for the few words whose
        grammar matters: a street name next to its type word)."""
        return list(self._morph.parse(word.lower().replace("ё", "е")))

    def tokens(self, text: str) -> list[Token]:
        return list(self._tokens(text))

    def _tokens(self, text: str) -> Iterator[Token]:
        for match in _WORD.finditer(text):
            word = match.group().lower().replace("ё", "е")
            yield Token(word, self.lemma(word), match.start(), match.end())

    def lemmas(self, text: str) -> list[str]:
        return [self.lemma(word) for word in _WORD.findall(text)]
