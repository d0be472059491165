"""The fact-check queue: one item per story that holds fake suspects, with the evidence.

:class:`FactChecker` works on a window of scored posts (``monitor detect``) after clustering. It
first adds the evidence that needs history to each post's ``fake_evidence``:

* ``spread``: the post's cluster reached ``spread_sources`` distinct sources within
  ``spread_hours`` of its first appearance (a story jumping across unrelated groups);
* ``denied_by``: an official page's post with denial words ("фейк", "не соответствует
  действительности") about the same story: in the same cluster, or sharing at least
  ``denial_shared`` content lemmas with it within ``window``, and at least ``DENIAL_OVERLAP`` of the
  shorter text's (a reply that shares "администрация, район, вопрос" with a long statement is not
  about it). The denial is linked, and its link suggested as the answer when the registry has none.

Each raises the fake score as a noisy OR, for posts whose own words already read somewhat like a
rumour (text probability ≥ ``HISTORY_FLOOR``): a resident who writes "all healthy here, the water
is fine" under a rumour shares its words and its thread, not its claim.

Then the suspects are gathered into stories, one fact-check item each: near-copies (one cluster),
the copies of one registered story (paraphrases the registry recognises), and the suspect replies
in a suspect post's thread (the comments are where it spreads). An item holds the first post, the
variants, the sources and new sources per hour, the evidence and the suggested debunk. An item
already in the queue grows; one a fact-checker has decided (``closed``) is left alone, and its
verdict feeds the registry instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterable, Mapping, MutableMapping, Sequence

from detector.fakes.narratives import Narrative
from detector.fakes.scorer import combine
from detector.incidents.clusters import Cluster, Clusterer
from detector.records import official_page as _official
from detector.records import record_time
from detector.text.lemmas import Lemmatizer, content_lemmas
from indexer.schema import Incident, Territory

HISTORY_FLOOR = 0.3
SPREAD_WEIGHT = 0.3
DENIAL_WEIGHT = 0.6
VARIANTS = 5
DENIAL_OVERLAP = 0.3


@dataclass
class Checked:
    incident: Incident
    created: bool
    withdrawn: str | None = None  # why the item no longer holds: the caller closes it, recorded as a change


class FactChecker:
    def __init__(self, clusterer: Clusterer, lemmatizer: Lemmatizer, *, threshold: float = 0.5,
                 spread_sources: int = 3, spread_hours: float = 6.0, denial_shared: int = 3,
                 window: timedelta = timedelta(days=7), deadline_hours: float = 1.0) -> None:
        self.clusterer = clusterer
        self.lemmatizer = lemmatizer
        self.threshold = threshold
        self.spread_sources = spread_sources
        self.spread_hours = spread_hours
        self.denial_shared = denial_shared
        self.window = window
        self.deadline_hours = deadline_hours
        self.items: dict[str, Incident] = {}  # by cluster id

    def add_open(self, incidents: Iterable[Incident]) -> None:
        """Fact-check items already in the queue (any status): a cluster has one item, ever."""
        for incident in incidents:
            if incident.queue == "factcheck" and incident.cluster_id:
                self.items[incident.cluster_id] = incident

    def check(self, scored: Sequence[MutableMapping[str, Any]]) -> list[Checked]:
        """``scored``: detector outputs with ``cluster_id`` set, and stored posts read as history
        (``context``: true, their findings as stored). Adds history evidence to the scored ones in
        place and returns the fact-check items created or grown."""
        self._add_history(scored)
        touched: dict[str, Checked] = {}
        stories = self._stories(scored)
        suspects = {str(r["id"]) for r in scored if r.get("is_fake_suspect")}
        window = {str(r["id"]) for r in scored if not r.get("context")}
        for cluster_id, incident in self.items.items():
            # Re-scored (a new model, a new lexicon) and no longer a story of suspects: withdrawn.
            if (incident.status == "new" and cluster_id not in stories and set(incident.post_ids) <= window
                    and not suspects & set(incident.post_ids)):
                why = "re-scored: none of its posts is a fake suspect any more"
                incident.evidence["withdrawn"] = why
                touched[cluster_id] = Checked(incident, False, why)
        for cluster_id, records in stories.items():
            known = self.items.get(cluster_id)
            if known is not None and known.status == "closed":
                continue
            story = known if known is not None else self._open(cluster_id, records)
            self.items[cluster_id] = story
            if self._grow(story, records) or known is None:
                touched[cluster_id] = Checked(story, known is None)
        return list(touched.values())

    def _stories(self, scored: Sequence[MutableMapping[str, Any]]) -> dict[str, list[MutableMapping[str, Any]]]:
        """Non-official posts by story: the story is named by the cluster of its earliest suspect."""
        community = [r for r in scored if not _official(r) and r.get("cluster_id")]
        parent = {r["cluster_id"]: r["cluster_id"] for r in community}

        def root(key: str) -> str:
            while parent[key] != key:
                parent[key] = parent[parent[key]]
                key = parent[key]
            return key

        def join(a: str, b: str) -> None:
            a, b = root(a), root(b)
            if a != b:
                parent[max(a, b)] = min(a, b)

        by_narrative: dict[str, str] = {}
        suspect_posts = {r["id"]: r["cluster_id"] for r in community if r.get("is_fake_suspect")}
        for record in community:
            if not record.get("is_fake_suspect"):
                continue
            known = (record.get("fake_evidence") or {}).get("registry")
            if known:
                join(by_narrative.setdefault(known["id"], record["cluster_id"]), record["cluster_id"])
            thread = record.get("thread_root")
            if thread in suspect_posts and thread != record["id"]:  # a reply under a suspect post
                join(suspect_posts[thread], record["cluster_id"])
        suspect_roots = {root(r["cluster_id"]) for r in community if r.get("is_fake_suspect")}
        members: dict[str, list[MutableMapping[str, Any]]] = {}
        for record in community:
            key = root(record["cluster_id"])
            if key in suspect_roots:
                members.setdefault(key, []).append(record)
        # Name each story after the cluster of its earliest post, so the item id does not depend on
        # which cluster id sorts first.
        stories = {}
        for records in members.values():
            first = min(records, key=lambda r: (record_time(r.get("created_at")), str(r["id"])))
            stories[first["cluster_id"]] = records
        return stories

    def _add_history(self, scored: Sequence[MutableMapping[str, Any]]) -> None:
        denials = [(r, self._words(r)) for r in scored if _official(r) and (r.get("fake_evidence") or {}).get("denial")]
        for record in scored:
            if (record.get("context") or "fake" not in record or _official(record)
                    or (record.get("fake_evidence") or {}).get("denial")):
                continue
            evidence = record.setdefault("fake_evidence", {})
            fake = float(record["fake"])
            if float((evidence.get("model") or {}).get("probability", fake)) < HISTORY_FLOOR:
                continue
            cluster = self.clusterer.cluster(str(record["id"]))
            if cluster is not None and cluster.sources_within(self.spread_hours) >= self.spread_sources:
                evidence["spread"] = {"sources": cluster.sources_within(self.spread_hours),
                                      "hours": self.spread_hours, "platforms": sorted(cluster.platforms),
                                      "new_sources_per_hour": cluster.growth()}
                fake = combine(fake, SPREAD_WEIGHT)
            denied = self._denials(record, self._words(record), denials) if denials else []
            if denied:
                evidence["denied_by"] = denied
                fake = combine(fake, DENIAL_WEIGHT)
            record["fake"] = round(fake, 4)
            record["is_fake_suspect"] = fake >= self.threshold

    def _words(self, record: Mapping[str, Any]) -> set[str]:
        return content_lemmas(self.lemmatizer.lemmas(_text(record)))

    def _denials(self, record: Mapping[str, Any], words: set[str],
                 denials: Sequence[tuple[Mapping[str, Any], set[str]]]) -> list[dict[str, Any]]:
        when = record_time(record.get("created_at"))
        found = []
        for denial, denial_words in denials:
            same_cluster = denial.get("cluster_id") and denial.get("cluster_id") == record.get("cluster_id")
            close = abs(record_time(denial.get("created_at")) - when) <= self.window
            shared = words & denial_words
            overlap = len(shared) / max(1, min(len(words), len(denial_words)))
            if same_cluster or (close and len(shared) >= self.denial_shared and overlap >= DENIAL_OVERLAP):
                found.append({"id": denial["id"], "source_id": denial.get("source_id"), "url": denial.get("url"),
                              "text": _short(_text(denial), 300)})
        return found

    def _open(self, cluster_id: str, records: list[MutableMapping[str, Any]]) -> Incident:
        first = min(records, key=lambda r: record_time(r.get("created_at")))
        when = record_time(first.get("created_at"))
        return Incident(id="fc-" + cluster_id.removeprefix("cl-"), kind="fake", queue="factcheck", opened_at=when,
                        updated_at=when, title=_short(_text(first), 120), cluster_id=cluster_id,
                        deadline=when + timedelta(hours=self.deadline_hours),
                        territory=Territory.from_dict(first.get("territory")))

    def _grow(self, incident: Incident, records: list[MutableMapping[str, Any]]) -> bool:
        """Add the story's posts and evidence to ``incident``; True if anything changed."""
        before = (list(incident.post_ids), incident.fake, dict(incident.evidence))
        for record in sorted(records, key=lambda r: record_time(r.get("created_at"))):
            if record["id"] not in incident.post_ids:
                incident.post_ids.append(record["id"])
            if record.get("source_id") and record["source_id"] not in incident.sources:
                incident.sources.append(record["source_id"])
            incident.updated_at = max(incident.updated_at or incident.opened_at, record_time(record.get("created_at")))
        incident.fake = max(float(r.get("fake") or 0) for r in records) if incident.fake is None else max(
            incident.fake, *(float(r.get("fake") or 0) for r in records))
        evidence = _merge_evidence(records, incident.evidence)
        story = _story(incident.cluster_id or incident.id, records)
        evidence["cluster"] = dict(story.summary(), clusters=sorted({str(r["cluster_id"]) for r in records}))
        if story.sources_within(self.spread_hours) >= self.spread_sources:
            evidence["spread"] = {"sources": story.sources_within(self.spread_hours), "hours": self.spread_hours,
                                  "platforms": sorted(story.platforms), "new_sources_per_hour": story.growth()}
        evidence["variants"] = _variants(records, incident.evidence.get("variants") or [])
        incident.evidence = evidence
        threat = any(r.get("threat") for r in records)
        if threat or "spread" in evidence or "registry" in evidence:
            incident.priority = "high"
        debunk = (evidence.get("registry") or {}).get("debunk") or next(
            (d.get("url") for d in evidence.get("denied_by") or [] if d.get("url")), None)
        if debunk:
            evidence["suggested_debunk"] = debunk
        incident.summary = _summary(incident, evidence, threat)
        return (list(incident.post_ids), incident.fake, incident.evidence) != before


