"""The one schema for posts and comments, used by the crawler, the stores and the detector.

A ``Post`` is what every spider yields and every store keeps. Its ``id`` is stable across crawls
(``<platform>:<owner>:<post>[:<comment>]``), so re-seeing an item updates it instead of adding
a second copy. Times are timezone-aware UTC. The detector fills the scoring fields
(``complaint``, ``sector``, ``territory``, ...) and groups posts into an ``Incident``: what the
routing and fact-check queues hold.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal, Sequence

PLATFORMS = ("vk", "telegram", "rss", "html", "rendered", "ok")
KINDS = ("post", "comment")

Platform = Literal["vk", "telegram", "rss", "html", "rendered", "ok"]
Kind = Literal["post", "comment"]


def make_id(platform: str, owner: str | int, post: str | int, comment: str | int | None = None) -> str:
    """Build the stable id ``<platform>:<owner>:<post>[:<comment>]``."""
    parts = [platform, str(owner), str(post)]
    if comment is not None:
        parts.append(str(comment))
    return ":".join(parts)


@dataclass(slots=True)
class Author:
    """The author as the platform shows it publicly; ``official`` marks the page's own account."""

    id: str | None = None
    name: str | None = None
    official: bool = False


@dataclass(slots=True)
class Metrics:
    """Counters that change between crawls; ``None`` where the platform does not show one."""

    likes: int | None = None
    reposts: int | None = None
    views: int | None = None
    comments: int | None = None


@dataclass(slots=True)
class Attachment:
    """A photo, video, link or file as the platform shows it: the largest picture's URL for a
    photo, the thumbnail for a video, the page's URL and title for a link preview."""

    type: str
    url: str | None = None
    title: str | None = None


@dataclass(slots=True)
class Origin:
    """The original of a repost (VK ``copy_history``) or a forward (Telegram "Forwarded from").

    ``id`` is the original's own stable id where the platform shows it (``vk:-29246653:93530``),
    so a repost and its original can be told to be one story. ``text`` is the original's text
    when the platform shows it apart from the post's own (VK); a Telegram forward shows the
    original's text as the message's own, so there it stays empty.
    """

    id: str | None = None
    author: Author = field(default_factory=Author)
    created_at: datetime | None = None
    url: str | None = None
    text: str = ""
    attachments: list[Attachment] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "author": _author(self.author), "created_at": _iso(self.created_at), "url": self.url,
                "text": self.text, "attachments": [_attachment(a) for a in self.attachments]}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Origin | None:
        if not data:
            return None
        created = data.get("created_at")
        return cls(data.get("id"), Author(**(data.get("author") or {})),
                   datetime.fromisoformat(created) if isinstance(created, str) else created, data.get("url"),
                   data.get("text") or "", [Attachment(**a) for a in data.get("attachments") or []])


@dataclass(slots=True)
class Territory:
    """Where something is, as far as it is known; ``source`` says how: ``text`` (named in the
    text), ``source_default`` (the watchlist's territory of the page) or None (unknown)."""

    municipality: str | None = None
    district: str | None = None
    street: str | None = None
    house: str | None = None
    address: str | None = None  # normalised: "Приреченск, ул. Ленина, 5"
    geo: tuple[float, float] | None = None  # lat, lon
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"municipality": self.municipality, "district": self.district, "street": self.street,
                "house": self.house, "address": self.address,
                "geo": {"lat": self.geo[0], "lon": self.geo[1]} if self.geo else None, "source": self.source}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Territory | None:
        if not data:
            return None
        geo = data.get("geo")
        return cls(data.get("municipality"), data.get("district"), data.get("street"), data.get("house"),
                   data.get("address"), (float(geo["lat"]), float(geo["lon"])) if geo else None,
                   data.get("source"))


