"""Where a story says it comes from: a named source, a document, advice.

Plain official news ("Губернатор сообщил…", "постановление опубликовано") and everyday advice
("если почувствовали запах газа, звоните 104") share the rumour's urgent words but not its way of
sourcing: a rumour cites "знакомая медсестра" or nobody, news names a body and a document. These
markers are evidence a fact-checker reads next to the score, and three of the fake model's signals
(so it learns how much they weigh against the rumour groups). A fake notice cites a decree too
("Постановление администрации: ... обязаны"), so a document counts for more only when a reader
can check it: its number, or where it is published.
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
# Where a reader can check the document: its number, or where it is published ("школа №12" is not one).
_CHECKABLE = re.compile(r"№\s*\d+(?:-[а-я]+)?|\b\d+-(?:фз|п|р|па)\b|опубликован\w*\s+(?:на|в)\s+\w+(?:\s+\w+)?"
                        r"|официальн\w+\s+(?:вестник|портал|сайт)\w*", re.IGNORECASE)


@dataclass
class Sourcing:
    source_named: list[str] = field(default_factory=list)  # the bodies named, when they speak
    document_cited: list[str] = field(default_factory=list)  # the documents, and where to check them
    checkable: bool = False  # a document with its number or where it is published
    advice: list[str] = field(default_factory=list)

    def evidence(self, rumour_groups: Sequence[str]) -> dict[str, list[str] | bool]:
        """The markers that fired; ``no_source`` when a text has rumour words and names no one."""
        found: dict[str, list[str] | bool] = {k: v for k, v in self.__dict__.items() if v and k != "checkable"}
        if rumour_groups and not self.source_named and not self.document_cited:
            found["no_source"] = True
        return found

    def signals(self) -> list[float]:
        return [float(bool(self.source_named)), float(self.checkable), float(bool(self.advice))]


def read_sourcing(text: str, lemmas: Sequence[str]) -> Sourcing:
    """A body counts as a source when the text also says it spoke ("сообщил", "по данным")."""
    present = set(lemmas)
    if present.isdisjoint(_ANY):
        return Sourcing()  # most posts: nothing to name
    bodies = sorted(present & BODIES) if present & SAID else []
    documents = sorted(present & DOCUMENTS)
    where = [m.group().lower() for m in _CHECKABLE.finditer(text)] if documents else []
    return Sourcing(bodies, documents + where, checkable=bool(where), advice=sorted(present & ADVICE))


_ANY = BODIES | DOCUMENTS | ADVICE
SIGNAL_NAMES = ["source:named", "source:checkable_document", "source:advice"]
