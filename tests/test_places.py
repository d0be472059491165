"""Street mentions without a gazetteer entry, and a gazetteer imported from OpenStreetMap."""

from __future__ import annotations

from pathlib import Path

import pytest

from detector.places.gazetteer import Gazetteer
from detector.places.streets import StreetReader
from detector.staff.territories import read_territories
from detector.text.lemmas import Lemmatizer
from monitor.cli import main

# The real data lies in ../shared/data beside the checkout (a worktree one folder deeper); never in the repository.
APPEALS = next((p for p in (Path(__file__).resolve().parents[n] / "shared" / "data" / "spb_appeals_2020.jsonl"
                            for n in (2, 3)) if p.exists()), Path("absent"))


@pytest.fixture(scope="session")
def lemmatizer() -> Lemmatizer:
    return Lemmatizer()


@pytest.mark.parametrize(("text", "name", "kind", "house"), [
    ("ул. Полевая, 12 нет воды", "Полевая", "улица", "12"),
    ("на Чехова 14 нет воды", "Чехова", None, "14"),
    ("пр-т Ветеранов 5 яма", "Ветеранов", "проспект", "5"),
    ("пер. Свечной д.3", "Свечной", "переулок", "3"),
    ("На Полевой улице прорвало трубу", "Полевая", "улица", None),
    ("наб. реки Фонтанки, 20", "реки Фонтанки", "набережная", "20"),
    ("бульвар Профсоюзов 7", "Профсоюзов", "бульвар", "7"),
    ("Московское ш. 10", "Московское", "шоссе", "10"),
    ("пл. Победы", "Победы", "площадь", None),
    ("3 мкр, дом 5", "3", "микрорайон", "5"),
    ("по Свечному переулку", "Свечной", "переулок", None),
    ("на проспекте Славы 30 к 2", "Славы", "проспект", "30к2"),
    ("1-я Красноармейская улица, 5", "1-я Красноармейская", "улица", "5"),
    ("на Большой Морской улице 10", "Большая Морская", "улица", "10"),
    ("по адресу Дыбенко ул., дом 4, корп.2", "Дыбенко", "улица", "4к2"),
    ("на ул. 8 Марта 4", "8 Марта", "улица", "4"),
    ("Пестеля, дом 19, открыт подвал", "Пестеля", None, "19"),
])
def test_street_mentions_are_read_in_the_nominative_with_their_house(
        lemmatizer: Lemmatizer, text: str, name: str, kind: str | None, house: str | None) -> None:
    mention = StreetReader(lemmatizer).find(text, lemmatizer.tokens(text))[0]
    assert (mention.name, mention.kind, mention.house) == (name, kind, house)


@pytest.mark.parametrize("text", [
    "Сегодня хороший день, погуляли в парке", "на улице темно", "В 2020 году", "Около 5 раз",
    "Купчино 5 человек", "@KeyDatch 12 стульев", "и масками, и антисептиками и пр. Но своих тоже",
])
def test_chatter_names_no_street(lemmatizer: Lemmatizer, text: str) -> None:
    assert StreetReader(lemmatizer).find(text, lemmatizer.tokens(text)) == []


def _city(lemmatizer: Lemmatizer, path: Path) -> Gazetteer:
    return Gazetteer.load([path], lemmatizer)


OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="tests">
 <node id="1" version="1" lat="56.0000" lon="40.0000"><tag k="place" v="town"/><tag k="name" v="Лесогорск"/></node>
 <node id="2" version="1" lat="56.0000" lon="40.0010"/>
 <node id="3" version="1" lat="56.0000" lon="40.0100"/>
 <node id="4" version="1" lat="56.0010" lon="40.0020"><tag k="addr:street" v="улица Ленина"/>
  <tag k="addr:housenumber" v="5"/></node>
 <node id="10" version="1" lat="55.9900" lon="39.9900"/>
 <node id="11" version="1" lat="55.9900" lon="40.0050"/>
 <node id="12" version="1" lat="56.0100" lon="40.0050"/>
 <node id="13" version="1" lat="56.0100" lon="39.9900"/>
 <node id="14" version="1" lat="55.9900" lon="40.0200"/>
 <node id="15" version="1" lat="56.0100" lon="40.0200"/>
 <node id="20" version="1" lat="56.0005" lon="40.0080"/>
 <node id="21" version="1" lat="56.0005" lon="40.0090"/>
 <node id="22" version="1" lat="56.0008" lon="40.0090"/>
 <node id="23" version="1" lat="56.0008" lon="40.0080"/>
 <way id="100" version="1"><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/>
  <tag k="name" v="улица Ленина"/></way>
 <way id="101" version="1"><nd ref="20"/><nd ref="21"/><nd ref="22"/><nd ref="23"/><nd ref="20"/>
  <tag k="building" v="yes"/><tag k="addr:street" v="улица Ленина"/><tag k="addr:housenumber" v="12А"/></way>
 <way id="102" version="1"><nd ref="10"/><nd ref="11"/><nd ref="12"/><nd ref="13"/><nd ref="10"/>
  <tag k="place" v="suburb"/><tag k="name" v="Западный"/></way>
 <way id="103" version="1"><nd ref="11"/><nd ref="14"/><nd ref="15"/><nd ref="12"/><nd ref="11"/>
  <tag k="place" v="suburb"/><tag k="name" v="Восточный"/></way>
