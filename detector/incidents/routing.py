"""Who must act on a complaint, and by when: ``watchlists/routing.yml`` (its header has the rules;
:mod:`detector.staff.routing` validates it).

Defaults, then the sector (or the first subsector whose phrases the text contains), then the
municipality, then the district: the most specific level wins field by field. Fast-track topics
found in the text shorten the deadline, may name an emergency body first, and may mark a threat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Sequence

from detector.files import Source
from detector.staff.routing import ROUTING, Level, RoutingFile, read_routing
from detector.text.phrases import Phrase, PhraseMatcher

FIELDS = ("body", "deadline_hours", "also_notify")


@dataclass
class Route:
    body: str
    deadline_hours: float
    also_notify: list[str] = field(default_factory=list)
    fast_track: str | None = None
    threat: bool = False
    why: list[str] = field(default_factory=list)


def _phrases(words: Sequence[str], label: str) -> list[Phrase]:
    return [Phrase.parse(w, label) for w in words]


class Router:
    def __init__(self, spec: RoutingFile | Mapping[str, Any]) -> None:
        """``spec``: the validated file, or its content as a mapping (validated here)."""
        self.spec = spec if isinstance(spec, RoutingFile) else ROUTING.read_data(spec, "<routing>")
        self.defaults = self.spec.defaults
        self.sectors = self.spec.sectors
        self._subsector_matchers = {
            code: [(sub, PhraseMatcher(_phrases(sub.phrases, sub.id))) for sub in node.subsectors]
            for code, node in self.sectors.items()}
        self.fast_track = [(entry, PhraseMatcher(_phrases(entry.phrases, entry.id))) for entry in self.spec.fast_track]

    def threats(self) -> PhraseMatcher:
        """The phrases of the fast-track entries marked ``threat``: a threat to life reported
        (an emergency), whatever the post's sector."""
        return PhraseMatcher([Phrase.parse(w, entry.id) for entry, _ in self.fast_track if entry.threat
                              for w in entry.phrases])

    @classmethod
    def load(cls, path: Source) -> Router:
        return cls(read_routing(path))

    def route(self, sector: str | None, municipality: str | None, district: str | None,
              lemmas: Sequence[str], when: datetime) -> Route:
        values: dict[str, Any] = {"body": self.defaults.body, "deadline_hours": self.defaults.deadline_hours,
                                  "also_notify": self.defaults.also_notify}
        why = ["defaults"]
        node = self.sectors.get(sector or "")
        if node is not None:
            chosen: Any = node
            for sub, matcher in self._subsector_matchers.get(sector or "", []):
                if matcher.find(lemmas):
                    chosen = sub
                    why.append(f"subsector {sub.id}")
                    break
            _apply(values, node)
            why.append(f"sector {sector}")
            if chosen is not node:
                _apply(values, chosen)
            place = chosen.municipalities.get(municipality or "")
            if place is not None:
                _apply(values, place)
                why.append(f"municipality {municipality}")
                local = place.districts.get(district or "")
                if local is not None:
                    _apply(values, local)
                    why.append(f"district {district}")
        route = Route(values["body"], float(values["deadline_hours"]), list(values["also_notify"] or []), why=why)
        for entry, matcher in self.fast_track:
            if entry.sectors and sector not in entry.sectors:
                continue
            if entry.months and when.month not in entry.months:
                continue
            if not matcher.find(lemmas):
                continue
            if entry.deadline_hours < route.deadline_hours:
                route.deadline_hours = entry.deadline_hours
                route.fast_track = entry.id
                route.why.append(f"fast track {entry.id}: {entry.deadline_hours:g} h")
            if entry.body:
                route.also_notify = [route.body, *route.also_notify, *entry.also_notify]
                route.body = entry.body
            route.threat = route.threat or entry.threat
        return route


def _apply(values: dict[str, Any], level: Level) -> None:
    """The fields ``level`` gives replace those above it; the ones it leaves out are inherited."""
    for key in FIELDS:
        value = getattr(level, key)
        if value is not None:
            values[key] = value
