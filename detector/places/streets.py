"""Street mentions found without a gazetteer entry: "ул. Полевая, 12", "пр-т Ветеранов", "на Полевой
улице", "наб. реки Фонтанки", "Московское ш.", "на Чехова 14".

A mention is a street-type word or abbreviation with a name after it (or an adjective name before
it), or a capitalised name right before a house number. The name is put in the nominative where it
agrees with the type word (adjectives: "Полевой улице" → "Полевая"); a name in the genitive ("ул.
Ленина", "пр-т Ветеранов") stays as written. Only texts with a digit or a street-type word are read
past the first check, so chatter costs a set look-up per word.

natasha's ``AddrExtractor`` (a yargy grammar) was measured first on the same phrases: it read 18
posts/s on the real appeals and did not find "на Чехова 14" or "наб. реки Фонтанки", nor put "на
Полевой улице" in the nominative; this reader keeps to the detector's tokens and pymorphy3's tags.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from detector.places import words as vocab
from detector.places.houses import house_after, house_before
from detector.places.words import ABBREVIATIONS, TYPES

if TYPE_CHECKING:
    from detector.text.lemmas import Lemmatizer, Token


@dataclass(frozen=True)
class StreetMention:
    """A street named in a text: its name in the nominative, its type, the house, and where it is."""

    name: str
    kind: str | None  # a key of TYPES; None for a bare name whose type the text does not say
    house: str | None
    start: int  # token positions [start, end)
    end: int
    written: str

    @property
    def canonical(self) -> str:
        """How an address writes it: "ул. Полевая", "пр-т Ветеранов", "Чехова" (type unknown)."""
        return f"{TYPES[self.kind][1]} {self.name}" if self.kind else self.name


class StreetReader:
    """Finds street mentions in the detector's tokens; pymorphy3 reads only the words next to a
    street-type word or a house number, through a cache of its own."""

    def __init__(self, lemmatizer: Lemmatizer) -> None:
        self._lemmatizer = lemmatizer
        self._forms: dict[tuple[str, str, frozenset[str]], str | None] = {}
        self._bare: dict[str, tuple[str, str | None] | None] = {}

    def find(self, text: str, tokens: Sequence[Token]) -> list[StreetMention]:
        """Every mention, left to right, none overlapping; those with a street-type word first (a
        bare name before a number is the less certain reading)."""
        found: list[StreetMention] = []
        taken = 0
        for i, token in enumerate(tokens):
            if i < taken:
                continue
            kind = self._type_at(text, tokens, i)
            mention = self._typed(text, tokens, i, kind) if kind else None
            if mention is None and token.text[0].isdigit():
                mention = self._bare_after(text, tokens, i) or (self._bare_before(text, tokens, i, taken)
                                                                if i > taken else None)
            if mention is None and token.text[-1].isdigit() and token.text[0].isalpha():
                mention = self._glued(text, tokens, i)
            if mention is not None and mention.start >= taken:
                found.append(mention)
                taken = mention.end
        return sorted(found, key=lambda m: m.kind is None)

    def _type_at(self, text: str, tokens: Sequence[Token], i: int) -> str | None:
        token = tokens[i]
        kind = ABBREVIATIONS.get(token.text)
        if kind is not None:
            if token.text not in vocab.NEED_DOT or text[token.end:token.end + 1] == ".":
                return kind
            near = (i + 1 < len(tokens) and _capital(text, tokens[i + 1])) or (i > 0 and _capital(text, tokens[i - 1])) \
                or house_after(text, token.end) is not None
            return kind if near else None
        return vocab.WORDS.get(token.lemma)

    # -- "ул. Полевая", "на Полевой улице" --------------------------------------------------------

    def _typed(self, text: str, tokens: Sequence[Token], i: int, kind: str) -> StreetMention | None:
        named_after = i + 1 < len(tokens) and (_capital(text, tokens[i + 1]) or tokens[i + 1].text in vocab.TITLES)
        before = None if named_after else self._name_before(text, tokens, i, kind)
        if before is not None:
            start, name = before
            return self._mention(text, tokens, start, i + 1, name, kind)
        after = self._name_after(text, tokens, i, kind)
        if after is not None:
            end, name = after
            return self._mention(text, tokens, i, end, name, kind)
        return None

    def _name_after(self, text: str, tokens: Sequence[Token], i: int, kind: str) -> tuple[int, str] | None:
        j = i + 1
        abbreviated = tokens[i].text in ABBREVIATIONS
        if j < len(tokens) and tokens[j].text in vocab.NAMED:
            j += 1
        if j >= len(tokens) or _gap(text, tokens[j - 1], tokens[j], dot=abbreviated or j > i + 1):
            return None
        prefix = ""
        if tokens[j].text in vocab.WATER and j + 1 < len(tokens) and _capital(text, tokens[j + 1]):
            prefix = {"р": "реки", "кан": "канала"}.get(tokens[j].text, tokens[j].text) + " "
            j += 1
        first = tokens[j]
        if not self._may_start_name(text, tokens, i, j, kind):
            return None
        words = _name_words(text, tokens, j)
        if first.text.isdigit() and len(words) == 1 and kind != "микрорайон":
            return None
        cases = self._cases(tokens[i])
        if TYPES[kind][0] != "femn":  # "пр-т Хрустицкого": a surname in the genitive, not an agreeing adjective
            cases -= {"gent"}
        return j + len(words), prefix + " ".join(self._normal(text, w, kind, cases) for w in words)

    def _may_start_name(self, text: str, tokens: Sequence[Token], i: int, j: int, kind: str) -> bool:
        """Whether ``tokens[j]`` can open the name of the street typed at ``tokens[i]``: not a house
        word or a sentence's first word ("ул. Но"), a number only as an ordinal or before a name ("ул.
        8 Марта"), a lower-case word only after an abbreviation or before a house number."""
        first = tokens[j]
        if first.text in vocab.HOUSE_WORDS or self._function_word(first.text) or (
                kind == "микрорайон" and i > 0 and tokens[i - 1].text.isdigit()):
            return False
        if first.text[0].isdigit() and not (vocab.ORDINAL.match(first.text) or kind == "микрорайон"
                                             or (first.text.isdigit() and j + 1 < len(tokens)
                                                 and _capital(text, tokens[j + 1]))):
            return False
        if _capital(text, first) or first.text[0].isdigit() or first.text in vocab.TITLES:
            return True
        abbreviated = tokens[i].text in ABBREVIATIONS
        return bool(abbreviated or house_after(text, first.end)) and kind not in vocab.WEAK_WORDS \
            and len(first.text) >= 3

    def _name_before(self, text: str, tokens: Sequence[Token], i: int, kind: str) -> tuple[int, str] | None:
        cases = self._cases(tokens[i])
        numbered = house_after(text, tokens[i].end) is not None
        start = i
        while start > 0 and i - start < 2 and not _gap(text, tokens[start - 1], tokens[start]):
            word = tokens[start - 1]
            counted = kind == "микрорайон" and word.text.isdigit()
            written = _capital(text, word) or (numbered and start == i)
            if not (counted or vocab.ORDINAL.match(word.text) or (written and self._agrees(word.text, kind, cases))):
                if start == i and numbered and _capital(text, word) and tokens[i].text in ABBREVIATIONS \
                        and self._bare_name(word.text) is not None:  # "Дыбенко ул., дом 4"
                    start -= 1
                break
            start -= 1
        if start == i:
            return None
        return start, " ".join(self._normal(text, w, kind, cases) for w in tokens[start:i])

    # -- "на Чехова 14", "Полевая, 12", "Пестеля, дом 19" --------------------------------------

    def _bare_before(self, text: str, tokens: Sequence[Token], i: int, taken: int) -> StreetMention | None:
        """``tokens[i]`` is the house number; the name is right before it (or before "д."/"дом")."""
        number = tokens[i]
        n = i - 1
        if tokens[n].text in ("д", "дом") and n > taken:
            n -= 1
        name = tokens[n]
        if not (_capital(text, name) or n == 0) or vocab.UNITS.match(text[number.end:number.end + 12]):
            return None
        between = text[name.end:number.start]
        if len(between) > 6 or "№" in between or _acronym(text, name) or house_after(text, name.end) is None:
            return None
        read = self._bare_name(name.text)
        if read is None:
            return None
        start = n
        while start > taken and start > n - 2 and not _gap(text, tokens[start - 1], tokens[start]):
            before = tokens[start - 1]
            title = before.text in vocab.TITLES
            if not title and not (_capital(text, before) and not _sentence_start(text, tokens[start])
                                  and before.lemma not in vocab.NOT_NAMES and self._bare_name(before.text) is not None):
                break
            start -= 1
        normal, kind = read
        words = [_title(text, t) for t in tokens[start:n]] + [normal[0].upper() + normal[1:]]
        return self._mention(text, tokens, start, n + 1, " ".join(words), kind)

    def _function_word(self, word: str) -> bool:
        """"Но", "В", "Это": a capital letter that starts a sentence, not a name."""
        parses = self._lemmatizer.parses(word)
        return bool(parses) and parses[0].is_known and bool(
            set(vocab.NOT_NAME_TAGS) & set(str(parses[0].tag).replace(" ", ",").split(",")))

    def _bare_after(self, text: str, tokens: Sequence[Token], i: int) -> StreetMention | None:
        """"дома 8 по Курляндской", "дому 20 по Камышовой": the house, then the name."""
        if not (0 < i and tokens[i - 1].lemma == "дом" and i + 2 < len(tokens) and tokens[i + 1].text in ("по", "на")):
            return None
        name = tokens[i + 2]
        if not _capital(text, name) or _acronym(text, name) or _gap(text, tokens[i + 1], name):
            return None
        end = i + 3
        while end < len(tokens) and end < i + 5 and _capital(text, tokens[end]) and not _gap(text, tokens[end - 1],
                                                                                             tokens[end]):
            end += 1
        read = self._bare_name(tokens[end - 1].text)
        if read is None:
            return None
        normal, kind = read
        words = [_title(text, t) for t in tokens[i + 2:end - 1]] + [normal[0].upper() + normal[1:]]
        return StreetMention(" ".join(words), kind, tokens[i].text, i + 2, end, text[name.start:tokens[end - 1].end])

    def _glued(self, text: str, tokens: Sequence[Token], i: int) -> StreetMention | None:
        """"Турку7", "Шаврова25": a name and its house number written together."""
        glued = vocab.GLUED.match(tokens[i].text)
        if glued is None or not _capital(text, tokens[i]) or (i > 0 and tokens[i - 1].text in ABBREVIATIONS):
            return None
        read = self._bare_name(glued.group(1))
        if read is None:
            return None
        normal, kind = read
        return StreetMention(normal[0].upper() + normal[1:], kind, glued.group(2), i, i + 1, text[tokens[i].start:tokens[i].end])

    def _bare_name(self, word: str) -> tuple[str, str | None] | None:
        """A word that may name a street alone, before a house number: an adjective ("Полевой",
        "Комендантский") put in the nominative, or a surname, a noun in the genitive or a word the
        dictionary does not know ("Чехова", "Победы", "Костюшко") kept as it is."""
        if word in self._bare:
            return self._bare[word]
        result: tuple[str, str | None] | None = None
        parses = self._lemmatizer.parses(word)
        top = parses[0] if parses else None
        if top is not None and len(word) > 2 and "а" <= word[0] <= "я" and top.normal_form not in vocab.NOT_NAMES and not (
                set(vocab.NOT_NAME_TAGS) & set(str(top.tag).replace(" ", ",").split(","))):
            tag = top.tag
            adjective = next((p for p in parses[:3] if "ADJF" in p.tag and "Apro" not in p.tag and "sing" in p.tag
                              and ("femn" in p.tag or "nomn" in p.tag)), None)
            if adjective is not None:
                gender = next(g for g in ("femn", "masc", "neut") if g in adjective.tag)
                inflected = adjective.inflect({"nomn", gender, "sing"})
                result = (inflected.word, "улица" if gender == "femn" else None) if inflected else None
            elif not top.is_known or any(
                    ("gent" in p.tag or "Fixd" in p.tag) and ({"Surn", "Name", "Geox"} & set(str(p.tag).replace(" ", ",").split(",")))
                    for p in parses[:4]) or ("NOUN" in tag and "gent" in tag) or ("ADJF" in tag and "gent" in tag):
                result = (word, None)
        self._bare[word] = result
        return result

    # -- normalising ---------------------------------------------------------------------------

    def _mention(self, text: str, tokens: Sequence[Token], start: int, end: int, name: str,
                 kind: str | None) -> StreetMention:
        house = house_after(text, tokens[end - 1].end) or house_before(text, tokens[start].start)
        written = text[tokens[start].start:tokens[end - 1].end]
        return StreetMention(name, kind, house, start, end, written)

    def _cases(self, token: Token) -> frozenset[str]:
        """The cases a type word is in; an abbreviation says none, so any case fits."""
        if token.text in ABBREVIATIONS:
            return frozenset(vocab.CASES)
        return frozenset(c for p in self._lemmatizer.parses(token.text) for c in vocab.CASES if c in p.tag)

    def _agrees(self, word: str, kind: str, cases: frozenset[str]) -> bool:
        return self._inflect(word, kind, cases) is not None

    def _normal(self, text: str, token: Token, kind: str, cases: frozenset[str]) -> str:
        ordinal = vocab.ORDINAL.match(token.text)
        if ordinal:
            return f"{ordinal.group(1)}-{vocab.ORDINAL_ENDS[TYPES[kind][0]]}"
        inflected = self._inflect(token.text, kind, cases)
        return inflected.capitalize() if inflected else _title(text, token)

    def _inflect(self, word: str, kind: str, cases: frozenset[str]) -> str | None:
        """An adjective that agrees with the type word, in the nominative; None for anything else
        ("Хрустицкого" after "проспект" is a surname in the genitive, not an agreeing adjective)."""
        key = (word, kind, cases)
        if key not in self._forms:
            gender = TYPES[kind][0]
            parse = next((p for p in self._lemmatizer.parses(word) if "ADJF" in p.tag and "Apro" not in p.tag
                          and "anim" not in p.tag and gender in p.tag and "sing" in p.tag and any(c in p.tag for c in cases)), None)
            inflected = parse.inflect({"nomn", gender, "sing"}) if parse is not None else None
            self._forms[key] = inflected.word if inflected else None
        return self._forms[key]


