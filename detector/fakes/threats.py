"""Is a post a violent threat? A small grammar over pymorphy3's lemmas and tags.

A threat announces violence against people or places: someone (the author, "мы", a named person)
will shoot, blow up, set fire to or attack a school, a college, a mall, an office or an official.
What tells it from the words around it is grammar, not vocabulary: "перестреляю всех в колледже"
(the author, first person, future) is a threat; "в колледже стреляли" (a past event) is an
emergency report; "говорят, в школе будет стрельба" (hearsay, no one's intent) is a rumour for the
fact-check queue; "убить готова этот будильник" has no target anyone must protect.

A clause is a threat when a violent predicate (a violent verb, "устроить" + an attack noun, "прийти"
+ a weapon) is in one of these forms, and a target (a place or people an authority protects) is in
the same sentence or the one next to it:

* ``first person``: "взорву", "буду стрелять", "перестреляем", "хочу взорвать", "иду стрелять";
* ``call``: the imperative or an impersonal must ("сожгите", "надо сжечь", "пора взорвать", "кто со мной");
* ``reported``: a third person's own threat ("одноклассник пишет, что всех перестреляет",
  "грозится поджечь"), unless the post says he was caught ("задержан") or the source is hearsay;
* ``announced``: an attack foretold with no hearsay ("в пятницу в школе будет стрельба, не
  приходите", "школа взлетит на воздух").

Hearsay ("говорят", "пишут", "по слухам", "якобы") turns a reported or announced threat into a rumour
of one: not a threat (no one's intent is shown), and its ``rumour`` words send it to fact-checking.
So is an attack told of no one in particular ("мэрию подожгут") when retold. A first person in the
conditional ("сжёг бы") is not a threat. Unknown forms and typos ("взарву",
"пиристриляю") get pymorphy3's guess from their endings and fold vowels before the verb list is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Sequence

import pymorphy3

_WORD = re.compile(r"[а-яёa-z0-9]+(?:-[а-яёa-z0-9]+)*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?\n]+")

VIOLENT = frozenset({
    "убить", "убивать", "перебить", "застрелить", "пристрелить", "перестрелять", "расстрелять", "расстреливать",
    "пострелять", "стрелять", "подстрелить", "взорвать", "взрывать", "подорвать", "заминировать", "минировать",
    "сжечь", "спалить", "поджечь", "поджигать", "зарезать", "прирезать", "порезать", "вырезать", "замочить",
    "грохнуть", "положить", "порешать", "отравить", "напасть", "атаковать", "уничтожить", "разнести", "закидать",
    "уебать", "подсыпать"})
EVENTS = frozenset({"колумбайн", "скулшутинг", "стрельба", "бойня", "резня", "теракт", "взрыв", "поджог",
                    "расстрел", "ад", "кровь", "нападение", "керчь", "пермь", "казань", "огонь"})
STAGING = frozenset({"устроить", "устраивать", "сделать", "повторить", "начать", "открыть"})
WEAPONS = frozenset({"ружье", "нож", "автомат", "ствол", "обрез", "карабин", "бомба", "пистолет", "бензин",
                     "канистра", "оружие", "граната", "взрывчатка", "коктейль"})
COMING = frozenset({"прийти", "пойти", "идти", "взять", "брать", "принести", "вернуться", "ехать", "приехать"})
INTENT = frozenset({"хотеть", "собираться", "планировать", "решить", "думать", "начать", "быть", "идти", "пойти",
                    "ехать", "готовиться", "готовый", "намеренный", "грозиться", "угрожать", "обещать"})
MUST = frozenset({"надо", "нужно", "пора", "необходимо"})
PLACES = frozenset({
    "школа", "шкала", "колледж", "коледж", "техникум", "технарь", "шарага", "шарагу", "лицей", "гимназия",
    "университет", "универ", "вуз", "институт", "академия", "садик", "детсад", "тц", "торговый", "мол", "молл",
    "администрация", "админка", "админк", "мэрия", "здание", "суд", "больница", "поликлиника", "вокзал", "метро",
    "аэропорт", "автобус", "маршрутка", "рынок", "площадь", "концерт", "линейка", "класс", "урок", "кафедра",
    "общага", "общежитие", "офис", "контора", "завод", "магазин", "отдел", "отделение", "полиция", "военкомат",
    "мост", "подъезд", "дом", "квартира", "кабинет", "столовая", "церковь", "храм", "мечеть", "стадион",
    "кинотеатр", "банк", "садика", "группа", "комиссия"})
PEOPLE = frozenset({
    "одноклассник", "учитель", "училка", "учительница", "препод", "преподаватель", "ученик", "мент",
    "полицейский", "охрана", "охранник", "чиновник", "мэр", "губернатор", "глава", "депутат", "директор",
    "начальник", "начальство", "сосед", "люди", "толпа", "народ", "пассажир", "завуч", "продавец", "дети"})
HEARSAY = frozenset({"говорят", "пишут", "передают", "слух", "слухи", "слухам", "якобы", "вроде", "слышала",
                     "слышал", "слышали", "рассылка", "переслали", "сарафанному", "болтал", "сказали"})
SPEECH = frozenset({"сказать", "писать", "написать", "говорить", "передать", "слышать", "рассказать"})
HANDLED = frozenset({"задержать", "задержанный", "задержан", "арестовать", "приговорить", "приговор", "учет",
                     "обезвредить", "предотвратить"})
PLAY = frozenset({"тир", "тире", "пейнтбол", "контра", "игра", "дота", "лазертаг", "страйкбол", "катка", "зомби"})
IDIOMS = {"время": None, "калория": None, "мозг": None, "нерв": None, "танцпол": None, "мост": "сжечь"}
LEMMA_TYPOS = {"откроить": "открыть", "сажечь": "сжечь", "прийд": "прийти", "уести": "уебать",
               "взарвать": "взорвать", "поджгу": "поджечь"}
_VOWELS = str.maketrans("оеё", "аии")


@dataclass(frozen=True, slots=True)
class _Word:
    form: str
    lemma: str
    pos: str  # pymorphy3's part of speech ("VERB", "INFN", "NOUN", ...), "" when unknown
    person: str  # "1per" / "3per" / "" ; "impr" for the imperative
    number: str
    tense: str  # "futr" / "pres" / "past" / ""
    case: str
    sentence: int


def _fold(lemma: str) -> str:
    """Unstressed vowels written as heard ("взарвать", "пиристрилять") meet the dictionary's."""
    return lemma.translate(_VOWELS)