def reviewed_narratives(incidents: Iterable[Incident]) -> list[Narrative]:
    """Fact-check items a reviewer found fake or misleading, with a debunk link: they join the registry."""
    found = []
    for incident in incidents:
        review = incident.review or {}
        if incident.verdict in ("fake", "misleading") and review.get("debunk"):
            variants = [v["text"] for v in incident.evidence.get("variants") or [] if v.get("text")]
            found.append(Narrative(incident.cluster_id or incident.id, incident.title, variants, "debunked",
                                   review["debunk"], str(review.get("at") or "")[:10] or None, incident.sector,
                                   origin="review"))
    return found


def _story(story_id: str, records: Sequence[Mapping[str, Any]]) -> Cluster:
    """The story's spread, from its posts in the window (it may join several clusters)."""
    ordered = sorted(records, key=lambda r: record_time(r.get("created_at")))
    story = Cluster(story_id, str(ordered[0]["id"]), record_time(ordered[0].get("created_at")))
    for record in ordered:
        story.add(str(record["id"]), record_time(record.get("created_at")), record.get("source_id"), record.get("platform"))
    return story


def _merge_evidence(records: Sequence[Mapping[str, Any]], old: Mapping[str, Any]) -> dict[str, Any]:
    rumour: dict[str, list[str]] = {k: list(v) for k, v in (old.get("rumour") or {}).items()}
    evidence: dict[str, Any] = {}
    denied = list(old.get("denied_by") or [])
    for record in records:
        found = record.get("fake_evidence") or {}
        for group, phrases in (found.get("rumour") or {}).items():
            rumour.setdefault(group, [])
            rumour[group] += [p for p in phrases if p not in rumour[group]]
        best = evidence.get("registry") or old.get("registry")
        if found.get("registry") and (not best or found["registry"]["similarity"] > best["similarity"]):
            evidence["registry"] = found["registry"]
        elif best:
            evidence["registry"] = best
        if found.get("spread"):
            evidence["spread"] = found["spread"]
        denied += [d for d in found.get("denied_by") or [] if d["id"] not in {x["id"] for x in denied}]
        if found.get("threat"):
            evidence["threat"] = sorted(set(evidence.get("threat") or []) | set(found["threat"]))
    if rumour:
        evidence["rumour"] = rumour
    if denied:
        evidence["denied_by"] = denied
    return evidence


