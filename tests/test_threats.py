"""Threats told from emergencies and rumours; official news and advice are not fake suspects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detector import Detector, DetectorConfig
from detector.fakes.threats import ThreatGrammar
from detector.text.lemmas import Lemmatizer
from detector.training.data import corpus, read_jsonl
from detector.training.threats import evaluate_threats
from monitor.cli import main


@pytest.fixture(scope="module")
def lemmatizer() -> Lemmatizer:
    return Lemmatizer()


@pytest.fixture(scope="module")
def grammar(lemmatizer: Lemmatizer) -> ThreatGrammar:
    return ThreatGrammar(lemmatizer.morph)


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.from_config(DetectorConfig())


@pytest.mark.parametrize(("text", "form"), [
    ("Завтра приду в колледж и всех перестреляю", "first person"),
    ("взорву торговый центр в субботу", "first person"),
    ("сожгу администрацию, раз никто не слышит", "first person"),
    ("устрою колумбайн в нашей школе", "first person"),
    ("хочу устроить стрельбу в колледже", "first person"),
    ("Сожгите мэрию, они это заслужили", "call"),
    ("надо сжечь эту администрацию", "call"),
    ("Мы взорвём здание администрации", "first person"),
    ("Парень в чате написал, что взорвёт торговый центр", "reported"),
    ("в пятницу в 11 школе будет стрельба, не приходите", "announced"),
    ("взарву школу нафиг", "first person"),
])
def test_a_threat_is_found_in_its_many_forms(grammar: ThreatGrammar, lemmatizer: Lemmatizer,
                                             text: str, form: str) -> None:
    threats, _ = grammar.find(text, lemmatizer.lemmas(text))
    assert threats and threats[0].startswith(form + ":")


@pytest.mark.parametrize("text", [
    "в ТЦ пожар, людей эвакуируют",
    "У здания администрации стреляли, двое ранены",
    "Задержан подросток, который писал, что взорвёт школу",
    "убить готова этот будильник",
    "пойду убивать время в торговом центре",
    "я бы этот колледж сжёг, но лень",
    "перестреляю всех в пейнтболе",
    "Сожгу все мосты и начну новую жизнь",
])
def test_emergencies_and_everyday_violent_words_are_not_threats(grammar: ThreatGrammar, lemmatizer: Lemmatizer,
                                                                text: str) -> None:
    assert grammar.find(text, lemmatizer.lemmas(text)) == ([], [])


@pytest.mark.parametrize("text", [
    "говорят, в школе будет стрельба, не водите детей",
    "в чатах пишут что завтра в ТЦ Радуга будет теракт, не ходите",
    "Говорят, тот парень из 9Б хочет всех перестрелять в школе",
    "Ходят слухи, что мэрию подожгут на выходных",
])
def test_a_rumour_of_a_threat_is_checked_not_raised(detector: Detector, text: str) -> None:
    out = detector.score({"id": "r", "text": text, "source_kind": "city_group"})
    assert not out["threat"] and out["fake_evidence"]["threat_rumour"] and out["is_fake_suspect"]


def test_a_told_emergency_is_a_rumour_and_a_witnessed_one_routes(detector: Detector) -> None:
    told, seen = detector.score_many([
        {"id": "a", "text": "Говорят, на химзаводе выброс хлора, власти молчат, закрывайте окна"},
        {"id": "b", "text": "На Садовой пожар в общежитии колледжа, студентов выводят"}])
    assert not told["threat"] and "emergency_rumour" in told["fake_evidence"]
    assert not seen["threat"] and "пожар" in seen["fake_evidence"]["emergency"]


@pytest.mark.parametrize("text", [
    "Губернатор сообщил, что с 1 января зарплаты бюджетников вырастут на 7%",
    "Проезд подорожает до 45 рублей с 1 февраля, постановление опубликовано на портале правовой информации",
    "Если почувствовали запах газа, не включайте свет, откройте окна и звоните 104",
])
def test_official_news_and_advice_are_not_fake_suspects(detector: Detector, text: str) -> None:
    out = detector.score({"id": "n", "text": text, "source_kind": "city_group"})
    assert not out["is_fake_suspect"] and not out["threat"]


def test_the_evidence_says_which_sourcing_markers_fired(detector: Detector) -> None:
    news = detector.score({"id": "n", "text": "Губернатор сообщил: постановление № 214 о тарифах опубликовано"})
    markers = news["fake_evidence"]["markers"]
    assert markers["source_named"] == ["губернатор"] and "постановление" in markers["document_cited"]
    rumour = detector.score({"id": "r", "text": "Перешлите всем! Знакомый врач сказал, что в воду добавили хлор"})
    assert rumour["fake_evidence"]["markers"] == {"no_source": True}


def test_the_threats_corpus_holds_threats_emergencies_rumours_and_chatter() -> None:
    rows = read_jsonl(corpus("threats", "dev")) + read_jsonl(corpus("threats", "test"))
    labels = [r["label"] for r in rows]
    assert labels.count("threat") >= 150 and len(rows) - labels.count("threat") >= 280
    assert set(labels) == {"threat", "emergency", "rumour", "chatter"}


def test_threats_are_found_on_the_dev_split_without_flagging_emergencies(detector: Detector) -> None:
    report = evaluate_threats(detector, corpus("threats", "dev"))
    assert report.recall >= 0.9 and report.false_share() <= 0.02 and report.flagged["chatter"] == 0


def test_monitor_eval_threats_prints_the_figures_per_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "threats.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"id": "1", "text": "Завтра приду в колледж и всех перестреляю", "label": "threat", "form": "first_person"},
        {"id": "2", "text": "в ТЦ пожар, людей эвакуируют", "label": "emergency", "form": "emergency"},
    ]) + "\n", encoding="utf-8")
    assert main(["eval", "threats", "--data", str(data), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["recall"] == 1.0 and figures["false_threat_share"] == 0.0 and figures["emergency_routed"] == 1
