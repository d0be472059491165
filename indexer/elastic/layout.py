"""Where things live in Elasticsearch: index names, aliases, templates, retention, and migrations.

Posts and comments go to monthly indices ``<prefix>-posts-v<N>-YYYY.MM`` (month of ``created_at``,
UTC) that the index template puts behind the alias ``<prefix>-posts``; incidents, sources,
crawl state and the erasure log each have one index ``<prefix>-<name>-v<N>`` behind ``<prefix>-<name>``. Readers only
use aliases. A mapping change bumps :data:`MAPPING_VERSION`: :func:`install` then puts the new
templates, copies each old index into its new-version twin (``_reindex``) and flips the aliases in
one atomic call. Old indices leave the alias but are never deleted here.

The template bodies are JSON files in ``templates/``, with ``{prefix}``, ``{version}`` and
``{days}`` placeholders, so they can be read and reviewed without the code.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

logger = logging.getLogger(__name__)

MAPPING_VERSION = 3  # 2: changed_at (new, or its text changed: what detection reads again);
#                      3: origin (a repost's or forward's original, its text searched) and attachment titles
TEMPLATES = files("indexer.elastic") / "templates"  # read in place, also from inside a zipped egg
COMPONENTS = ("analysis", "territory")
SINGLE_INDEX = ("incidents", "sources", "state", "erasures")


@dataclass(frozen=True)
class Layout:
    prefix: str = "monitor"
    version: int = MAPPING_VERSION
    retention_days: int = 180

    def alias(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def index(self, name: str) -> str:
        """The current index of a single-index family (incidents, sources, state)."""
        return f"{self.prefix}-{name}-v{self.version}"

    def posts_index(self, when: datetime) -> str:
        return f"{self.prefix}-posts-v{self.version}-{when:%Y.%m}"

    @property
    def posts(self) -> str:
        return self.alias("posts")

    def render(self, name: str) -> dict[str, Any]:
        """A template file with its placeholders filled and its ``_comment`` dropped."""
        text = (TEMPLATES / f"{name}.json").read_text(encoding="utf-8")
        text = (text.replace("{prefix}", self.prefix).replace("{version}", str(self.version))
                .replace("{days}", str(self.retention_days)))
        body = json.loads(text)
        body.pop("_comment", None)
        if "_meta" in body:  # the client's keyword for the API's "_meta"
            body["meta"] = {**body.pop("_meta"), "version": self.version}
        return body


@dataclass
class InstallReport:
    templates: list[str]
    created: list[str]
    migrated: list[tuple[str, str]]


def install(client: Elasticsearch, layout: Layout) -> InstallReport:
    """Put templates and the retention policy, create the single indices, migrate old versions.

    Safe to run at every deploy: templates and the policy are overwritten with the same bodies,
    existing indices are left alone, and a migration happens once per version bump.
    """
    client.ilm.put_lifecycle(name=layout.alias("posts"), **layout.render("ilm-posts"))
    names = []
    for component in COMPONENTS:
        client.cluster.put_component_template(name=layout.alias(component), **layout.render(component))
        names.append(layout.alias(component))
    for family in ("posts", *SINGLE_INDEX):
        name = f"{layout.alias(family)}-v{layout.version}"
        client.indices.put_index_template(name=name, **layout.render(family))
        names.append(name)
    created = []
    for family in SINGLE_INDEX:
        if not client.indices.exists(index=layout.index(family)):
            client.indices.create(index=layout.index(family))
            created.append(layout.index(family))
        else:  # fields added to a template since the index was made (sources' health) are mapped too
            properties = layout.render(family)["template"]["mappings"]["properties"]
            client.indices.put_mapping(index=layout.index(family), properties=properties)
    return InstallReport(names, created, migrate(client, layout))


def migrate(client: Elasticsearch, layout: Layout) -> list[tuple[str, str]]:
    """Copy every index of an older mapping version behind an alias into its current twin."""
    moves: list[tuple[str, str]] = []
    for family in ("posts", *SINGLE_INDEX):
        alias = layout.alias(family)
        if not client.indices.exists_alias(name=alias):
            continue
        pattern = re.compile(rf"{re.escape(alias)}-v(\d+)(.*)")
        for old in sorted(client.indices.get_alias(name=alias)):
            match = pattern.fullmatch(old)
            if not match or int(match[1]) == layout.version:
                continue
            new = f"{alias}-v{layout.version}{match[2]}"
            logger.info("migrating %s → %s (mapping version %s)", old, new, layout.version)
            client.reindex(source={"index": old}, dest={"index": new}, refresh=True,
                           wait_for_completion=True)
            client.indices.update_aliases(actions=[{"add": {"index": new, "alias": alias}},
                                                   {"remove": {"index": old, "alias": alias}}])
            moves.append((old, new))
    return moves
