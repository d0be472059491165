"""Group complaints into incidents for the routing queue.

Ten residents writing about one broken lift are one incident with ten posts. A scored complaint
joins an open incident (of the same sector, except for thread replies below), within ``window`` of
that incident's last post, when
one of these holds: it replies in a thread the incident already holds (a reply that names another
address is a problem of its own; one with no address joins whatever its sector); it names the same address
(town, street and house; or the same street when either side has no house); or its words are
nearly the same (Jaccard similarity of content lemmas ≥ ``similarity``). Otherwise it opens a new
incident, routed by :class:`~detector.routing.Router`, with its deadline from the opening time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence

from detector.routing import Router
from detector.text import Lemmatizer
from indexer.schema import Incident, Territory, utcnow

SIGNATURE_SIZE = 40
_STOP = {"и", "в", "на", "не", "что", "с", "по", "у", "а", "как", "это", "к", "же", "за", "уже", "так", "мы",
         "я", "они", "он", "она", "вы", "до", "из", "от", "о", "для", "нет", "да", "все", "весь", "опять", "быть"}


@dataclass
class Grouped:
    incident: Incident
    created: bool


class Grouper:
    def __init__(self, router: Router, lemmatizer: Lemmatizer, *, window: timedelta = timedelta(hours=72),
                 similarity: float = 0.6) -> None:
        self.router = router
        self.lemmatizer = lemmatizer
        self.window = window
        self.similarity = similarity
        self.open: list[Incident] = []

    def add_open(self, incidents: Iterable[Incident]) -> None:
        """Incidents already in the queue that new complaints may join."""
        self.open.extend(i for i in incidents if i.queue == "routing")

    def group(self, scored: Sequence[Mapping[str, Any]]) -> list[Grouped]:
        """``scored``: detector outputs of stored posts (with ``id``, ``source_id``, ``created_at``,
        ``thread_root``); only complaints are grouped. Returns the incidents created or grown."""
        touched: dict[str, Grouped] = {}
        for record in sorted(scored, key=lambda r: str(r.get("created_at") or "")):
            if not record.get("is_complaint") or not record.get("sector"):
                continue
            when = _time(record.get("created_at"))
            if any(record["id"] in incident.post_ids for incident in self.open):
                continue  # grouped by an earlier run: it stays where it is
            signature = self._signature(str(record.get("text") or ""))
            incident = self._match(record, when, signature)
            if incident is None:
                incident = self._open(record, when, signature)
                self.open.append(incident)
                touched[incident.id] = Grouped(incident, True)
            elif record["id"] not in incident.post_ids:
                incident.post_ids.append(record["id"])
                if record.get("source_id") and record["source_id"] not in incident.sources:
                    incident.sources.append(record["source_id"])
                incident.updated_at = max(incident.updated_at or when, when)
                if incident.territory is None or not incident.territory.street:
                    place = Territory.from_dict(record.get("territory"))
                    if place and place.street:
                        incident.territory = place
                touched.setdefault(incident.id, Grouped(incident, False))
        return list(touched.values())

    def _match(self, record: Mapping[str, Any], when: datetime, signature: set[str]) -> Incident | None:
        place = Territory.from_dict(record.get("territory"))
        named = bool(place and place.source == "text" and place.street)
        for incident in reversed(self.open):
            if incident.status in ("answered", "closed"):
                continue
            if when - (incident.updated_at or incident.opened_at) > self.window:
                continue
            in_thread = bool(record.get("thread_root")) and record["thread_root"] in incident.post_ids
            if in_thread and not named:
                return incident  # a reply about the post's problem, whatever sector it was given
            if incident.sector != record["sector"]:
                continue
            if place and place.source == "text" and _same_place(place, incident.territory):
                return incident
            known = set(incident.evidence.get("signature") or [])
            if signature and known and len(signature & known) / len(signature | known) >= self.similarity:
                return incident
        return None

    def _open(self, record: Mapping[str, Any], when: datetime, signature: set[str]) -> Incident:
        place = Territory.from_dict(record.get("territory"))
        route = self.router.route(record["sector"], place.municipality if place else None,
                                  place.district if place else None,
                                  self.lemmatizer.lemmas(str(record.get("text") or "")), when)
        digest = hashlib.sha1(str(record["id"]).encode()).hexdigest()[:10]
        text = " ".join(str(record.get("text") or "").split())
        return Incident(
            id=f"inc-{record['sector']}-{digest}", kind="threat" if route.threat else "complaint", queue="routing",
            opened_at=when, updated_at=when, priority="high" if route.threat or route.fast_track else "normal",
            sector=record["sector"], territory=place, body=route.body,
            title=text[:117] + "…" if len(text) > 120 else text,
            deadline=when + timedelta(hours=route.deadline_hours), post_ids=[record["id"]],
            sources=[record["source_id"]] if record.get("source_id") else [],
            evidence={"route": route.why, "fast_track": route.fast_track, "also_notify": route.also_notify,
                      "signature": sorted(signature)[:SIGNATURE_SIZE]})

    def _signature(self, text: str) -> set[str]:
        return {lemma for lemma in self.lemmatizer.lemmas(text) if lemma not in _STOP and len(lemma) > 2
                and not lemma.isdigit()}


def _same_place(a: Territory, b: Territory | None) -> bool:
    if b is None or not a.street or a.street != b.street or a.municipality != b.municipality:
        return False
    return not a.house or not b.house or a.house == b.house


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if value:
        return datetime.fromisoformat(str(value))
    return utcnow()
