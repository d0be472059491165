"""Watchlists: the YAML files in ``watchlists/`` that name the public sources to crawl.

One validated loader for every consumer (spiders, the CLI, the scheduler). A bad file stops with a
message naming the file, the source and the field; the CLI turns it into exit code 2.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urljoin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crawler.exceptions import WatchlistError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Platform = Literal["vk", "telegram", "rss", "html", "rendered", "ok"]
SourceKind = Literal["city_group", "governor", "government", "municipal", "media", "other"]
Priority = Literal["high", "normal", "low"]


class ItemSelectors(BaseModel):
    """CSS/XPath selectors (parsel syntax) that describe one listing of items on a web page."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str
    text: str
    link: str | None = None
    title: str | None = None
    date: str | None = None
    date_format: str | None = None
    timezone: str = "Europe/Moscow"  # of dates the page writes without an offset
    author: str | None = None
    comments_count: str | None = None  # lets a crawl skip items whose replies did not change
    id: str | None = None
    next_page: str | None = None
    wait_for: str | None = None


class PageSelectors(ItemSelectors):
    """The listing, plus (optionally) the selectors of the replies on each item's own page."""

    comments: ItemSelectors | None = None


class Source(BaseModel):
    """One public page to crawl."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    platform: Platform
    address: str = Field(min_length=1)
    name: str = Field(min_length=1)
    kind: SourceKind
    territory: str | None = None
    language: str = "ru"
    priority: Priority = "normal"
    comments: bool = True
    enabled: bool = True
    selectors: PageSelectors | None = None
    allowed_hosts: list[str] = []  # hosts besides its own its requests may reach (crawler/scope)

    @field_validator("address")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        for host in value:
            if not host or any(c in host for c in "/:@ "):
                raise ValueError(f"expected host names such as news.example.ru, got {host!r}")
        return [host.lower().rstrip(".") for host in value]

    @model_validator(mode="after")
    def _selectors_fit_platform(self) -> Source:
        needs = self.platform in ("html", "rendered")
        if needs and self.selectors is None:
            raise ValueError(f"platform {self.platform} needs 'selectors' (item, text, ...)")
        if not needs and self.selectors is not None:
            raise ValueError(f"platform {self.platform} takes no 'selectors'")
        return self

    def url(self, base_url: str | None) -> str:
        """The absolute address of a web source, resolved against the watchlist's base URL."""
        return urljoin(base_url.rstrip("/") + "/", self.address.lstrip("/")) if base_url else self.address


class OfficialAccount(BaseModel):
    """An account whose comments and posts are a body's official answers, wherever it writes:
    ``platform:id`` as the platform shows the author (``vk:-210004``, a community; ``vk:5521``, a
    representative), and the body it speaks for. Written as the bare ``platform:id`` too."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    account: str = Field(pattern=r"^(?:vk|telegram|ok|rss|html|rendered):\S+$")
    body: str | None = None
    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, value: Any) -> Any:
        return {"account": value} if isinstance(value, str) else value


OFFICIAL_KINDS = ("governor", "government", "municipal")


class Watchlist(BaseModel):
    """A file of sources; ``base_url`` lets one file address a site by relative paths;
    ``official_accounts``: the accounts whose words are answers (:class:`OfficialAccount`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: str | None = None
    base_url: str | None = None
    sources: list[Source]
    official_accounts: list[OfficialAccount] = []

    def answering_accounts(self) -> dict[str, str | None]:
        """``platform:id`` → the body it answers for: the named accounts, and the official pages
        watched by a numeric VK id (the community's own account answers in other pages' threads)."""
        found: dict[str, str | None] = {f"vk:{s.address}": s.name for s in self.sources
                                        if s.platform == "vk" and s.kind in OFFICIAL_KINDS
                                        and s.address.lstrip("-").isdigit()}
        found.update({a.account: a.body or a.name for a in self.official_accounts})
        return found

    @model_validator(mode="after")
    def _unique_ids(self) -> Watchlist:
        seen: set[str] = set()
        for source in self.sources:
            if source.id in seen:
                raise ValueError(f"source id {source.id!r} appears twice")
            seen.add(source.id)
        return self

    def select(self, platform: str | None = None, ids: list[str] | None = None) -> list[Source]:
        """Enabled sources of ``platform`` (all platforms if None), narrowed to ``ids`` if given."""
        if ids:
            unknown = sorted(set(ids) - {s.id for s in self.sources})
            if unknown:
                raise WatchlistError(f"unknown source id(s): {', '.join(unknown)}")
        return [s for s in self.sources
                if (ids and s.id in ids or not ids and s.enabled)
                and (platform is None or s.platform == platform)]


def load_watchlist(path: str | Path | Traversable | None) -> Watchlist:
    """Read and validate one watchlist file (None or empty: the demo region's, shipped with the
    package), or raise :class:`WatchlistError` saying where."""
    if isinstance(path, str):
        path = Path(path) if path else None
    if path is None:
        path = files("watchlists") / "demo.yml"
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except OSError as exc:
        raise WatchlistError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise WatchlistError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise WatchlistError(f"{path}: expected a mapping with 'sources', got {type(data).__name__}")
    try:
        return Watchlist.model_validate(data)
    except ValidationError as exc:
        problems = _problems(data, exc)
        raise WatchlistError("\n".join(f"{path}: {where}: field '{field}': {message}"
                                       for where, field, message in problems), problems) from exc


def _problems(data: dict[str, Any], exc: ValidationError) -> list[tuple[str, str, str]]:
    """(source, field, message) of each error, the source named by its id and position."""
    found = []
    for error in exc.errors():
        loc = list(error["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
            index = loc[1]
            sources = data.get("sources") or []
            source = sources[index] if index < len(sources) else {}
            ident = source.get("id") if isinstance(source, dict) else None
            where = f"source {ident!r} (#{index + 1})" if ident else f"source #{index + 1}"
            loc = loc[2:]
        field = ".".join(str(part) for part in loc) or "-"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message += f"; expected one of: {', '.join(_fields_at(loc[:-1], bool(where)))}"
        found.append((where or "file", field, message))
    return found


def _fields_at(loc: list[Any], in_source: bool) -> list[str]:
    """The fields known where an unknown one was found: a source's, its selectors', the file's."""
    model: type[BaseModel] = Source if in_source else Watchlist
    if loc[:1] == ["selectors"]:
        model = ItemSelectors if loc[1:2] == ["comments"] else PageSelectors
    return list(model.model_fields)
