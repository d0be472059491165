"""The detector: phrases, addresses, the complaint decision and the `monitor score` contract."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from detector.complaints.model import ComplaintModel
from detector.config import DetectorConfig
from detector.exceptions import IncompatibleModel, MissingFileError
from detector.scoring import Detector
from detector.text.features import N_FEATURES, TextHasher, char_wb_ngrams, feature_hash, text_counts
from detector.text.lemmas import Lemmatizer
from detector.text.phrases import Phrase, PhraseMatcher
from detector.text.vectors import WordVectors
from detector.training.complaints import labelled_examples, with_appeals
from detector.training.crossval import cross_validate
from detector.training.data import read_jsonl, unlabelled

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "detector" / "training" / "corpus" / "complaints"


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.from_config(DetectorConfig())


def test_a_phrase_matches_its_word_forms_with_small_gaps() -> None:
    lemmatizer = Lemmatizer()
    matcher = PhraseMatcher([Phrase(("горячий", "вода"), "housing", 2)], max_gap=2)
    assert matcher.find(lemmatizer.lemmas("Нет горячей воды третий день"))
    assert matcher.find(lemmatizer.lemmas("горячую и холодную воду отключили"))
    assert not matcher.find(lemmatizer.lemmas("горячий чай остыл, пока ждали, а вода так и не пошла"))


@pytest.mark.parametrize("text, street, house, district", [
    ("Третий день нет воды на Речной 14", "ул. Речная", "14", "Заречный"),
    ("Кирова д. 5 к. 2, в подъезде течёт крыша", "ул. Кирова", "5к2", "Центральный"),
    ("дом 12а по Речной без отопления", "ул. Речная", "12а", "Заречный"),
    ("яма на пр-т Победы 14/2 у остановки", "пр-т Победы", "14/2", "Северный"),
    ("Кирова 40 у остановки опять лужа", "ул. Кирова", "40", "Центральный"),
    ("в 3-м микрорайоне Светлоярска нет света", "3-й микрорайон", None, "Светлоярск"),
    ("Светлоярск, 2 мкр, у 14 дома мусор", "2-й микрорайон", "14", "Светлоярск"),
    ("по Северному шоссе фонари не горят", "ш. Северное", None, "Северный"),
])
def test_addresses_are_found_the_ways_people_write_them(detector: Detector, text: str, street: str,
                                                        house: str | None, district: str) -> None:
    place = detector.score({"id": "x", "text": text})["territory"]
    assert (place["street"], place["house"], place["district"], place["source"]) == (street, house, district, "text")


def test_a_street_two_towns_share_goes_to_the_town_named_or_the_sources_own(detector: Detector) -> None:
    def place(text: str, **record: str) -> tuple:
        found = detector.score({"id": "x", "text": text, **record})["territory"]
        return found["street"], found["municipality"]

    assert place("Ленина 5, яма") == ("ул. Ленина", None)  # nothing says which town
    assert place("Ленина 5 в Светлоярске, яма") == ("ул. Ленина", "Светлоярск")
    assert place("Ленина 5, яма", territory="Светлоярск") == ("ул. Ленина", "Светлоярск")


def test_a_house_number_gets_a_point_on_its_street(detector: Detector) -> None:
    near = detector.score({"id": "x", "text": "на Речной 2 прорвало трубу"})["territory"]["geo"]
    far = detector.score({"id": "x", "text": "на Речной 80 прорвало трубу"})["territory"]["geo"]
    assert near and far and near != far


@pytest.mark.parametrize("text", ["С Днём Победы, дорогие ветераны!", "мир во всём мире", "советская власть"])
def test_an_ordinary_word_that_is_also_a_street_name_is_not_an_address(detector: Detector, text: str) -> None:
    assert detector.score({"id": "x", "text": text})["territory"]["street"] is None


def test_with_no_place_in_the_text_the_source_territory_is_used_and_said(detector: Detector) -> None:
    place = detector.score({"id": "x", "text": "опять нет горячей воды", "territory": "Заречный"})["territory"]
    assert (place["municipality"], place["district"], place["source"]) == ("Приреченск", "Заречный",
                                                                           "source_default")
    assert detector.score({"id": "x", "text": "опять нет горячей воды"})["territory"]["source"] is None


def test_a_complaint_gets_its_sector_and_the_phrases_that_drove_it(detector: Detector) -> None:
    out = detector.score({"id": "1", "text": "Третий день нет горячей воды на Речной 14, УК трубку не берёт!",
                          "kind": "comment", "source_kind": "city_group"})
    assert out["is_complaint"] and out["sector"] == "housing"
    assert "горячий вода" in out["explain"]["sector_phrases"]["housing"]
    assert out["explain"]["territory"] and list(out["sector_scores"])[0] == "housing"


@pytest.mark.parametrize("text", ["Спасибо коммунальщикам, воду дали быстро!",
                                  "С 10 по 12 июня плановое отключение горячей воды на ул. Мира.",
                                  "Продам гараж на Заводской, недорого"])
def test_thanks_announcements_and_ads_are_not_complaints(detector: Detector, text: str) -> None:
    out = detector.score({"id": "x", "text": text})
    assert not out["is_complaint"] and out["sector"] is None


def test_the_official_accounts_own_reply_is_not_a_complaint(detector: Detector) -> None:
    reply = {"id": "x", "text": "Здравствуйте! Нет воды на Речной 14 из-за аварии, бригада работает.",
             "source_kind": "municipal", "official": True}
    out = detector.score(reply)
    assert not out["is_complaint"] and out["explain"]["rules"]


def test_monitor_score_writes_one_line_per_input_line_in_order(tmp_path: Path) -> None:
    lines = [json.dumps({"id": "a", "text": "На Гагарина 5 огромная яма на дороге, колесо пробил! Когда заделают?"},
                        ensure_ascii=False),
             "not json", json.dumps({"id": "c", "text": "Спасибо за новую площадку!", "extra": 7})]
    done = subprocess.run([sys.executable, "-m", "monitor", "score"], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o.get("id") for o in out] == ["a", None, "c"]
    assert out[0]["sector"] == "roads" and out[0]["territory"]["street"] == "ул. Гагарина"
    assert "line 2" in out[1]["error"]
    assert out[2]["extra"] == 7 and set(out[2]) >= {"complaint", "is_complaint", "sector", "sector_scores",
                                                     "territory", "explain"}


def test_monitor_score_help_documents_the_contract() -> None:
    done = subprocess.run([sys.executable, "-m", "monitor", "score", "--help"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    for field in ("sector_scores", "is_complaint", "source_default", "explain", "one output line per input line",
                  "is_fake_suspect", "fake_evidence", "threat"):
        assert field in done.stdout


def test_training_twice_on_the_same_data_gives_the_same_model(detector: Detector) -> None:
    records = read_jsonl(DATA / "train.jsonl")[:300]
    examples = [detector.labelled_example(unlabelled(r), r["is_complaint"], r["sector"]) for r in records]
    first = ComplaintModel.train(examples, detector.signal_names)
    second = ComplaintModel.train(examples, detector.signal_names)
    probe = examples[:50]
    assert (first.predict(probe)[0] == second.predict(probe)[0]).all()


@pytest.mark.parametrize("text", ["прорвало трубу на ул. Ленина, 5!!!", "я  а-б", "ё", "   ", "д5 кв.12"])
def test_character_ngrams_are_scikit_learns_char_wb(text: str) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    theirs = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()(text)
    assert sorted(g for word in text.lower().split() for g in char_wb_ngrams(word)) == sorted(theirs)


@pytest.mark.parametrize("token", ["вода", "горячий вода", " ям", "_place_", "ё", "a b c", "🔥"])
def test_feature_hashing_is_scikit_learns_murmurhash(token: str) -> None:
    from sklearn.utils import murmurhash3_32

    assert feature_hash(token) == murmurhash3_32(token, positive=True) % N_FEATURES


def test_the_models_score_the_same_from_the_counts_the_detector_shares(detector: Detector) -> None:
    records = read_jsonl(DATA / "dev.jsonl")[:40]
    examples = [detector.prepare(unlabelled(r)).example for r in records]
    hasher = TextHasher(vectors=detector.word_vectors())
    text_counts(examples, hasher)  # the per-word cache filled by an earlier batch
    shared = text_counts(examples, hasher)
    assert detector.model is not None
    alone, _ = detector.model.predict(examples)
    assert (detector.model.predict(examples, shared)[0] == alone).all()


def test_cross_validation_scores_every_item_once_with_a_model_that_did_not_see_it(detector: Detector,
                                                                                 tmp_path: Path) -> None:
    records = read_jsonl(DATA / "train.jsonl")[:200]
    data = tmp_path / "some.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    plain = Detector(detector.lexicon, detector.gazetteer, None, detector.lemmatizer)
    [report] = cross_validate(plain, [data], folds=2)
    assert report.items == len(records)
    assert report.complaint is not None and report.complaint[2] > 0.5
    assert plain.model is None  # the folds' models are gone


def test_gold_labels_never_reach_the_scorer() -> None:
    record = {"id": "x", "text": "t", "is_complaint": True, "sector": "roads", "territory": {"street": "s"},
              "negative": None}
    assert unlabelled(record) == {"id": "x", "text": "t"}


POTHOLE = "vk:-210001:25101"  # "на Победы возле остановки «Юбилейная» яма ..."


def _pothole(result: Any) -> Any:
    store = result.store()
    try:
        return store.get(POTHOLE)
    finally:
        store.close()


def test_the_crawl_stores_and_detect_scores_and_fills_the_routing_queue(crawl) -> None:
    result = crawl("vk_podslushano")
    assert result.returncode == 0, result.output
    assert _pothole(result).is_complaint is None  # the crawl only stores: scoring is monitor detect's
    assert not any(k.startswith("detector/") for k in result.stats)
    url = f"sqlite:///{result.store_path}"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    detected = subprocess.run([sys.executable, "-m", "monitor", "detect", "--store", url], capture_output=True,
                              text=True, cwd=ROOT, timeout=120, env=env)
    assert detected.returncode == 0 and "incidents:" in detected.stdout, detected.stderr
    pothole = _pothole(result)
    assert pothole.is_complaint and pothole.sector == "roads"
    assert pothole.territory is not None and pothole.territory.street == "пр-т Победы"
    listed = subprocess.run([sys.executable, "-m", "monitor", "queue", "routing", "--store", url, "--json",
                             "--limit", "1000"], capture_output=True, text=True, cwd=ROOT, timeout=60, env=env)
    incidents = [json.loads(line) for line in listed.stdout.splitlines()]
    holding = [i for i in incidents if POTHOLE in i["post_ids"]]
    assert len(holding) == 1 and holding[0]["sector"] == "roads" and "дорожного" in holding[0]["body"]
    assert holding[0]["deadline"] and holding[0]["posts_count"] >= 2  # the comments about the same pothole
    roads_only = subprocess.run([sys.executable, "-m", "monitor", "queue", "routing", "--store", url, "--json",
                                 "--sector", "roads"], capture_output=True, text=True, cwd=ROOT, timeout=60, env=env)
    assert {json.loads(line)["sector"] for line in roads_only.stdout.splitlines()} == {"roads"}
    closed = subprocess.run([sys.executable, "-m", "monitor", "incident", holding[0]["id"], "--status", "closed",
                             "--store", url], capture_output=True, text=True, cwd=ROOT, timeout=60, env=env)
    assert closed.returncode == 0, closed.stderr
    listed = subprocess.run([sys.executable, "-m", "monitor", "queue", "routing", "--store", url, "--json",
                             "--limit", "1000"], capture_output=True, text=True, cwd=ROOT, timeout=60, env=env)
    assert holding[0]["id"] not in listed.stdout  # a closed incident leaves the queue


def test_the_crawl_scores_items_when_its_detector_stage_is_on(crawl) -> None:
    result = crawl("vk_podslushano", DETECTOR_ENABLED=True)  # in a worker process, the default
    assert result.returncode == 0 and "Traceback" not in result.output, result.output
    pothole = _pothole(result)
    assert pothole.is_complaint and pothole.sector == "roads"
    assert pothole.territory is not None and pothole.territory.street == "пр-т Победы"
    assert result.stat("detector/complaints/roads") > 0


def test_the_crawl_can_score_in_a_thread_of_its_own(crawl) -> None:
    result = crawl("vk_governor", DETECTOR_ENABLED=True, DETECTOR_PROCESS=False)
    assert result.returncode == 0 and "Traceback" not in result.output, result.output
    scored = sum(v for k, v in result.stats.items() if k.startswith("detector/complaints/"))
    assert scored > 10 and not result.stat("detector/failed")


def test_the_model_reads_problems_not_the_streets_they_are_on(detector: Detector) -> None:
    prepared = detector.prepare({"id": "1", "text": "На ул. Чкалова 5 нет воды, в Заречном районе тоже"})
    assert "чкалов" not in prepared.example.text and "чкалов" not in prepared.example.lemmas
    assert "заречн" not in prepared.example.text and "нет воды" in prepared.example.text
    assert prepared.found.territory.street == "ул. Чкалова"  # the address is still read


def test_word_vectors_put_texts_about_the_same_problem_near_each_other() -> None:
    vectors = WordVectors.load()
    ice, slippery, lift, nothing = vectors.means(["гололёд на тротуаре", "скользко, дорожки не посыпали песком",
                                                  "сломался лифт", "123 !!!"])  # no word in common
    assert ice @ slippery > ice @ lift + 0.05
    assert not nothing.any()  # no known word: no direction
    assert (vectors.means(["гололёд на тротуаре"])[0] == ice).all()  # the batch changes nothing


def test_a_text_gets_one_sector_whether_it_comes_as_a_post_or_a_portal_appeal(detector: Detector) -> None:
    # a post carries no hint of where it was written: both read it one way
    for text, sector in [("На детской площадке сломаны качели", "amenities"), ("Урна у подъезда сломана", "waste")]:
        assert detector.score({"id": "1", "text": text})["sector"] == sector
        assert detector.score({"id": "2", "text": text, "platform": "portal"})["sector"] == sector


def test_snow_left_on_a_street_is_winter_cleaning_and_a_sign_it_hides_is_the_road(detector: Detector) -> None:
    # amenities as the city portal and most of the centres' snow topics file it; a road sign is the road's
    assert detector.score({"id": "1", "text": "Дорогу не чистят от снега, колея, машины буксуют"})["sector"] == "amenities"
    assert detector.score({"id": "2", "text": "Знак пешеходного перехода залеплен снегом, водители его не видят"}
                          )["sector"] == "roads"


def test_a_yards_potholes_are_amenities_and_the_carriageways_roads(detector: Detector) -> None:
    assert detector.score({"id": "1", "text": "Во дворе дома ямы на проезде, асфальт разбит"})["sector"] == "amenities"
    assert detector.score({"id": "2", "text": "На проспекте ямы на проезжей части, колёса пробивают"})["sector"] == "roads"


def test_portal_appeals_among_our_labelled_files_teach_the_sector_model_only(detector: Detector) -> None:
    records = read_jsonl(DATA / "train.jsonl")[:5] + read_jsonl(DATA / "raw" / "part_g.jsonl")[:3]
    examples = labelled_examples(detector, records)
    complaints, sectors_only = with_appeals(examples, [], seed=13)
    assert complaints == examples[:5]
    assert sectors_only == examples[5:] and {e.domain for e in sectors_only} == {"portal"}


def test_a_model_is_never_read_with_other_word_vectors_than_it_learnt(tmp_path: Path) -> None:
    model = shipped_model_copy(tmp_path, meta={"vectors": "other.tar:250000x300:0123456789ab"})
    with pytest.raises(IncompatibleModel, match="monitor train"):
        Detector.from_config(DetectorConfig(model=str(model)))


@pytest.mark.parametrize(("card", "why"), [
    ({"format": 5}, "format 5"),
    ({"versions": {"scikit-learn": "0.24.2"}}, "scikit-learn 0.24.2, incompatible"),
    ({"hash_probes": {"вода": 1}}, "feature hashing differs"),
])
def test_a_model_built_for_something_else_is_refused_with_the_command_that_rebuilds_it(
        tmp_path: Path, card: dict[str, Any], why: str) -> None:
    model = shipped_model_copy(tmp_path, **card)
    with pytest.raises(IncompatibleModel, match=why) as refused:
        ComplaintModel.load(model)
    assert "make model" in str(refused.value)


def test_a_configured_model_that_does_not_exist_is_an_error_not_the_lexicon(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="DETECTOR_MODEL=.*nowhere.npz"):
        Detector.from_config(DetectorConfig(model=str(tmp_path / "nowhere.npz")))


def test_the_shipped_model_was_built_from_the_corpus_as_it_is() -> None:
    card = json.loads((ROOT / "detector" / "models" / "complaints.card.json").read_text(encoding="utf-8"))
    for data in card["data"]:
        assert hashlib.sha256((ROOT / data["path"]).read_bytes()).hexdigest() == data["sha256"], (
            f"{data['path']} changed since the model was built: run `make model`")
    assert card["figures"][0]["complaint"][2] > 0.9  # the card carries the figures it was built with


def shipped_model_copy(tmp_path: Path, meta: dict[str, Any] | None = None, **card_fields: Any) -> Path:
    """The shipped complaints model copied to ``tmp_path``, its card changed."""
    import shutil

    for name in ("complaints.npz", "complaints.card.json"):
        shutil.copy(ROOT / "detector" / "models" / name, tmp_path / name)
    card_path = tmp_path / "complaints.card.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card.update(card_fields)
    card["meta"].update(meta or {})
    card_path.write_text(json.dumps(card), encoding="utf-8")
    return tmp_path / "complaints.npz"


def test_the_place_marker_is_not_a_word_to_the_vectors() -> None:
    vectors = WordVectors.load()
    plain, placed = vectors.means(["яма на дороге", "_place_ яма на дороге _place_"])
    assert plain @ placed == pytest.approx(1.0)
