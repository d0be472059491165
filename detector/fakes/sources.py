"""Where a story says it comes from: a named source, a document, advice.

Plain official news ("Губернатор сообщил…", "постановление опубликовано") and everyday advice
("если почувствовали запах газа, звоните 104") share the rumour's urgent words but not its way of
sourcing: a rumour cites "знакомая медсестра" or nobody, news names a body and a document. These
markers are evidence a fact-checker reads next to the score, and three of the fake model's signals
(so it learns how much they weigh against the rumour groups; a fake notice may cite a decree too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

BODIES = frozenset({
    "губернатор", "правительство", "администрация", "мэрия", "мэр", "министерство", "министр", "минздрав",
    "минтранс", "минсоцразвитие", "роспотребнадзор", "мчс", "гибдд", "умвд", "мвд", "прокуратура", "дума",
    "горсовет", "департамент", "управление", "комитет", "водоканал", "росстат", "росреестр", "гидрометцентр",
    "облэнерго", "вице-губернатор", "вице-мэр", "пресс-служба", "фонд", "казначейство", "суд", "следственный"})
SAID = frozenset({"сообщить", "сообщать", "заявить", "пояснить", "рассказать", "объявить", "напомнить",
                  "напоминать", "поручить", "подписать", "утвердить", "принять", "данные", "информация"})
DOCUMENTS = frozenset({"постановление", "приказ", "распоряжение", "указ", "закон", "протокол", "решение",
                       "вестник", "регламент"})
ADVICE = frozenset({"совет", "советовать", "рекомендовать", "рекомендация", "напоминать", "лайфхак",
                    "проверять", "проверить"})
_NUMBERED = re.compile(r"\b\d+-(?:фз|п|р|па)\b|\bопубликован", re.IGNORECASE)  # not "школа №12"


@dataclass
class Sourcing:
    source_named: list[str] = field(default_factory=list)  # the bodies named, when they speak
    document_cited: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)

    def evidence(self, rumour_groups: Sequence[str]) -> dict[str, list[str] | bool]:
        """The markers that fired; ``no_source`` when a text has rumour words and names no one."""
        found: dict[str, list[str] | bool] = {k: v for k, v in self.__dict__.items() if v}
        if rumour_groups and not self.source_named and not self.document_cited:
            found["no_source"] = True
        return found

    def signals(self) -> list[float]:
        return [float(bool(self.source_named)), float(bool(self.document_cited)), float(bool(self.advice))]


def read_sourcing(text: str, lemmas: Sequence[str]) -> Sourcing:
    """A body counts as a source when the text also says it spoke ("сообщил", "по данным")."""
    present = set(lemmas)
    bodies = sorted(present & BODIES) if present & SAID else []
    documents = sorted(present & DOCUMENTS)
    if _NUMBERED.search(text):
        documents.append("опубликован / № закона")
    return Sourcing(bodies, documents, sorted(present & ADVICE))


SIGNAL_NAMES = ["source:named", "source:document", "source:advice"]
