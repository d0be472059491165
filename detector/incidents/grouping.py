"""Group complaints and threats into incidents for the routing queue.

Ten residents writing about one broken lift are one incident with ten posts. A scored complaint
joins an open incident (of the same sector, except for thread replies below), within ``window`` of
that incident's last post, when one of these holds: it replies in a thread the incident already
holds (a reply that names another address is a problem of its own; one with no address joins
whatever its sector); it names the same address (town, street and house; or the same street when
either side has no house); or it is a near-copy of one of the incident's posts (the same cluster
of :class:`~detector.incidents.clusters.Clusterer`, the clustering the fact-check queue uses). Otherwise it
opens a new incident, routed by :class:`~detector.incidents.routing.Router`, with its deadline from the
opening time.

Staff's merges and splits hold: a post staff moved out of an incident (``excluded_posts``) never
joins it again; an incident merged into another (``merged_into``) is matched as before, but what
matches it joins the incident it was merged into (and never counts as a repeat of a closed one);
an incident opened by splitting a post out (``split_from``) is matched before the others, so the
split post's next near-copies join it rather than the incident it left.

A post flagged ``threat`` (a violent threat) or reporting an emergency (``fake_evidence.emergency``:
a fast-track entry with ``threat: true`` in routing.yml: стрельба, пожар, пропал ребёнок, ...) is
grouped the same way whether or not it is a complaint, and makes its incident a high-priority
threat at once, with the emergency body and a short deadline. An emergency told as a rumour
(``emergency_rumour``) goes to the fact-check queue instead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence

from detector.incidents.clusters import Clusterer
from detector.incidents.routing import Router
from detector.records import record_time
from detector.text.lemmas import Lemmatizer
from indexer.schema import Incident, Territory


@dataclass
class Grouped:
    incident: Incident
    created: bool
    reopen: str | None = None  # an answered or closed incident a new post reopens: why (the caller records it)


class Grouper:
    def __init__(self, router: Router, lemmatizer: Lemmatizer, *, window: timedelta = timedelta(hours=72),
                 clusterer: Clusterer | None = None, reopen: timedelta = timedelta(0)) -> None:
        self.router = router
        self.lemmatizer = lemmatizer
        self.window = window
        self.reopen = reopen
        self.clusterer = clusterer or Clusterer()
        self.open: list[Incident] = []
        self._by_id: dict[str, Incident] = {}
        # What a post can match an incident on (a post of its, a cluster of its, its street), so that
        # a complaint is compared with its few candidates, not with every open incident of the region.
        self._rank: dict[str, int] = {}  # incident id → when it was added: the newest is matched first
        self._by_post: dict[str, list[Incident]] = {}
        self._by_cluster: dict[str, list[Incident]] = {}
        self._by_street: dict[tuple[str | None, str], list[Incident]] = {}

    def add_open(self, incidents: Iterable[Incident]) -> None:
        """Incidents already in the queue (open ones, and answered or closed ones within the window)
        that new complaints may join or repeat (not crises: a crisis gathers a spike's posts, and
        complaints keep their own incidents)."""
        known = {incident.id: incident for incident in self.open}
        for incident in incidents:
            if incident.queue == "routing" and incident.kind != "crisis":
                known.pop(incident.id, None)  # read again (another query found it too): the fresher copy, last
                known[incident.id] = incident
        self.open = list(known.values())
        self._by_id = known
        self._rank, self._by_post, self._by_cluster, self._by_street = {}, {}, {}, {}
        for incident in self.open:
            self._index(incident)

    def _index(self, incident: Incident) -> None:
        self._rank[incident.id] = len(self._rank)
        for post_id in incident.post_ids:
            self._by_post.setdefault(post_id, []).append(incident)
        for cluster in incident.evidence.get("clusters") or ():
            self._by_cluster.setdefault(cluster, []).append(incident)
        if incident.territory is not None and incident.territory.street:
            self._by_street.setdefault((incident.territory.municipality, incident.territory.street), []).append(incident)

    def merged_targets(self) -> set[str]:
        """The incidents that loaded ones were merged into and that are not loaded: the caller
        adds them (:meth:`add_open`), so what matches a merged incident can join its target."""
        return {i.merged_into for i in self.open if i.merged_into and i.merged_into not in self._by_id}

    def _target(self, incident: Incident) -> Incident | None:
        """Where a post matching ``incident`` goes: the incident itself, or the one it was merged
        into (followed through merges of merges); None when that one is not loaded."""
        seen = {incident.id}
        while incident.merged_into:
            found = self._by_id.get(incident.merged_into)
            if found is None or found.id in seen:
                return None
            seen.add(found.id)
            incident = found
        return incident

    def _add(self, incident: Incident) -> None:
        self.open.append(incident)
        self._by_id[incident.id] = incident
        self._index(incident)

    def group(self, scored: Sequence[Mapping[str, Any]]) -> list[Grouped]:
        """``scored``: detector outputs of stored posts (with ``id``, ``source_id``, ``created_at``,
        ``thread_root``, and ``cluster_id`` when clustered already); only complaints and threats
        are grouped. Returns the incidents created or grown."""
        if any(not r.get("cluster_id") for r in scored):
            clusters = self.clusterer.add(scored)
            scored = [dict(r, cluster_id=r.get("cluster_id") or c) for r, c in zip(scored, clusters, strict=True)]
        touched: dict[str, Grouped] = {}
        for record in sorted(scored, key=lambda r: str(r.get("created_at") or "")):
            complaint = bool(record.get("is_complaint") and record.get("sector"))
            if not complaint and not _urgent(record):
                continue
            when = record_time(record.get("created_at"))
            if record.get("incident_id") or record["id"] in self._by_post:
                continue  # grouped by an earlier run: it stays where it is, whatever staff did with it
            incident = self._match(record, when)
            if incident is not None and incident.status in ("answered", "closed"):
                if self.reopen and when - _status_time(incident) <= self.reopen:
                    self._join(incident, record, when)
                    touched[incident.id] = Grouped(incident, False, f"повторное обращение после закрытия: {record['id']}")
                    continue
                incident = self._open(record, when, repeat_of=incident)  # a repeat appeal: a new incident, linked
                self._add(incident)
                touched[incident.id] = Grouped(incident, True)
            elif incident is None:
                incident = self._open(record, when)
                self._add(incident)
                touched[incident.id] = Grouped(incident, True)
            elif record["id"] not in incident.post_ids:
                self._join(incident, record, when)
                touched.setdefault(incident.id, Grouped(incident, False))
        return list(touched.values())

    def _join(self, incident: Incident, record: Mapping[str, Any], when: datetime) -> None:
        """The post joins the incident: its sources, clusters, title, place and kind may grow."""
        if record["id"] in incident.post_ids:
            return
        incident.post_ids.append(record["id"])
        self._by_post.setdefault(record["id"], []).append(incident)
        if record.get("cluster_id") and record["cluster_id"] not in incident.evidence.setdefault("clusters", []):
            incident.evidence["clusters"].append(record["cluster_id"])
            self._by_cluster.setdefault(record["cluster_id"], []).append(incident)
        if _urgent(record) and incident.kind != "threat":
            incident.kind, incident.priority = "threat", "high"
            incident.deadline = min(incident.deadline or when + timedelta(hours=1),
                                    when + timedelta(hours=self._route(record, when).deadline_hours))
        if record.get("source_id") and record["source_id"] not in incident.sources:
            incident.sources.append(record["source_id"])
        clearness = _clearness(record)
        if clearness > incident.evidence.get("title_complaint", 1.0):
            incident.title = _title(record)  # the clearest report names the incident, not the first
            incident.evidence["title_complaint"] = clearness
        incident.updated_at = max(incident.updated_at or when, when)
        if incident.territory is None or not incident.territory.street:
            place = Territory.from_dict(record.get("territory"))
            if place and place.street:
                incident.territory = place
                self._by_street.setdefault((place.municipality, place.street), []).append(incident)

    def _match(self, record: Mapping[str, Any], when: datetime) -> Incident | None:
        place = Territory.from_dict(record.get("territory"))
        named = bool(place and place.source == "text" and place.street)
        for incident in self._candidates(record, place):  # the newest first: a repeat is found before what it repeats
            target = self._target(incident)  # a merged incident's posts go where it was merged
            if target is None or record["id"] in incident.excluded_posts or record["id"] in target.excluded_posts:
                continue
            done = target.status in ("answered", "closed")
            if when - (_status_time(target) if done else target.updated_at or target.opened_at) > self.window:
                continue
            in_thread = bool(record.get("thread_root")) and record["thread_root"] in incident.post_ids
            if in_thread and not named:
                return target  # a reply about the post's problem, whatever sector it was given
            if incident.sector != _sector(record):
                continue
            if place and place.source == "text" and _same_place(place, incident.territory):
                return target
            if record.get("cluster_id") and record["cluster_id"] in (incident.evidence.get("clusters") or ()):
                return target
        return None

    def _candidates(self, record: Mapping[str, Any], place: Territory | None) -> list[Incident]:
        """The open incidents holding the post's thread root, of its street or of its cluster: those
        split out of another first, then the newest first. No other incident can match it."""
        found: dict[str, Incident] = {}
        for incident in [*self._by_post.get(str(record.get("thread_root") or ""), ()),
                         *(self._by_street.get((place.municipality, place.street), ()) if place and place.street else ()),
                         *self._by_cluster.get(str(record.get("cluster_id") or ""), ())]:
            found[incident.id] = incident
        return sorted(found.values(), key=lambda incident: (bool(incident.split_from), self._rank[incident.id]),
                      reverse=True)

    def _route(self, record: Mapping[str, Any], when: datetime) -> Any:
        place = Territory.from_dict(record.get("territory"))
        return self.router.route(_sector(record), place.municipality if place else None,
                                 place.district if place else None,
                                 self.lemmatizer.lemmas(str(record.get("text") or "")), when)

    def _open(self, record: Mapping[str, Any], when: datetime, repeat_of: Incident | None = None) -> Incident:
        place = Territory.from_dict(record.get("territory"))
        route = self._route(record, when)
        threat = route.threat or _urgent(record)
        sector = _sector(record)
        digest = hashlib.sha1(str(record["id"]).encode()).hexdigest()[:10]
        return Incident(
            id=f"inc-{sector or 'threat'}-{digest}", kind="threat" if threat else "complaint", queue="routing",
            opened_at=when, updated_at=when, priority="high" if threat or route.fast_track else "normal",
            sector=sector, territory=place, body=route.body, repeat_of=repeat_of.id if repeat_of else None,
            title=("Повторное обращение: " if repeat_of else "") + _title(record),
            deadline=when + timedelta(hours=route.deadline_hours), post_ids=[record["id"]],
            sources=[record["source_id"]] if record.get("source_id") else [], cluster_id=record.get("cluster_id"),
            evidence={"route": route.why, "fast_track": route.fast_track, "also_notify": route.also_notify,
                      "clusters": [record["cluster_id"]] if record.get("cluster_id") else [],
                      "title_complaint": _clearness(record)})


def _status_time(incident: Incident) -> datetime:
    """When staff last moved the incident (answered or closed it), else its last post."""
    return incident.status_at or incident.closed_at or incident.updated_at or incident.opened_at


def _title(record: Mapping[str, Any]) -> str:
    text = " ".join(str(record.get("text") or "").split())
    return text[:117] + "…" if len(text) > 120 else text


def _clearness(record: Mapping[str, Any]) -> float:
    """How clearly a post reports the problem: its complaint probability, rounded so that near-ties
    keep the earlier post as the title."""
    return round(float(record.get("complaint") or 0.0), 2)


def _urgent(record: Mapping[str, Any]) -> bool:
    """A violent threat, or an emergency reported (not told as a rumour)."""
    return bool(record.get("threat") or (record.get("fake_evidence") or {}).get("emergency"))


def _sector(record: Mapping[str, Any]) -> str | None:
    """A complaint's sector; a threat that is not a complaint has none."""
    return record.get("sector") if record.get("is_complaint") else None


def _same_place(a: Territory, b: Territory | None) -> bool:
    if b is None or not a.street or a.street != b.street or a.municipality != b.municipality:
        return False
    return not a.house or not b.house or a.house == b.house