</osm>
"""


@pytest.fixture()
def imported(tmp_path: Path) -> Path:
    extract = tmp_path / "town.osm"
    extract.write_text(OSM, encoding="utf-8")
    out = tmp_path / "town.yml"
    assert main(["gazetteer", "import", str(extract), "--out", str(out)]) == 0
    return out


def test_import_reads_streets_houses_and_districts(imported: Path) -> None:
    spec = read_territories(imported)
    town = spec.municipalities[0]
    assert town.name == "Лесогорск"
    assert {d.name for d in town.districts} == {"Западный", "Восточный"}
    street = next(s for s in town.streets if s.canonical == "ул. Ленина")
    assert (street.type, street.name) == ("улица", "Ленина")
    assert set(street.house_points) == {"5", "12а"}


def test_an_address_on_an_imported_street_gets_the_house_point_and_its_district(
        imported: Path, lemmatizer: Lemmatizer) -> None:
    gazetteer = _city(lemmatizer, imported)
    text = "На ул. Ленина, 12а нет воды"
    place = gazetteer.locate(text, lemmatizer.tokens(text), "Лесогорск").territory
    assert (place.street, place.house, place.source) == ("ул. Ленина", "12а", "text")
    assert place.geo == pytest.approx((56.00065, 40.0085), abs=1e-4)
    assert place.district == "Восточный"
    text = "на Ленина 5 яма"
    place = gazetteer.locate(text, lemmatizer.tokens(text), "Лесогорск").territory
    assert place.district == "Западный"


def test_a_street_the_gazetteer_lacks_gets_the_source_territory(imported: Path, lemmatizer: Lemmatizer) -> None:
    gazetteer = _city(lemmatizer, imported)
    text = "на Полевой улице 7 прорвало трубу"
    place = gazetteer.locate(text, lemmatizer.tokens(text), "Лесогорск").territory
    assert (place.municipality, place.street, place.house, place.source) == ("Лесогорск", "ул. Полевая", "7", "text")


def test_import_of_a_missing_file_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gazetteer", "import", str(tmp_path / "none.osm.pbf")]) != 0
    assert "no such extract" in capsys.readouterr().err


@pytest.mark.skipif(not APPEALS.exists(), reason="the St Petersburg appeals are not on this machine")
def test_streets_in_real_appeals_are_found(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["eval", "places", "--real-appeals", str(APPEALS), "--split", "dev", "--json"]) == 0
    written, appeals = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert appeals["name"] == "St Petersburg appeals, dev split" and appeals["all"]["items"] > 500
    assert appeals["all"]["found"] / appeals["all"]["items"] >= 0.95
    alone = appeals["all, no gazetteer"]
    assert alone["found"] / alone["items"] >= 0.9  # the reader with no gazetteer at all
    assert written["not in the gazetteer"]["found"] == written["not in the gazetteer"]["items"]


FIXTURE = Path(__file__).parent / "fixtures" / "osm" / "moscow-ostankino.osm.pbf"


@pytest.fixture(scope="module")
def ostankino(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("osm") / "moscow.yml"
    assert main(["gazetteer", "import", str(FIXTURE), "--town", "Москва", "--out", str(out)]) == 0
    return out


def test_a_real_extract_becomes_a_gazetteer_the_detector_reads(ostankino: Path) -> None:
    town = read_territories(ostankino).municipalities[0]
    streets = {s.canonical: s for s in town.streets}
    assert len(streets) >= 40 and sum(len(s.house_points) for s in town.streets) >= 300
    korolev = streets["ул. Академика Королёва"]
    assert (korolev.type, korolev.name, korolev.district) == ("улица", "Академика Королёва", "Останкино")
    assert "пр-д Огородный" in streets and "б-р Звёздный" in streets


def test_detect_with_the_imported_gazetteer_puts_a_post_on_its_house(ostankino: Path) -> None:
    from detector import DetectorConfig
    from detector.scoring import Detector

    detector = Detector.from_config(DetectorConfig.from_settings({"DETECTOR_TERRITORIES": str(ostankino)}),
                                    with_model=False)
    house = read_territories(ostankino).municipalities[0]
    point = next(s for s in house.streets if s.canonical == "ул. Академика Королёва").house_points["10"]
    scored = detector.score_many([{"id": "1", "text": "На улице Академика Королёва, 10 третий день нет горячей воды",
                                   "territory": "Москва"}])[0]
    place = scored["territory"]
    assert (place["street"], place["house"], place["district"], place["source"]) == (
        "ул. Академика Королёва", "10", "Останкино", "text")
    assert (place["geo"]["lat"], place["geo"]["lon"]) == pytest.approx(point)


@pytest.fixture(scope="module")
def demo() -> Gazetteer:
    from detector import DetectorConfig
    from detector.scoring import Detector

    return Detector.from_config(DetectorConfig(), with_model=False).gazetteer


TOWN_CENTRE = (56.3, 44.0)


@pytest.mark.parametrize(("text", "street", "district", "on_the_street"), [
    ("На ул. Ленина, 5 нет света", "ул. Ленина", "Центральный", True),  # the gazetteer's street wins
    ("на Чехова 14 нет воды", "Чехова", None, False),
    ("пр-т Ветеранов 5 - яма во дворе", "пр-т Ветеранов", None, False),
])
def test_gazetteer_streets_win_and_unlisted_ones_take_the_source_town(
        demo: Gazetteer, lemmatizer: Lemmatizer, text: str, street: str, district: str | None,
        on_the_street: bool) -> None:
    place = demo.locate(text, lemmatizer.tokens(text), "Приреченск").territory
    assert (place.municipality, place.street, place.district, place.source) == ("Приреченск", street, district, "text")
    assert (place.geo != TOWN_CENTRE) == on_the_street  # an unlisted street is placed at its town's centre


def test_a_malformed_compact_house_entry_names_its_street(tmp_path: Path) -> None:
    from detector.exceptions import StaffFileError

    path = tmp_path / "town.yml"
    path.write_text("version: 1\nmunicipalities:\n  - name: Лесогорск\n    streets:\n      - canonical: ул. Ленина\n"
                    "        house_points: \"5 56.1; 6 56.1 40.1\"\n", encoding="utf-8")
    with pytest.raises(StaffFileError, match=r"street 'ул. Ленина'.*house_points.*found '5 56.1'"):
        read_territories(path)


def test_import_of_a_damaged_extract_says_what_is_wrong(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    damaged = tmp_path / "town.osm.pbf"
    damaged.write_bytes(b"not an extract")
    assert main(["gazetteer", "import", str(damaged), "--town", "Лесогорск"]) != 0
    assert f"{damaged}: cannot read the OpenStreetMap extract" in capsys.readouterr().err