@dataclass(slots=True)
class Post:
    """A post or a comment from any platform."""

    id: str
    platform: str
    source_id: str
    kind: str
    text: str
    created_at: datetime | None
    url: str | None = None
    title: str | None = None
    author: Author = field(default_factory=Author)
    parent_id: str | None = None
    thread_root: str | None = None
    edited_at: datetime | None = None
    metrics: Metrics = field(default_factory=Metrics)
    attachments: list[Attachment] = field(default_factory=list)
    origin: Origin | None = None  # what a repost or forward shows of its original; None for an own post
    crawled_at: datetime | None = None
    language: str | None = None
    source_kind: str | None = None  # the watchlist kind of its page: city_group, governor, ...
    # Filled by the detector:
    complaint: float | None = None
    is_complaint: bool | None = None
    sector: str | None = None
    territory: Territory | None = None
    incident_id: str | None = None
    cluster_id: str | None = None  # near-identical posts across sources share one
    fake: float | None = None
    is_fake_suspect: bool | None = None
    threat: bool | None = None
    fake_evidence: dict[str, Any] | None = None
    bands: list[str] | None = None  # its text's LSH band keys: how a later run finds its copies

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: times as ISO 8601 strings.

        Written out rather than ``dataclasses.asdict``, which deep-copies every value and cost a
        third of the crawl's pipeline time in bench/crawl.py.
        """
        author, metrics = self.author, self.metrics
        return {
            "id": self.id, "platform": self.platform, "source_id": self.source_id, "kind": self.kind,
            "text": self.text, "created_at": _iso(self.created_at), "url": self.url, "title": self.title,
            "author": _author(author),
            "parent_id": self.parent_id, "thread_root": self.thread_root,
            "edited_at": _iso(self.edited_at),
            "metrics": {"likes": metrics.likes, "reposts": metrics.reposts, "views": metrics.views,
                        "comments": metrics.comments},
            "attachments": [_attachment(a) for a in self.attachments],
            "origin": self.origin.to_dict() if self.origin else None,
            "crawled_at": _iso(self.crawled_at), "language": self.language,
            "source_kind": self.source_kind, "complaint": self.complaint, "is_complaint": self.is_complaint,
            "sector": self.sector, "territory": self.territory.to_dict() if self.territory else None,
            "incident_id": self.incident_id, "cluster_id": self.cluster_id, "fake": self.fake,
            "is_fake_suspect": self.is_fake_suspect, "threat": self.threat, "fake_evidence": self.fake_evidence,
            "bands": self.bands,
        }

    @property
    def shared_text(self) -> str:
        """Its own text and what it shares, its original's (a repost's, a forward's), a paragraph
        each: what the detector reads, so a repost of a complaint is scored as that complaint."""
        origin = self.origin.text if self.origin is not None else ""
        if not origin or origin == self.text:
            return self.text
        return f"{self.text}\n\n{origin}" if self.text else origin

    @property
    def full_text(self) -> str:
        """Its title and :attr:`shared_text`: what search indexes, so the original's words find a repost."""
        return f"{self.title}\n\n{self.shared_text}" if self.title else self.shared_text

    def findings(self, fields: Sequence[str] = ()) -> dict[str, Any]:
        """The detector's fields (``fields``, by default all of :data:`DETECTOR_FIELDS`) as the
        JSON a partial update writes."""
        return {name: (self.territory.to_dict() if self.territory else None) if name == "territory"
                else getattr(self, name) for name in fields or DETECTOR_FIELDS}

    def to_document(self) -> Any:
        """What ``orjson.dumps`` turns into the JSON of :meth:`to_dict`, built as cheaply as it can be.

        orjson writes the dataclasses and aware times itself exactly as ``to_dict`` spells them, ~4x
        faster than building the dict; only a territory's geo point (a tuple here, an object in
        the document) needs the dict.
        """
        return self if self.territory is None else self.to_dict()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Post:
        """The inverse of :meth:`to_dict`; unknown keys are ignored so old spools still load."""
        values = {k: v for k, v in data.items() if k in _field_names(cls)}
        for key in ("created_at", "edited_at", "crawled_at"):
            if isinstance(values.get(key), str):
                values[key] = datetime.fromisoformat(values[key])
        values["author"] = Author(**(values.get("author") or {}))
        values["metrics"] = Metrics(**(values.get("metrics") or {}))
        values["attachments"] = [Attachment(**a) for a in values.get("attachments") or []]
        values["origin"] = Origin.from_dict(values.get("origin"))
        values["territory"] = Territory.from_dict(values.get("territory"))
        return cls(**values)


