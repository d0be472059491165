"""The README documents every setting, and each package's public surface is what it says."""

from __future__ import annotations

import re
from pathlib import Path

import crawler.settings
import crawler.spiders
import indexer

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_has_a_readme_heading() -> None:
    headings = " ".join(re.findall(r"^### (.+)$", README, flags=re.M))
    names = [n for n in vars(crawler.settings) if n.isupper()]
    missing = [n for n in names if not re.search(rf"\b{n}\b", headings)]
    assert not missing, f"settings without a README entry: {missing}"


def test_public_surfaces() -> None:
    assert set(indexer.__all__) == {"Attachment", "Author", "Incident", "IncidentQuery", "Metrics", "Post",
                                    "Query", "Store", "Territory", "UpsertResult", "make_id", "open_store"}
    assert set(crawler.spiders.SPIDERS) == {"vk", "telegram", "rss", "html", "rendered"}
