"""The files monitoring staff edit: the shipped ones pass `monitor check`; a misspelt key, a wrong
value or a name another file does not know is reported with the file, the entry and the field
(exit 2); the detector itself refuses a broken file at load; and every place that names the
sectors reads their one definition in sectors.yml."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from detector import ConfigError, Detector, DetectorConfig, StaffFileError, run_spikes
from detector.complaints.model import ComplaintModel
from detector.config import model_file
from detector.incidents.routing import Router
from detector.sectors import load_sectors
from indexer import open_store
from indexer.schema import Post, Territory
from indexer.store import IncidentQuery
from monitor.cli import main

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "watchlists"
CODES = ["housing", "waste", "energy", "education", "health", "roads", "transport", "social", "labour", "amenities",
         "other"]


@pytest.fixture
def staff(tmp_path: Path) -> Path:
    """A region's own folder of staff files (DETECTOR_FILES_DIR): a copy of the shipped ones."""
    folder = tmp_path / "region"
    shutil.copytree(SHIPPED, folder, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    return folder


def edit(folder: Path, name: str, old: str, new: str) -> Path:
    """``name`` in ``folder`` with the first ``old`` replaced by ``new``."""
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{name} has no {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def check(capsys: pytest.CaptureFixture[str], folder: Path, *args: str) -> tuple[int, list[str]]:
    """``monitor check`` of ``folder`` (its demo.yml as the watchlist): exit code and printed lines."""
    code = main(["check", "--watchlist", str(folder / "demo.yml"), "-s", f"DETECTOR_FILES_DIR={folder}", *args])
    return code, capsys.readouterr().out.splitlines()


# --- the shipped files -----------------------------------------------------------------------


def test_the_shipped_files_pass_monitor_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "all 6 files valid"
    assert any(line.endswith("sectors.yml: 11 sectors, 774 lexicon phrases, 105 complaint markers") for line in lines)
    assert any(line.endswith("demo.yml: 14 sources") for line in lines)


def test_check_imports_no_scikit_learn_and_loads_no_model() -> None:
    probe = "import sys; from monitor.cli import main; code = main(['check']); print(code, 'sklearn' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.stdout.splitlines()[-1] == "0 False", proc.stderr


# --- one misspelt key per kind of file -------------------------------------------------------


@pytest.mark.parametrize(("name", "old", "new", "where"), [
    ("demo.yml", "    territory: Светлоярск\n", "    territroy: Светлоярск\n",
     "source 'vk_svetloyarsk' (#5): field 'territroy': Extra inputs are not permitted"),
    ("sectors.yml", "    maps_to: [Образование]\n", "    maps_too: [Образование]\n",
     "sector 'education': field 'maps_too': unknown field; expected one of: code, name"),
    ("routing.yml", "  energy:\n    body:", "  energy:\n    bodу:",
     "sector 'energy': field 'bodу': unknown field; expected one of: body, deadline_hours"),
    ("territories/prirechye.yml", '        lemmas: "ленин"\n', '        lemma: "ленин"\n',
     "municipality 'Приреченск' street 'ул. Ленина': field 'lemma': unknown field"),
    ("narratives.yml", "    status: debunked\n    debunk: https://stopfeik", "    statuss: debunked\n    debunk: https://stopfeik",
     "narrative 'chlorine_helicopters': field 'statuss': unknown field"),
    ("fakes.yml", "denial:\n", "denials:\n", "top level: field 'denials': unknown field"),
])
def test_a_misspelt_key_is_named_with_its_file_and_field(capsys: pytest.CaptureFixture[str], staff: Path, name: str,
                                                         old: str, new: str, where: str) -> None:
    path = edit(staff, name, old, new)
    code, lines = check(capsys, staff)
    assert code == 2
    assert any(line.startswith(f"{path}: {where}") for line in lines), lines
    assert lines[-1].endswith("in 1 of 6 files")


@pytest.mark.parametrize(("name", "old", "new", "message"), [
    ("sectors.yml", "      отопление: 1\n", "      отопление: -1\n",
     "sector 'housing': field 'lexicon.отопление': expected a number greater than 0, found -1"),
    ("routing.yml", "    deadline_hours: 48\n    also_notify: [Министерство энергетики",
     "    deadline_hours: двое суток\n    also_notify: [Министерство энергетики",
     "sector 'energy': field 'deadline_hours': expected a number, found 'двое суток'"),
    ("routing.yml", "    months: [10, 11, 12, 1, 2, 3, 4]", "    months: [10, 11, 12, 1, 2, 3, 13]",
     "fast-track entry 'no_heating_winter': field 'months.6': expected a number of at most 12, found 13"),
    ("territories/prirechye.yml", "centre: {lat: 56.3000, lon: 44.0000}", "centre: {lat: 156.3, lon: 44.0}",
     "municipality 'Приреченск': field 'centre.lat': expected a number of at most 90, found 156.3"),
    ("territories/prirechye.yml", "        district: Центральный\n        start: {lat: 56.3060, lon: 43.9820}",
     "        district: Центр\n        start: {lat: 56.3060, lon: 43.9820}",
     "municipality 'Приреченск' street 'ул. Ленина': field 'district': expected a district of Приреченск"),
    ("narratives.yml", "    status: debunked\n", "    status: опровергнуто\n",
     "narrative 'chlorine_fake': field 'status': expected 'debunked' or 'unverified', found 'опровергнуто'"),
    ("fakes.yml", "  forwarding:\n", "  forwardng:\n",
     "top level: field 'rumour': expected 'forwarding', 'urgency', 'anonymous_authority', 'cover_up' or 'panic', "
     "found 'forwardng'"),
    ("sectors.yml", "      отопление: 1\n", "      отоплением: 1\n",
     "sector 'housing': field 'lexicon': expected pymorphy3 normal forms, found 'отоплением' in 'отоплением' "
     "(pymorphy3 reads it as 'отопление')"),
    ("narratives.yml", "    sector: housing\n", "    sector: housing\n    sector: health\n",
     "line 37: not valid YAML: expected each key once in a mapping, found 'sector' again (first on line 36)"),
    ("sectors.yml", "      отопление: 1\n", "      отопление: 1\n      мусор: 1\n",
     "sector 'waste': field 'lexicon': expected a phrase in one sector only, found 'мусор' also in sector 'housing'"),
])
def test_a_wrong_value_says_what_was_expected_and_found(capsys: pytest.CaptureFixture[str], staff: Path, name: str,
                                                        old: str, new: str, message: str) -> None:
    path = edit(staff, name, old, new)
    code, lines = check(capsys, staff)
    assert code == 2
    assert any(line.startswith(f"{path}: {message}") for line in lines), lines


# --- names one file takes from another -------------------------------------------------------


@pytest.mark.parametrize(("name", "old", "new", "message"), [
    ("routing.yml", "  labour:\n", "  labor:\n",
     "sector 'labor': field 'sectors': expected a sector code of {sectors} (housing, waste, energy"),
    ("routing.yml", "    sectors: [energy, housing]", "    sectors: [power, housing]",
     "fast-track entry 'no_power': field 'sectors': expected a sector code of {sectors} (housing, waste"),
    ("routing.yml", "          Заречный:\n            also_notify", "          Заречье:\n            also_notify",
     "sector 'health' municipality 'Приреченск': field 'districts': expected a district of "
     "Приреченск in the territories (Центральный, Заречный, Северный, Промышленный), found 'Заречье'"),
    ("routing.yml", "    municipalities:\n      Приреченск:\n        body: МКУ", "    municipalities:\n      Приречье:\n        body: МКУ",
     "sector 'roads': field 'municipalities': expected a municipality of the territories "
     "(Приреченск, Светлоярск), found 'Приречье'"),
    ("narratives.yml", "    sector: housing\n", "    sector: water\n",
     "narrative 'chlorine_fake': field 'sector': expected a sector code of {sectors}"),
    ("demo.yml", "    territory: Светлоярск\n", "    territory: Светлогорск\n",
     "source 'vk_svetloyarsk' (#5): field 'territory': expected a municipality or district of the territories"),
])
def test_a_name_another_file_does_not_know_is_caught(capsys: pytest.CaptureFixture[str], staff: Path, name: str,
                                                     old: str, new: str, message: str) -> None:
    path = edit(staff, name, old, new)
    code, lines = check(capsys, staff)
    assert code == 2
    expected = f"{path}: {message.format(sectors=staff / 'sectors.yml')}"
    assert any(line.startswith(expected) for line in lines), lines


def test_a_sector_routing_leaves_out_is_a_warning_not_a_failure(capsys: pytest.CaptureFixture[str],
                                                                  staff: Path) -> None:
    edit(staff, "sectors.yml", "      снести здание: 1\n", "      снести здание: 1\n  - code: vaccination\n"
                                                          "    name: Вакцинация\n    lexicon: {ревакцинация: 2}\n")
    code, lines = check(capsys, staff)
    assert code == 0
    assert f"{staff / 'routing.yml'}: top level: field 'sectors': warning: no entry for sector 'vaccination'" \
        in "\n".join(lines)
    assert "all 6 files valid, 1 warning(s)" in lines


def test_a_missing_configured_file_is_named_with_its_setting(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["check", "-s", f"DETECTOR_ROUTING={tmp_path / 'routing.yml'}"])
    assert code == 2
    assert f"{tmp_path / 'routing.yml'}: DETECTOR_ROUTING: no such file or directory" in capsys.readouterr().out


# --- the detector refuses a broken file at load ----------------------------------------------


@pytest.mark.parametrize(("name", "old", "new", "problem"), [
    ("sectors.yml", "    maps_to: [Образование]\n", "    maps_too: [Образование]\n", "sector 'education': field 'maps_too'"),
    ("routing.yml", "    deadline_hours: 48\n    also_notify: [Министерство энергетики",
     "    deadline_hours: 0\n    also_notify: [Министерство энергетики", "sector 'energy': field 'deadline_hours'"),
    ("territories/prirechye.yml", '        lemmas: "ленин"\n', '        lemma: "ленин"\n',
     "municipality 'Приреченск' street 'ул. Ленина': field 'lemma'"),
    ("narratives.yml", "    status: debunked\n", "    status: debunkd\n", "narrative 'chlorine_fake': field 'status'"),
    ("fakes.yml", "  forwarding:\n", "  forwardng:\n", "top level: field 'rumour'"),
])
def test_the_detector_refuses_a_broken_file_at_load(staff: Path, name: str, old: str, new: str, problem: str) -> None:
    path = edit(staff, name, old, new)
    config = DetectorConfig.from_settings({"DETECTOR_FILES_DIR": str(staff)})
    with pytest.raises(ConfigError) as caught:
        Detector.from_config(config, with_model=False)
    assert isinstance(caught.value, StaffFileError)
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)
    assert str(caught.value).startswith(f"{path}: {problem}")


def test_a_routing_table_given_as_a_mapping_is_validated_too() -> None:
    with pytest.raises(StaffFileError, match="fast-track entry 'gas': field 'deadline_hours': required, but missing"):
        Router({"defaults": {"body": "ЦУР", "deadline_hours": 72}, "fast_track": [{"id": "gas", "phrases": ["газ"]}]})


# --- one definition of the sectors -----------------------------------------------------------


def test_the_sectors_are_defined_once_in_sectors_yml() -> None:
    sectors = load_sectors()
    assert [s.code for s in sectors] == CODES
    assert {s.code: s.name for s in sectors}["energy"] == "Электроэнергия и газ"
    assert load_sectors(SHIPPED / "sectors.yml") == sectors


def test_the_complaints_model_knows_exactly_the_defined_sectors() -> None:
    model = ComplaintModel.load(model_file("complaints.npz"))
    codes = [s.code for s in load_sectors()]
    assert sorted(model.sector.classes) == sorted(codes)
    assert [name for name in model.signal_names if name.startswith("lexicon:")] == [f"lexicon:{c}" for c in codes]


def test_the_taxonomy_groups_and_topics_exist_and_each_group_has_one_sector() -> None:
    taxonomy = next((p / "shared" / "data" / "cur_taxonomy" for p in ROOT.parents
                     if (p / "shared" / "data" / "cur_taxonomy").is_dir()), None)
    if taxonomy is None:
        pytest.skip("the ЦУР taxonomy (../shared/data/cur_taxonomy/) is not on this machine")
    topic_group = json.loads((taxonomy / "topic2group.json").read_text(encoding="utf-8"))
    groups = [group for sector in load_sectors() for group in sector.groups]
    assert sorted(groups) == sorted(set(topic_group.values()))  # every group, each in one sector
    assert {topic for sector in load_sectors() for topic in sector.topics} <= topic_group.keys()


def test_check_lists_the_sectors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--sectors"]) == 0
    lines = capsys.readouterr().out.splitlines()
    listed = lines[lines.index("11 sectors:") + 1:]
    assert [line.split()[0] for line in listed] == CODES
    assert "Электроэнергия и газ" in listed[2] and "Электроснабжение, Газ и топливо" in listed[2]


def test_an_unknown_sector_is_a_usage_error_listing_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["queue", "routing", "--sector", "жкх", "--store", "sqlite:///nowhere/never.db"]) == 2
    error = capsys.readouterr().err
    assert "--sector 'жкх': expected a sector code of" in error and ", ".join(CODES) in error