def _name_words(text: str, tokens: Sequence[Token], j: int) -> list[Token]:
    """The words of a name from ``tokens[j]`` on: up to three, capitalised (or after a title word or
    a number: "Маршала Жукова", "8 Марта"), stopping at punctuation, a type word or a number."""
    words = [tokens[j]]
    while len(words) < 3 and j + len(words) < len(tokens):
        nxt = tokens[j + len(words)]
        if _gap(text, words[-1], nxt) or not (_capital(text, nxt) or words[-1].text in vocab.TITLES
                                               or words[-1].text.isdigit()):
            break
        if nxt.text in ABBREVIATIONS or nxt.lemma in vocab.WORDS or nxt.text[0].isdigit():
            break
        words.append(nxt)
    return words


def _acronym(text: str, token: Token) -> bool:
    """"ЖКС", "МКД", "ХВС": an organisation or a term, not a street."""
    return text[token.start:token.end].isupper() and token.end - token.start <= 6


def _capital(text: str, token: Token) -> bool:
    return text[token.start].isupper()


def _title(text: str, token: Token) -> str:
    written = text[token.start:token.end].replace("ё", "е").replace("Ё", "Е")
    return written[0].upper() + written[1:]


def _gap(text: str, left: Token, right: Token, dot: bool = False) -> bool:
    """Punctuation between two words ends a name ("ул. Ленина, Мира" is two streets); a dot does
    not after an abbreviation ("ул. Ленина")."""
    return bool(text[left.end:right.start].strip(" ." if dot else " "))


def _sentence_start(text: str, token: Token) -> bool:
    before = text[:token.start].rstrip()
    return not before or before[-1] in ".!?\n"
