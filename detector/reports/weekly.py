"""The weekly report's figures, read from the store's incidents: what staff bring to the weekly meeting.

:func:`build_weekly` reads the incidents opened in the week and in the ``trend_weeks`` before it
(one ``find_incidents`` per queue, bounded by ``IncidentQuery.since``/``until``) and counts:
routing incidents by sector × territory and per week, the top incidents, answer times and отписки
per body (:func:`~detector.reports.answers.answer_times`: the service levels' rows by body), the
fact-check queue's stories and verdicts, and the crises with their explanations. Nothing here
draws or writes: see ``render.py``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from detector.reports.answers import TARGET_HOURS, answer_times
from detector.reports.weeks import Week
from indexer.store import IncidentQuery

if TYPE_CHECKING:
    from detector.jobs.service_levels import ServiceLevels, ServiceRow
    from indexer.schema import Incident
    from indexer.store import Store

EVERY = 1_000_000  # incidents one read may return: a week of a region is far fewer
NO_PLACE = "не указана"
TITLE = 140  # characters of a title the tables show
VERDICTS = ("fake", "true", "unverified", "waiting")  # "waiting": no verdict yet


@dataclass(frozen=True, slots=True)
class TopIncident:
    id: str
    title: str
    sector: str
    territory: str
    body: str
    posts: int
    sources: int
    priority: str
    status: str


@dataclass(frozen=True, slots=True)
class Crisis:
    """A spike, with what the detector said of it."""

    id: str
    title: str
    sector: str
    territory: str
    at: datetime
    count: int
    baseline: float
    why: str
    new_words: list[str]
    streets: list[str]
    examples: list[str]


@dataclass(frozen=True, slots=True)
class Fakes:
    """The fact-check queue's stories opened in the week and what reviewers decided."""

    found: int
    verdicts: dict[str, int]  # each of VERDICTS → stories
    debunked: int  # found fake and given a debunk link
    known: int  # matched a story already in the debunk registry
    spread: int  # reached several sources within hours
    top: list[TopIncident]


@dataclass(slots=True)
class WeeklyReport:
    """Everything the report shows, as plain values (the JSON beside the HTML is this)."""

    week: Week
    made_at: datetime
    incidents: int  # routing incidents opened in the week (complaints, threats, crises)
    sectors: list[str]  # names, most incidents first
    territories: list[str]
    grid: dict[tuple[str, str], int]  # (sector, territory) → incidents
    trend: list[tuple[str, dict[str, int]]]  # week label → sector → incidents, oldest first
    top: list[TopIncident]
    levels: ServiceLevels  # the week's service levels: the answers table is its rows by body
    fakes: Fakes
    crises: list[Crisis]
    notes: list[str] = field(default_factory=list)

    @property
    def answers(self) -> list[ServiceRow]:
        """Answer times and отписки per body, most incidents first."""
        return self.levels.group("body")

    def headline(self) -> dict[str, Any]:
        """The figures a message carries: incidents and their change against the weeks before, the
        share answered within 24 h, overdue now, fact-check stories and debunked ones, crises."""
        before = [sum(counts.values()) for _, counts in self.trend[:-1]]
        # A store younger than the trend (the demo's, a new region's) has no usual level to compare with.
        known = sum(1 for count in before if count) * 2 >= len(before) > 0
        usual = sum(before) / len(before) if known else 0
        return {"week": self.week.label, "incidents": self.incidents,
                "change": self.incidents / usual - 1 if usual else None,
                "answered_within_24h": self.levels.total.share_in_target,
                "overdue": self.levels.total.overdue, "fakes": self.fakes.found,
                "debunked": self.fakes.debunked, "crises": len(self.crises),
                "top_sector": self.sectors[0] if self.sectors else None}


def build_weekly(store: Store, week: Week, now: datetime, *, sector_names: Mapping[str, str] | None = None,
                 trend_weeks: int = 8, top: int = 10, target_hours: float = TARGET_HOURS) -> WeeklyReport:
    """The report of ``week`` as the store holds it at ``now``; sector codes shown by their names."""
    names = dict(sector_names or {})
    first = week.shifted(-trend_weeks)
    routing = store.find_incidents(IncidentQuery(queue="routing", since=first.start, until=week.end, limit=EVERY))
    factcheck = store.find_incidents(IncidentQuery(queue="factcheck", since=week.start, until=week.end, limit=EVERY))
    this_week = [i for i in routing if i.opened_at >= week.start]
    grid = Counter((_sector(i, names), _place(i)) for i in this_week)
    sectors = [s for s, _ in Counter(_sector(i, names) for i in this_week).most_common()]
    territories = [t for t, _ in Counter(_place(i) for i in this_week).most_common()]
    return WeeklyReport(
        week, now, len(this_week), sectors, territories, dict(grid), _trend(routing, first, trend_weeks, names),
        _top(this_week, names, top), answer_times(this_week, week, now, target_hours), _fakes(factcheck, names, top),
        sorted((_crisis(i, names) for i in this_week if i.kind == "crisis"), key=lambda c: c.at))


def _trend(incidents: Sequence[Incident], first: Week, weeks: int, names: Mapping[str, str]
           ) -> list[tuple[str, dict[str, int]]]:
    counts: dict[Week, Counter[str]] = {first.shifted(n): Counter() for n in range(weeks + 1)}
    for incident in incidents:
        counts.setdefault(Week.of(incident.opened_at), Counter())[_sector(incident, names)] += 1
    return [(week.label, dict(counted)) for week, counted in sorted(counts.items())]


def _top(incidents: Sequence[Incident], names: Mapping[str, str], limit: int) -> list[TopIncident]:
    ordered = sorted(incidents, key=lambda i: (-len(i.post_ids), -len(i.sources), i.priority != "high", i.id))
    return [TopIncident(i.id, _short(i.title or i.summary or i.id), _sector(i, names), _place(i), i.body or "",
                        len(i.post_ids), len(i.sources), i.priority, i.status) for i in ordered[:limit]]


def _fakes(items: Sequence[Incident], names: Mapping[str, str], limit: int) -> Fakes:
    verdicts = Counter(i.verdict if i.verdict in VERDICTS else "waiting" for i in items)
    return Fakes(len(items), {v: verdicts.get(v, 0) for v in VERDICTS},
                 sum(1 for i in items if i.verdict == "fake" and (i.review or {}).get("debunk")),
                 sum(1 for i in items if "registry" in i.evidence), sum(1 for i in items if "spread" in i.evidence),
                 _top(items, names, limit))


def _crisis(incident: Incident, names: Mapping[str, str]) -> Crisis:
    spike = incident.evidence.get("spike") or {}
    explanation = incident.evidence.get("explanation") or {}
    return Crisis(incident.id, incident.title, _sector(incident, names), _place(incident), incident.opened_at,
                  int(spike.get("count") or 0), float(spike.get("baseline") or 0.0), str(explanation.get("why") or ""),
                  [str(w) for w in explanation.get("new_words") or []][:8],
                  [f"{s} ({n})" for s, n in (explanation.get("top_streets") or [])[:3]],
                  [str(e.get("text") or "") for e in (explanation.get("examples") or [])[:2]])


def _sector(incident: Incident, names: Mapping[str, str]) -> str:
    return names.get(incident.sector or "", incident.sector or "без отрасли")


def _place(incident: Incident) -> str:
    place = incident.territory
    if place is None:
        return NO_PLACE
    return place.district or place.municipality or NO_PLACE


def _short(text: str) -> str:
    return text if len(text) <= TITLE else text[:TITLE - 1].rstrip() + "…"