def test_a_crisis_is_titled_with_the_name_sectors_yml_gives(tmp_path: Path, staff: Path) -> None:
    edit(staff, "sectors.yml", "    name: ЖКХ\n", "    name: Жилищно-коммунальное хозяйство\n")
    now = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
    posts = [_complaint(n, now - timedelta(days=20) + timedelta(hours=11 * n), "Батарея еле тёплая")
             for n in range(40)]
    posts += [_complaint(100 + n, now - timedelta(minutes=50 - 5 * n), "На Речной нет воды") for n in range(8)]
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        store.upsert(posts)
        run_spikes(store, DetectorConfig.from_settings({"DETECTOR_FILES_DIR": str(staff)}),
                   now - timedelta(hours=6), until=now)
        crises = store.find_incidents(IncidentQuery(queue="routing"))
    finally:
        store.close()
    assert [c.title.split(" — ")[0] for c in crises] == ["Всплеск: Жилищно-коммунальное хозяйство, Заречный"]


def _complaint(number: int, when: datetime, text: str) -> Post:
    return Post(id=f"vk:-1:{number}", platform="vk", source_id="vk_podslushano", kind="post", text=text,
                created_at=when, complaint=0.9, is_complaint=True, sector="housing",
                territory=Territory("Приреченск", "Заречный", "ул. Речная", None, None, None, "text"))