# Who writes what. The crawl writes a post's own fields (text, metrics, edits: every field not
# listed here); the detector writes these, by partial updates (``Store.update_findings``), so a
# re-crawl never clears a detection and a detection never undoes a re-crawl.
DETECTOR_FIELDS = ("complaint", "is_complaint", "sector", "territory", "incident_id", "cluster_id", "fake",
                   "is_fake_suspect", "threat", "fake_evidence", "bands")


INCIDENT_STATUSES = ("new", "assigned", "answered", "closed")
# What staff write on an incident (``Store.update_incident``, versioned, every change in
# ``history``); the detector writes the rest (``Store.upsert_incidents``) and never these.
STAFF_FIELDS = ("status", "status_at", "assignee", "answer", "notes", "verdict", "review", "reviews", "closed_at",
                "history", "merged_into", "split_from", "added_posts", "excluded_posts")
# Staff move posts between incidents (a merge, a split) in their own fields, ``added_posts`` and
# ``excluded_posts``, which the detector never writes: an incident read from a store has them
# applied over the detector's ``post_ids`` (:meth:`Incident.from_dict`), so a detect run that read
# the incident before the move and wrote it after cannot undo it. A staff write stores the moved
# ``post_ids`` too (``STAFF_WRITES``), so the stored list is right as soon as the move is made.
STAFF_WRITES = (*STAFF_FIELDS, "post_ids", "posts_count")


