"""docs/SETTINGS.md documents every setting, the docs' links lead somewhere, and each package's
public surface is what it says."""

from __future__ import annotations

import re
from pathlib import Path

import crawler.settings
import crawler.spiders
import indexer

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = (ROOT / "docs" / "SETTINGS.md").read_text(encoding="utf-8")
DOCS = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_every_setting_has_a_heading_in_the_settings_reference() -> None:
    headings = " ".join(re.findall(r"^### (.+)$", SETTINGS, flags=re.M))
    names = [n for n in vars(crawler.settings) if n.isupper()]
    missing = [n for n in names if not re.search(rf"\b{n}\b", headings)]
    assert not missing, f"settings without an entry in docs/SETTINGS.md: {missing}"


def test_relative_links_lead_to_files() -> None:
    broken = []
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            if "://" not in target and not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target}")
    assert not broken, f"links to missing files: {broken}"


def test_public_surfaces() -> None:
    assert set(indexer.__all__) == {"Attachment", "Author", "Incident", "IncidentQuery", "Metrics", "Post",
                                    "Query", "Store", "Territory", "UpsertResult", "make_id", "open_store"}
    assert set(crawler.spiders.SPIDERS) == {"vk", "telegram", "rss", "html", "rendered", "ok"}