def _variants(records: Sequence[Mapping[str, Any]], old: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Up to ``VARIANTS`` different wordings of the story, the first one first."""
    variants = list(old)
    seen = {" ".join(v["text"].lower().split()) for v in variants}
    for record in sorted(records, key=lambda r: record_time(r.get("created_at"))):
        text = _short(_text(record), 400)
        key = " ".join(text.lower().split())
        if key not in seen and len(variants) < VARIANTS:
            seen.add(key)
            variants.append({"id": record["id"], "source_id": record.get("source_id"), "text": text})
    return variants


def _summary(incident: Incident, evidence: Mapping[str, Any], threat: bool) -> str:
    parts = [f"{len(incident.post_ids)} posts in {len(incident.sources)} sources", f"fake {incident.fake:.2f}"]
    if evidence.get("rumour"):
        parts.append("rumour: " + ", ".join(evidence["rumour"]))
    if evidence.get("registry"):
        parts.append(f"known story {evidence['registry']['id']}")
    if evidence.get("denied_by"):
        parts.append("denied by " + ", ".join(sorted({str(d.get('source_id')) for d in evidence['denied_by']})))
    if threat:
        parts.append("threat")
    return "; ".join(parts)


def _text(record: Mapping[str, Any]) -> str:
    return str(record.get("text") or "")


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
