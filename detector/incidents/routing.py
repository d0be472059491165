"""Who must act on a complaint, and by when: ``watchlists/routing.yml`` (its header has the rules).

Defaults, then the sector (or the first subsector whose phrases the text contains), then the
municipality, then the district: the most specific level wins field by field. Fast-track topics
found in the text shorten the deadline, may name an emergency body first, and may mark a threat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Sequence

from detector.files import Source, read_yaml
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
    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self.defaults = {k: spec["defaults"][k] for k in FIELDS if k in spec["defaults"]}
        self.sectors: Mapping[str, Any] = spec.get("sectors") or {}
        self._subsector_matchers = {
            code: [(sub, PhraseMatcher(_phrases(sub.get("phrases") or [], sub["id"])))
                   for sub in node.get("subsectors") or []]
            for code, node in self.sectors.items()}
        self.fast_track = [(entry, PhraseMatcher(_phrases(entry.get("phrases") or [], entry["id"])))
                           for entry in spec.get("fast_track") or []]

    def threats(self) -> PhraseMatcher:
        """The phrases of the fast-track entries marked ``threat``: what makes any post a threat."""
        return PhraseMatcher([Phrase.parse(w, entry["id"]) for entry, _ in self.fast_track if entry.get("threat")
                              for w in entry.get("phrases") or []])

    @classmethod
    def load(cls, path: Source) -> Router:
        return cls(read_yaml(path))

    def route(self, sector: str | None, municipality: str | None, district: str | None,
              lemmas: Sequence[str], when: datetime) -> Route:
        values: dict[str, Any] = dict(self.defaults)
        why = ["defaults"]
        node = self.sectors.get(sector or "") or {}
        if node:
            chosen = node
            for sub, matcher in self._subsector_matchers.get(sector or "", []):
                if matcher.find(lemmas):
                    chosen = sub
                    why.append(f"subsector {sub['id']}")
                    break
            _apply(values, node)
            why.append(f"sector {sector}")
            if chosen is not node:
                _apply(values, chosen)
            place = (chosen.get("municipalities") or {}).get(municipality or "")
            if place:
                _apply(values, place)
                why.append(f"municipality {municipality}")
                local = (place.get("districts") or {}).get(district or "")
                if local:
                    _apply(values, local)
                    why.append(f"district {district}")
        route = Route(values["body"], float(values["deadline_hours"]), list(values.get("also_notify") or []),
                      why=why)
        for entry, matcher in self.fast_track:
            if entry.get("sectors") and sector not in entry["sectors"]:
                continue
            if entry.get("months") and when.month not in entry["months"]:
                continue
            if not matcher.find(lemmas):
                continue
            if float(entry["deadline_hours"]) < route.deadline_hours:
                route.deadline_hours = float(entry["deadline_hours"])
                route.fast_track = entry["id"]
                route.why.append(f"fast track {entry['id']}: {entry['deadline_hours']} h")
            if entry.get("body"):
                route.also_notify = [route.body, *route.also_notify, *(entry.get("also_notify") or [])]
                route.body = entry["body"]
            route.threat = route.threat or bool(entry.get("threat"))
        return route


def _apply(values: dict[str, Any], level: Mapping[str, Any]) -> None:
    for key in FIELDS:
        if key in level:
            values[key] = level[key]