@dataclass(slots=True)
class Incident:
    """A problem taken into work: one or more posts about the same thing, for one body to act on.

    ``queue`` is ``routing`` (to the responsible body, with a deadline) or ``factcheck``. The
    detector opens and grows incidents (its fields); staff move them on (:data:`STAFF_FIELDS`).
    ``version`` is the store's token of the stored state a staff change was made on: a change made
    on an older state is refused, never silently lost.
    """

    id: str
    kind: str  # complaint | crisis | fake | threat
    queue: str  # routing | factcheck
    opened_at: datetime
    status: str = "new"
    priority: str = "normal"  # normal | high
    sector: str | None = None
    territory: Territory | None = None
    body: str | None = None  # the responsible body
    title: str = ""
    summary: str = ""
    deadline: datetime | None = None
    updated_at: datetime | None = None
    closed_at: datetime | None = None
    post_ids: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    cluster_id: str | None = None
    fake: float | None = None
    verdict: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    repeat_of: str | None = None  # an answered or closed incident about the same problem: a repeat appeal
    # official answers the detector found in the threads (the page's own or a named official account's):
    answers: list[dict[str, Any]] = field(default_factory=list)  # {"post_id", "author", "at", "quality", "markers"}
    answered_at: datetime | None = None  # the first official answer's time
    answer_quality: str | None = None  # substantive | otpiska: how the first answer reads
    # staff's (with status, verdict and closed_at above):
    status_at: datetime | None = None  # when the status last changed
    assignee: str | None = None
    answer: str | None = None  # the official answer (its text or link)
    notes: list[dict[str, Any]] = field(default_factory=list)  # {"at", "by", "text"}
    review: dict[str, Any] | None = None  # the fact-checker's last decision
    reviews: list[dict[str, Any]] = field(default_factory=list)  # every decision, oldest first
    history: list[dict[str, Any]] = field(default_factory=list)  # {"at", "by", "field", "from", "to", "reason"}
    merged_into: str | None = None  # closed by a merge: the incident that took its posts (and its story's next ones)
    split_from: str | None = None  # opened by splitting a post out of this incident
    added_posts: list[str] = field(default_factory=list)  # posts staff moved in (a merge, a split)
    excluded_posts: list[str] = field(default_factory=list)  # posts staff moved out: grouping never puts them back
    version: str | None = None  # the store's, not in the document

    def overdue(self, now: datetime | None = None) -> bool:
        """Past its deadline and not answered or closed."""
        return (self.deadline is not None and self.status in ("new", "assigned")
                and (now or utcnow()) > self.deadline)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "queue": self.queue, "status": self.status,
                "priority": self.priority, "sector": self.sector,
                "territory": self.territory.to_dict() if self.territory else None, "body": self.body,
                "title": self.title, "summary": self.summary, "opened_at": _iso(self.opened_at),
                "updated_at": _iso(self.updated_at), "deadline": _iso(self.deadline),
                "closed_at": _iso(self.closed_at), "overdue": self.overdue(), "post_ids": list(self.post_ids),
                "posts_count": len(self.post_ids), "sources": list(self.sources), "cluster_id": self.cluster_id,
                "fake": self.fake, "verdict": self.verdict, "evidence": self.evidence, "repeat_of": self.repeat_of,
                "answers": list(self.answers), "answered_at": _iso(self.answered_at),
                "answer_quality": self.answer_quality,
                "status_at": _iso(self.status_at), "assignee": self.assignee, "answer": self.answer,
                "notes": list(self.notes), "review": self.review, "reviews": list(self.reviews),
                "history": list(self.history), "merged_into": self.merged_into, "split_from": self.split_from,
                "added_posts": list(self.added_posts), "excluded_posts": list(self.excluded_posts)}

    def detector_part(self) -> dict[str, Any]:
        """The document without the staff's fields: what the detector writes."""
        return {k: v for k, v in self.to_dict().items() if k not in STAFF_FIELDS}

    def staff_part(self) -> dict[str, Any]:
        """The staff's fields as the document holds them, with the posts they moved (:data:`STAFF_WRITES`)."""
        document = self.to_dict()
        return {name: document[name] for name in STAFF_WRITES}

    def apply_moves(self) -> None:
        """Staff's moves over the detector's grouping: posts moved out leave ``post_ids``, posts
        moved in join it (a post moved out and back in stays out until it is taken out of
        ``excluded_posts``)."""
        if not self.added_posts and not self.excluded_posts:
            return
        out = set(self.excluded_posts)
        kept = [post_id for post_id in self.post_ids if post_id not in out]
        self.post_ids = kept + [p for p in dict.fromkeys(self.added_posts) if p not in out and p not in kept]

    @classmethod
    def from_dict(cls, data: dict[str, Any], version: str | None = None) -> Incident:
        values = {k: v for k, v in data.items() if k in _field_names(cls) and k != "version"}
        for key in ("opened_at", "updated_at", "deadline", "closed_at", "status_at", "answered_at"):
            if isinstance(values.get(key), str):
                values[key] = datetime.fromisoformat(values[key])
        values["territory"] = Territory.from_dict(values.get("territory"))
        evidence = values.get("evidence") or {}
        if "review" in evidence and not values.get("review"):  # stored before reviews were the staff's own
            values["evidence"] = {k: v for k, v in evidence.items() if k not in ("review", "reviews")}
            values["review"], values["reviews"] = evidence["review"], evidence.get("reviews") or []
        incident = cls(**values, version=version)
        incident.apply_moves()
        return incident


_FIELD_NAMES: dict[type, frozenset[str]] = {}


def _field_names(cls: type) -> frozenset[str]:
    """A dataclass's field names, worked out once: reading a store builds tens of thousands."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in dataclasses.fields(cls))
    return names


def _author(author: Author) -> dict[str, Any]:
    return {"id": author.id, "name": author.name, "official": author.official}


def _attachment(attachment: Attachment) -> dict[str, Any]:
    return {"type": attachment.type, "url": attachment.url, "title": attachment.title}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def utc(value: datetime) -> datetime:
    """Return ``value`` as aware UTC; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