_FOLDED = {_fold(verb): verb for verb in VIOLENT}


class ThreatGrammar:
    """``find(text, lemmas)``: the threats in a text and the rumours of one, each as a short phrase
    naming its form and word."""

    def __init__(self, morph: pymorphy3.MorphAnalyzer) -> None:
        self._morph = morph
        self._tags: dict[str, tuple[str, str, str, str, str, str]] = {}
        self._clean: set[str] = set()  # lemmas that are no violent word, nor a typo of one
        # "устроить", "прийти" and "будет" are common: they count only with an attack noun or a weapon
        self._gate = VIOLENT | EVENTS | WEAPONS | frozenset(LEMMA_TYPOS) | {"взлететь", "сгореть"}

    def find(self, text: str, lemmas: Sequence[str]) -> tuple[list[str], list[str]]:
        """The threats, and the rumours of one (a threat's words retold as hearsay)."""
        if not self._gated(lemmas):
            return [], []  # most posts: no violent word at all, nothing to parse
        words = list(self._words(text))
        hearsay = any(w.form in HEARSAY for w in words)
        handled = any(w.lemma in HANDLED for w in words)
        retold = hearsay or any(w.lemma in SPEECH for w in words)
        threats, rumours = [], []
        for i, word in enumerate(words):
            form = self._form(words, i, handled=handled)
            if form is None or not self._target(words, word.sentence, i):
                continue
            told = form in ("reported", "announced", "indefinite") and (
                hearsay or (form in ("announced", "indefinite") and retold))
            if told or (form == "announced" and "?" in text):
                rumours.append(f"{form}: {word.form}")
            elif form != "indefinite":
                threats.append(f"{form}: {word.form}")
        return threats, rumours

    def _gated(self, lemmas: Sequence[str]) -> bool:
        """Whether a lemma is a violent word or a typo of one. Runs on every post: set operations,
        and the lemmas found clean once are not folded again."""
        present = set(lemmas)
        if not self._gate.isdisjoint(present):
            return True
        for lemma in present - self._clean:
            if _fold(lemma) in _FOLDED:
                return True
            if len(self._clean) < 200_000:
                self._clean.add(lemma)
        return False

    def _words(self, text: str) -> Iterator[_Word]:
        sentence, last = 0, 0
        for match in _WORD.finditer(text):
            sentence += len(_SENTENCE_END.findall(text, last, match.start()))
            last = match.start()
            form = match.group().lower().replace("ё", "е")
            yield _Word(form, *self._tag(form), sentence=sentence)

    def _tag(self, form: str) -> tuple[str, str, str, str, str, str]:
        found = self._tags.get(form)
        if found is None:
            parse = self._morph.parse(form)[0]
            tag = parse.tag
            lemma = parse.normal_form.replace("ё", "е")
            lemma = LEMMA_TYPOS.get(lemma, _FOLDED.get(_fold(lemma), lemma))
            person = "impr" if "impr" in tag else str(tag.person or "")
            found = (lemma, str(tag.POS or ""), person, str(tag.number or ""), str(tag.tense or ""),
                     str(tag.case or ""))
            if len(self._tags) < 200_000:
                self._tags[form] = found
        return found

    def _form(self, words: list[_Word], i: int, *, handled: bool) -> str | None:
        """The form of the violent predicate headed at ``words[i]``, or None when there is none;
        ``handled``: the post says the one who threatened was caught."""
        word = words[i]
        if not _predicate(words, i) or (i > 0 and words[i - 1].form in ("не", "бы")) or _conditional(words, i):
            return None
        if word.pos == "VERB" and word.person == "1per" and word.tense in ("futr", "pres"):
            return "first person"
        if word.person == "impr":
            return "call"
        if word.pos == "INFN":
            helper = _helper(words, i)
            if helper is not None and helper.pos == "ADJS":
                mine = any(w.form in ("я", "мы") for w in words if w.sentence == word.sentence)
                return "first person" if mine else None
            if helper is not None and (helper.person == "1per" or helper.lemma in MUST or helper.form == "кто"):
                return "call" if helper.lemma in MUST or helper.form == "кто" else "first person"
            if helper is not None and helper.person == "3per" and helper.number == "sing" and helper.tense != "past":
                return None if handled else "reported"
            return None
        if word.pos == "VERB" and word.person == "3per" and word.number == "sing" and word.tense == "futr":
            if word.lemma in ("быть", "взлететь", "сгореть"):
                return "announced"
            return None if handled else "reported"
        if word.pos == "VERB" and word.person == "3per" and word.tense in ("futr", "pres"):
            return "indefinite"  # "подожгут", "будут взрывать": no one in particular; a rumour when retold
        return None

    def _target(self, words: list[_Word], sentence: int, i: int) -> bool:
        """A place, or people in a case other than the subject's, in this sentence or the next to it."""
        near = [w for j, w in enumerate(words) if j != i and abs(w.sentence - sentence) <= 1]
        if any(w.lemma in PLAY for w in near):
            return False  # a game or a shooting range
        lemmas = {w.lemma for w in near}
        if "весь" in lemmas and lemmas & WEAPONS:
            return True  # "всех положу из автомата"
        return any(w.lemma in PLACES or (w.lemma in PEOPLE and w.case != "nomn") for w in near)


