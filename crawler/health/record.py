"""One source's health: what its last crawl found, and the judgement against its own history.

Pure (no Scrapy, no store): :func:`judge` takes the source's recorded :class:`SourceHealth` and the
:class:`Outcome` of a crawl and returns the new health; the extension in
:mod:`crawler.health.extension` gathers outcomes and stores health, ``monitor sources`` reads it.

A crawl is judged, first match wins:

- **failing**: none of its requests got a 2xx answer: the source answered as gone or refused
  (HTTP 401, 403, 404, 410, 451; a VK error that says the page is blocked, deleted, private or
  unknown: the reasons name them), or timeouts, 5xx after retries, refused connections. A 404 of
  one comment page of a source whose pages answer is an error of the crawl, not of the source;
- **silent**: its pages answered 2xx but held no posts, where each of its last ``silent_after``
  crawls that were ok saw some (a renamed channel's landing page, a markup the parser no longer
  reads), and it stays silent until posts are seen again;
- **degraded**: posts were seen, but a field (date, author, text) that at least ``field_share``
  of the posts of its ok crawls had (over ``baseline_posts`` posts or more) is missing from most
  of this crawl's posts;
- **ok** otherwise. Only ok crawls feed the baselines, so a broken page does not teach them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from indexer.schema import Post

HTTP_SOURCE_ERRORS = frozenset({401, 403, 404, 410, 451})
# VK: 15 access denied, 18 deleted or banned, 19 content unavailable, 30 private, 100 no such
# page (a bad owner id or domain), 113 invalid user id, 203 access to the group denied.
VK_SOURCE_ERRORS = frozenset({15, 18, 19, 30, 100, 113, 203})
TRACKED_FIELDS = ("created_at", "author", "text")
RECENT = 10  # posts seen per ok crawl, kept for the silence test (the newest last)
STATES = ("ok", "failing", "silent", "degraded")


def is_source_error(reason: str) -> bool:
    """An error counted as ``errors/<reason>`` that says the source itself is gone or refused."""
    kind, _, code = reason.rpartition("_")
    if not code.isdigit():
        return False
    return (kind == "http" and int(code) in HTTP_SOURCE_ERRORS) or (kind == "vk_error" and int(code) in VK_SOURCE_ERRORS)


def missing_fields(post: Post) -> list[str]:
    """Which of :data:`TRACKED_FIELDS` ``post`` lacks."""
    has = {"created_at": post.created_at is not None, "author": bool(post.author.id or post.author.name),
           "text": bool(post.text.strip())}
    return [name for name in TRACKED_FIELDS if not has[name]]


@dataclass(frozen=True)
class HealthConfig:
    """The thresholds (settings ``SOURCES_*``)::

        HealthConfig(alert_after=3, silent_after=3, baseline_posts=20, field_share=0.95)
    """

    alert_after: int = 3  # bad crawls in a row before one alert
    silent_after: int = 3  # ok crawls with posts before a crawl without any counts as silence
    baseline_posts: int = 20  # posts a field's baseline needs before its absence counts
    field_share: float = 0.95  # a field "always had": on at least this share of the baseline's posts
    missing_share: float = 0.5  # ... and "suddenly lacking": missing from more than this share now

    def __post_init__(self) -> None:
        counts = {"SOURCES_ALERT_AFTER": self.alert_after, "SOURCES_SILENT_AFTER": self.silent_after,
                  "SOURCES_BASELINE_POSTS": self.baseline_posts}
        for name, value in counts.items():
            if value < 1:
                raise ValueError(f"{name}: expected 1 or more, got {value}")
        if not 0 < self.field_share <= 1:
            raise ValueError(f"SOURCES_FIELD_SHARE: expected a share in (0, 1], got {self.field_share}")


@dataclass
class Outcome:
    """What one crawl of one source got: answers by status class ("2xx": 3), posts seen on its
    listing pages and how many of them lacked each tracked field, items yielded (posts and
    comments) and how many of those the store had not held, errors by kind."""

    at: datetime
    statuses: dict[str, int] = field(default_factory=dict)
    seen: int = 0
    missing: dict[str, int] = field(default_factory=dict)
    items: int = 0
    new_items: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """The worst status class answered ("none": no answer at all)."""
        return max(self.statuses, default="none")

    def source_errors(self) -> dict[str, int]:
        return {reason: n for reason, n in self.errors.items() if is_source_error(reason)}

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "status": self.status, "statuses": dict(self.statuses),
                "seen": self.seen, "missing": dict(self.missing), "items": self.items,
                "new_items": self.new_items, "errors": dict(self.errors)}


@dataclass
class SourceHealth:
    """A source's health as stored: the last judgement and why, the streak of bad crawls, the last
    good one, the last outcome, and the baselines (posts seen per ok crawl; per tracked field,
    posts seen and posts having it over the ok crawls)."""

    source_id: str
    platform: str = ""
    state: str = "ok"
    reasons: list[str] = field(default_factory=list)
    last_crawl_at: str | None = None
    last_good_at: str | None = None
    bad_crawls: int = 0
    crawls: int = 0
    alerted: bool = False  # an alert went out for the current outage
    last: dict[str, Any] = field(default_factory=dict)
    recent_seen: list[int] = field(default_factory=list)
    baseline: dict[str, list[int]] = field(default_factory=dict)

    @property
    def bad(self) -> bool:
        return self.state != "ok"

    def to_dict(self) -> dict[str, Any]:
        return {"source_id": self.source_id, "platform": self.platform, "state": self.state,
                "reasons": list(self.reasons), "last_crawl_at": self.last_crawl_at,
                "last_good_at": self.last_good_at, "bad_crawls": self.bad_crawls, "crawls": self.crawls,
                "alerted": self.alerted, "last": dict(self.last), "recent_seen": list(self.recent_seen),
                "baseline": {k: list(v) for k, v in self.baseline.items()}}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SourceHealth:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in raw.items() if k in known})


def judge(previous: SourceHealth, outcome: Outcome, config: HealthConfig) -> SourceHealth:
    """The health after ``outcome``, from the ``previous`` one (a new source: ``SourceHealth(id)``)."""
    state, reasons = _verdict(previous, outcome, config)
    health = SourceHealth(
        previous.source_id, previous.platform, state, reasons, outcome.at.isoformat(),
        outcome.at.isoformat() if state == "ok" else previous.last_good_at,
        previous.bad_crawls + 1 if state != "ok" else 0, previous.crawls + 1, previous.alerted,
        outcome.to_dict(), list(previous.recent_seen), {k: list(v) for k, v in previous.baseline.items()})
    if state == "ok":
        health.recent_seen = (health.recent_seen + [outcome.seen])[-RECENT:]
        for name in TRACKED_FIELDS:
            seen, had = health.baseline.get(name, [0, 0])
            health.baseline[name] = [seen + outcome.seen, had + outcome.seen - outcome.missing.get(name, 0)]
    return health


def _verdict(previous: SourceHealth, outcome: Outcome, config: HealthConfig) -> tuple[str, list[str]]:
    if not outcome.statuses.get("2xx"):
        gone = outcome.source_errors()
        if gone:
            return "failing", [f"{reason} ×{n}" for reason, n in sorted(gone.items())]
        got = {**{f"answered {k}": n for k, n in outcome.statuses.items()}, **outcome.errors}
        said = ", ".join(f"{what} ×{n}" for what, n in sorted(got.items()))
        return "failing", [f"no request answered 2xx ({said or 'none made'})"]
    if outcome.seen == 0:
        recent = previous.recent_seen[-config.silent_after:]
        if previous.state == "silent" or (len(recent) == config.silent_after and all(recent)):
            return "silent", [f"pages answered 2xx with no posts; the {len(recent)} ok crawls before saw "
                              f"{', '.join(map(str, recent))}"]
        return "ok", []
    lacking = [_lacking(name, n, outcome.seen, previous.baseline.get(name))
               for name, n in sorted(outcome.missing.items()) if _suddenly(n, outcome.seen, previous.baseline.get(name), config)]
    return ("degraded", lacking) if lacking else ("ok", [])


def _suddenly(missing: int, seen: int, baseline: list[int] | None, config: HealthConfig) -> bool:
    """Missing from most posts now, where the baseline's posts nearly all had it."""
    if not baseline or baseline[0] < config.baseline_posts:
        return False
    return baseline[1] >= config.field_share * baseline[0] and missing > config.missing_share * seen


def _lacking(name: str, missing: int, seen: int, baseline: list[int] | None) -> str:
    had = f"{baseline[1]} of {baseline[0]}" if baseline else "?"
    return f"{name} missing in {missing} of {seen} posts (before: in {had})"


def alert_due(previous: SourceHealth, health: SourceHealth, config: HealthConfig) -> str | None:
    """"down" when this crawl makes the outage ``alert_after`` bad crawls long and none went out
    for it yet; "recovered" when a source alerted about is ok again; else None. Marks ``health``."""
    if health.bad and health.bad_crawls >= config.alert_after and not previous.alerted:
        health.alerted = True
        return "down"
    if not health.bad and previous.alerted:
        health.alerted = False
        return "recovered"
    return None
