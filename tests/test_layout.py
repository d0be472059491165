"""The architecture's rules, read off the imports of every product module (docs/ARCHITECTURE.md).

The detector and the indexer are libraries: they import nothing of Scrapy, of the crawler or of
the CLI, and the indexer nothing of the detector; parsers make no requests and touch no store; no
product module imports the tests; the packages do not import each other in circles.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("crawler", "detector", "indexer", "monitor", "replay", "watchlists", "web")

NEVER = {
    "detector": ("scrapy", "crawler", "monitor", "tests", "twisted"),
    "indexer": ("scrapy", "crawler", "monitor", "detector", "tests", "twisted"),
    "crawler/parsers": ("scrapy", "indexer.store", "indexer.backends", "indexer.sqlite", "indexer.elastic",
                        "urllib.request", "aiohttp", "requests", "urllib3", "twisted", "tests"),
    "crawler": ("monitor", "tests"),
    "monitor": ("tests",),
    "replay": ("crawler", "detector", "indexer", "monitor", "tests"),
    "web": ("scrapy", "crawler", "monitor", "tests", "twisted"),  # over the store and the detector's jobs
}


def imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth of its code (lazy imports count)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", sorted(NEVER))
def test_a_package_never_imports_what_it_must_not(folder: str) -> None:
    forbidden = NEVER[folder]
    broken = [f"{path.relative_to(ROOT)} imports {name}" for path in modules(folder) for name in sorted(imports(path))
              if any(name == bad or name.startswith(bad + ".") for bad in forbidden)]
    assert not broken, "\n".join(broken)


def test_the_store_interface_imports_no_backend() -> None:
    assert not {name for name in imports(ROOT / "indexer" / "store.py") if name.startswith("indexer.")} - {
        "indexer.schema", "indexer.exceptions", "indexer.erasure"}


def test_the_top_level_packages_do_not_import_each_other_in_circles() -> None:
    edges = {package: {name.split(".")[0] for path in modules(package) for name in imports(path)} & set(PRODUCT) - {
        package} for package in PRODUCT}
    for package, targets in edges.items():
        for target in targets:
            assert package not in edges.get(target, set()), f"{package} and {target} import each other"


def test_importing_the_libraries_loads_no_scrapy_and_no_cli() -> None:
    code = ("import sys, detector, detector.scoring, detector.jobs.detect, indexer, indexer.backends; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('scrapy', 'crawler', 'monitor', 'tests')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("argv", [["--help"], ["search", "вода", "--limit", "1"], ["queue", "routing", "--limit", "1"],
                                  ["sources"]])
def test_reading_commands_start_without_scrapy_scikit_learn_or_the_models(argv: list[str], tmp_path: Path) -> None:
    """`monitor --help` and the commands that only read a store start at once: the heavy parts
    (Scrapy ~0.7 s, scikit-learn ~1 s, the Elasticsearch client ~0.5 s, matplotlib and WeasyPrint
    for the weekly report) are imported by the commands that
    use them (bench/start.py measures the times)."""
    code = ("import sys; from monitor.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'sklearn', 'elasticsearch', 'twisted',"
            " 'natasha', 'navec', 'scipy', 'matplotlib', 'weasyprint', 'jinja2', 'litestar', 'uvicorn'})\n"
            "sys.stderr.write(f'HEAVY={heavy}')\n")
    done = subprocess.run([sys.executable, "-c", code, *argv, *(["--store", f"sqlite:///{tmp_path / 'm.db'}"]
                                                                if argv != ["--help"] else [])],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert "HEAVY=[]" in done.stderr, done.stderr