def _predicate(words: list[_Word], i: int) -> bool:
    """A violent verb (not in an idiom: "убить время", "сжечь мосты"), "устроить" or "будет" with
    an attack noun, coming with a weapon, "взлетит на воздух", "сгорит" (a place burning)."""
    lemma = words[i].lemma
    near = {w.lemma for w in words[i + 1:i + 5] if w.sentence == words[i].sentence}
    if lemma in VIOLENT:
        return not any(obj in near and verb in (None, lemma) for obj, verb in IDIOMS.items())
    if lemma == "быть":
        return bool(near & EVENTS)
    if lemma == "взлететь":
        return "воздух" in near
    if lemma == "сгореть":
        return True
    if lemma in STAGING:
        return bool(near & EVENTS)
    if lemma in COMING:
        nearby = {w.lemma for w in words if abs(w.sentence - words[i].sentence) <= 1}
        return bool(nearby & WEAPONS)
    return False


def _helper(words: list[_Word], i: int) -> _Word | None:
    """The finite word an infinitive depends on ("хочу взорвать", "надо сжечь", "начну стрелять")."""
    for word in reversed(words[max(0, i - 4):i]):
        if word.sentence != words[i].sentence:
            break
        if word.lemma in INTENT or word.lemma in MUST or word.form == "кто":
            return word
    return None


def _conditional(words: list[_Word], i: int) -> bool:
    """"убила бы", "сжёг бы": a wish, not an intent."""
    return i + 1 < len(words) and words[i + 1].form == "бы"
