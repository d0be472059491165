"""Phrase words must be pymorphy3 normal forms: the detector compares a phrase with the lemmas of a
text (``parse(word)[0].normal_form``, ё read as е), so a word written in another form ("воды" for
"вода") can never match.

A word passes when pymorphy3 gives it as the normal form of one of its own parses. That admits
the lemmas the files list on purpose for other words' forms ("газа", pymorphy3's lemma of "газу";
"ям", of "ямы") and refuses inflected forms, which is the mistake a staff member makes.
"""

from __future__ import annotations

from typing import Iterable, Iterator

import pymorphy3

from detector.staff.problems import Problem


class NormalForms:
    """Which words pymorphy3 gives as normal forms (one analyser, answers cached)."""

    def __init__(self) -> None:
        self._morph = pymorphy3.MorphAnalyzer()
        self._answers: dict[str, str | None] = {}

    def instead(self, word: str) -> str | None:
        """None when ``word`` is a normal form; else the one pymorphy3 gives for it."""
        word = word.lower().replace("ё", "е")
        if word not in self._answers:
            self._answers[word] = self._instead(word)
        return self._answers[word]

    def _instead(self, word: str) -> str | None:
        if word.isdigit() or not "а" <= word[:1] <= "я":  # numbers and latin words are kept as written
            return None
        parses = self._morph.parse(word)
        if any(parse.normal_form.replace("ё", "е") == word for parse in parses):
            return None
        return str(parses[0].normal_form).replace("ё", "е")


def phrase_problems(file: str, phrases: Iterable[tuple[str, str, str]], forms: NormalForms) -> Iterator[Problem]:
    """A problem for each word of ``phrases`` ((entry, field, phrase) each) that is no normal form."""
    for where, field, phrase in phrases:
        for word in phrase.split():
            lemma = forms.instead(word)
            if lemma is not None:
                yield Problem(file, where, field, f"expected pymorphy3 normal forms, found {word!r} in {phrase!r} "
                                                  f"(pymorphy3 reads it as {lemma!r})")
