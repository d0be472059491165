"""How an official answer reads: substantive (what will be done, by whom, by when, or that it was
done) or отписка (a formulaic non-answer: "передано в профильное ведомство", "принято к
сведению", "будет рассмотрено в установленном порядке").

A transparent grammar of markers over the lower-cased text (ё read as е). An answer is
substantive when it names work done or a piece of work to come (a verb of the work itself:
"заделали", "заменят", "бригада выехала", "будет ходить"), or names who answers for it together
with a deadline and no отписка phrase; otherwise it is an отписка, dated or not ("будет рассмотрено
до 20 декабря" promises an answer, not the work). Every marker that fired is kept as the reason.
The figures on the labelled answers: ``monitor eval answers`` (docs/ANSWERS.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SUBSTANTIVE = "substantive"
OTPISKA = "otpiska"
QUALITIES = (SUBSTANTIVE, OTPISKA)

_MONTH = r"(?:январ|феврал|март|апрел|ма[йя]|июн|июл|август|сентябр|октябр|ноябр|декабр)\w*"
_WEEKDAY = r"(?:понедельник|вторник|сред[уаы]|четверг|пятниц[уаы]|суббот[уаы]|воскресень[ея])"

# Work done or a state restored: the thing itself, not a step of paperwork.
_DONE = (
    r"(?:от|за)?ремонтир(?:овал|ован)\w*", r"замен(?:ил|ен|ён)\w*", r"восстановл?(?:ил|ен)\w*",
    r"устран(?:ил|ен|ён)\w*", r"(?<!\w)убра(?:л|н)\w*", r"вывез(?:ли|ен)\w*", r"почин(?:ил)\w*",
    r"прочи(?:стил|щен)\w*", r"(?<!\w)закры(?:л|т)\w*", r"откача(?:л|н)\w*", r"установ(?:ил|лен[аоы]?(?!\w))\w*",
    r"(?<!\w)(?:по)?дал[аи]?(?!\w)", r"(?<!\w)подан[аоы]?(?!\w)", r"включ(?:ил|ен|ён)\w*(?! в обследован)",
    r"снес(?:ли|ен)\w*", r"демонтир(?:овал|ован)\w*", r"отлов(?:или|лен)\w*", r"эвакуир(?:овал|ован)\w*",
    r"выдел(?:ил\w*|ен[аоы]?(?!\w))", r"откры(?:л|т[аоы]?(?!\w))\w*", r"запу(?:стил|щен)\w*", r"прогрел\w*",
    r"обработ(?:ал|ан)\w*", r"(?:рас)?очи(?:стил|щен)\w*", r"покраси(?:л)\w*", r"оштрафован\w*",
    r"отстранен\w*", r"выпущен\w*", r"вернули", r"перенес(?:ли|ен)\w*", r"перенастроен\w*",
    r"нанесен\w*", r"привар(?:ил)\w*", r"завар(?:ил)\w*", r"сбро?си(?:ли)|сбили", r"проби(?:ли)",
    r"организован\w*", r"засыпа(?:ли|н)\w*", r"задела(?:ли|н)\w*", r"отсыпа(?:ли|н)\w*",
    r"(?<!\w)сдела(?:л|н)\w*", r"исправ(?:ил|лен)\w*", r"(?<!\w)реш(?:ен|ён|ена|ено|ены)(?!\w)", r"(?<!\w)решили",
    r"заверш(?:ил|ен|ён)\w*", r"законч(?:ил|ен)\w*", r"выполн(?:ил|ен)\w*", r"(?<!\w)готово",
    r"провели", r"проверили", r"расчищен\w*", r"ликвидирован\w*", r"погашен\w*", r"смонтирова\w*",
    r"(?<!\w)взяты", r"приняты? на работу", r"уволен\w*", r"огородили", r"помыли", r"закуплен\w*",
    r"подключ(?:ил|ен)\w*", r"поставили", r"удален[аоы]?(?!\w)",
)
# A state the citizen asked for, in place now.
_STATE = (
    r"(?:фонар\w*|свет\w*|лампы?) гор(?:ит|ят)", r"(?<!\w)вода есть", r"батаре\w+ горяч\w+",
    r"проезд (?:свободен|открыт)", r"(?<!\w)в порядке(?!\s+очеред)", r"не актуальн\w*",
)
# Work to come, with its doer: a future or a dispatch.
_PLANNED = (
    r"(?:от|за)?ремонтиру(?:ют|ем)", r"замен(?:ят|им|ит)(?!\w)", r"восстанов(?:ят|им)", r"устран(?:ят|им)",
    r"(?<!\w)убер(?:ут|ем|ём)", r"вывез(?:ут|ем|ём)", r"почин(?:ят|им)", r"закро(?:ют|ем)",
    r"установ(?:ят|им)", r"постав(?:ят|им)", r"(?<!\w)(?:по)?дадут", r"включ(?:ат|им)", r"снес(?:ут|ем|ём)",
    r"построят", r"откро(?:ют|ем|ется|ются)", r"покрас(?:ят|им)", r"нанесут", r"осветят", r"заасфальтир\w*",
    r"расселят", r"расширят", r"приведут в порядок", r"(?<!\w)вернем|(?<!\w)вернём|вернется|вернётся",
    r"будет ходить|будут ходить|будет останавливаться", r"(?:будет|будут) (?:выполнен|заменен|заменён|"
    r"установлен|отремонтирован|восстановлен|сделан|убран|вывезен|построен|открыт|закрыт)\w*",
    r"начн(?:ется|ётся|ут)", r"займ(?:ет|ёт)", r"назначен\w* на", r"запланирован\w*",
    r"включен\w* в (?:план|программ|контракт)", r"(?<!\w)(?:приедет|придет|придёт|выедет|приедут)",
    r"(?<!\w)(?:вы|при)ехал\w*", r"законч(?:ат|им|ится)", r"будет по адресу", r"вышл\w* на режим",
    r"закреплен\w*", r"эвакуиру(?:ют|ем)", r"распорядил\w*", r"объявлен\w* выговор", r"(?<!\w)выезжаем", r"(?<!\w)на месте(?!\w)", r"прибыл\w*", r"уже монтиру\w*",
    r"(?:проведем|проведём|повторим|сделаем|прочистим|прогреем|очистим)", r"свяжется с вами",
    r"подвоз\w* вод\w*", r"пункт обогрева", r"дежурит", r"позвонит", r"переделают", r"проконтролирует",
    r"(?:до|к)\s+\S+\s+\S*\s*(?:восстановить|устранить|заменить|отремонтировать|убрать|вывезти)",
)
# Who answers for the work: named, so the promise can be checked.
_WHO = (
    r"бригад\w*", r"мастер\w*", r"подрядчик\w*", r"ответственн\w+\s*[—:-]", r"ООО «", r"(?<!\w)МУП\s",
)
# A concrete time: a date, an hour, a number of days, a named day.
_WHEN = (
    rf"(?<!\w)до \d{{1,2}}(?:\.\d{{2}}|\s+{_MONTH})", rf"(?<!\w)\d{{1,2}}(?:–\d{{1,2}})?\s+{_MONTH}",
    r"(?<!\w)до конца (?:недели|дня|месяца|года|декабря)", rf"(?<!\w)(?:до|в|с|во) {_WEEKDAY}",
    r"\d{1,2}:\d{2}", r"в течение \d+\s+(?:рабочих\s+)?(?:дн|час|недел)\w*", r"в течение (?:часа|дня)",
    r"(?<!\w)(?:сегодня|завтра)", r"\d{4} год\w*", r"(?<!\w)(?:весной|летом|осенью)",
)
# The formulae of a non-answer.
_OTPISKA = (
    r"(?:передан|направлен|перенаправлен|переадресован)\w*", r"передал[иа]?(?!\w)|передадим|направили|направила",
    r"принят\w* к (?:сведению|рассмотрению)", r"(?:в|во) установленн\w+ (?:порядке|срок)\w*",
    r"установленн\w+ (?:законом|законодательством)", r"(?:будет|будут) рассмотрен\w*|рассмотрит\w*",
    r"на рассмотрени\w*", r"для рассмотрения", r"по компетенции|компетенци\w+|полномочи\w+",
    r"(?:рекомендуем|просим|предлагаем)\s+(?:вас\s+)?(?:обратиться|направить)|обращайтесь|обратитесь",
    r"направьте", r"в личные сообщения", r"(?:на|под) контрол\w*|держим на контроле|взят\w* на контроль",
    r"(?:принят\w*|взял\w*|взят\w*|передан\w*) в работу|в работе(?!\w)", r"прорабатыва\w+|проработа\w+",
    r"(?:будет|будут) уч[её]т\w*|учтем|учтём", r"ожидайте", r"ответ (?:будет|поступит|направ)\w*",
    r"(?:разбер(?:емся|ёмся|утся))", r"ведется работа|ведётся работа", r"проинформирован\w*|доведен\w* до",
    r"зарегистрирован\w*", r"изуч(?:ат|им)", r"по мере возможност\w*", r"при наличии\s+\w+",
    r"рекомендовано", r"в рамках (?:плановых|выделенного|контракта|компетенции)\w*", r"отработан\w*",
    r"при (?:формировании|планировании|пересмотре|наступлении)", r"информаци\w+ (?:принят|будет)\w*",
    r"уточняем", r"запрос\w*",
)


def _compile(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


_GROUPS = {"done": _compile(_DONE), "state": _compile(_STATE), "planned": _compile(_PLANNED),
           "who": _compile(_WHO), "when": _compile(_WHEN), "otpiska": _compile(_OTPISKA)}
_CASED = frozenset({"who"})  # "ООО «", "МУП": matched as written


@dataclass(frozen=True, slots=True)
class AnswerQuality:
    """How one answer reads, and the markers that decided it (``group: words``)."""

    label: str
    markers: tuple[str, ...] = ()

    @property
    def substantive(self) -> bool:
        return self.label == SUBSTANTIVE


def markers(text: str) -> dict[str, list[str]]:
    """Every marker group that fires on ``text``, with the words it matched."""
    lowered = text.lower().replace("ё", "е")
    found: dict[str, list[str]] = {}
    for group, pattern in _GROUPS.items():
        words = [m.group(0).strip() for m in pattern.finditer(text if group in _CASED else lowered)]
        if group in _CASED:
            words += [m.group(0).strip() for m in pattern.finditer(lowered) if m.group(0).strip() not in words]
        if words:
            found[group] = words
    return found


def classify_answer(text: str) -> AnswerQuality:
    """Substantive or отписка, with the reason: the markers that fired."""
    fired = markers(text)
    reason = tuple(f"{group}: {word}" for group, words in fired.items() for word in dict.fromkeys(words))
    if "done" in fired or "state" in fired or "planned" in fired:
        return AnswerQuality(SUBSTANTIVE, reason)
    if "who" in fired and "when" in fired and "otpiska" not in fired:
        return AnswerQuality(SUBSTANTIVE, reason)
    return AnswerQuality(OTPISKA, reason)
