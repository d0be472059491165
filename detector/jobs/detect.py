"""``run_detect``: score stored posts, cluster near-copies, fill the fact-check queue and group
complaints and threats into incidents for the routing queue.

Before scoring, fact-check items reviewed as fake with a debunk link join the debunk registry,
so the registry is the YAML file plus the store's decisions. Only posts whose findings changed
are written back; every open incident is written, so its stored ``overdue`` flag (what Kibana
filters on) flips when a deadline passes. New incidents go to the webhook
(``INCIDENTS_WEBHOOK_URL``) through its outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Mapping

from detector.incidents.clusters import Clusterer
from detector.incidents.factcheck import FactChecker, reviewed_narratives
from detector.incidents.grouping import Grouper
from detector.incidents.lifecycle import Change
from detector.incidents.routing import Router
from detector.jobs.queues import change_incident
from detector.records import apply_scores, detection_record
from detector.scoring import Detector
from indexer.schema import DETECTOR_FIELDS, utcnow
from indexer.store import IncidentQuery, Query

if TYPE_CHECKING:
    from detector.config import DetectorConfig
    from detector.records import SourceInfo
    from indexer.schema import Post
    from indexer.store import Store

BATCH = 512  # posts scored at once
OPEN_INCIDENTS = 100_000  # open incidents read to group new posts into
DETECTOR = "detector"  # who, in an incident's history, for the detector's own changes


@dataclass
class DetectReport:
    """What one run did."""

    scored: int = 0
    changed: int = 0
    complaints: int = 0
    fake_suspects: int = 0
    threats: int = 0
    incidents_new: int = 0
    incidents_grown: int = 0
    factcheck_new: int = 0
    factcheck_grown: int = 0
    webhook_accepted: int | None = None  # None: no webhook configured
    webhook_pending: int = 0
    outbox: str | None = None

    def summary(self) -> str:
        """The one line the scheduler logs (it looks for the word ``scored``)."""
        return (f"scored {self.scored} posts and comments ({self.changed} changed): {self.complaints} complaints, "
                f"{self.fake_suspects} fake suspects, {self.threats} threats; routing incidents: "
                f"{self.incidents_new} new, {self.incidents_grown} grown; fact-check items: "
                f"{self.factcheck_new} new, {self.factcheck_grown} grown")


def run_detect(store: Store, config: DetectorConfig, *, sources: Mapping[str, SourceInfo] | None = None,
               since: datetime | None = None, detector: Detector | None = None) -> DetectReport:
    """Detect over the store's posts created since ``since`` (all when None). ``sources``: the
    watched pages by id, for their kind and default territory; ``detector``: one already loaded."""
    detector = detector or Detector.from_config(config)
    sources = sources or {}
    clusterer = Clusterer(threshold=config.clusters_threshold, containment=config.clusters_containment)
    window = timedelta(hours=config.incidents_window_hours)
    grouper = Grouper(Router.load(config.routing_file()), detector.lemmatizer, window=window, clusterer=clusterer,
                      reopen=timedelta(hours=config.incidents_reopen_hours))
    checker = FactChecker(clusterer, detector.lemmatizer, threshold=config.fakes_threshold,
                          spread_sources=config.fakes_spread_sources, spread_hours=config.fakes_spread_hours,
                          deadline_hours=config.factcheck_deadline_hours)
    posts = store.search(Query(since=since, limit=config.max_posts))
    grouper.add_open(store.find_incidents(IncidentQuery(queue="routing", status=("new", "assigned"),
                                                        limit=OPEN_INCIDENTS)))
    # answered and closed within the window: a new post about one of them is a repeat appeal
    grouper.add_open(store.find_incidents(IncidentQuery(queue="routing", status=("answered", "closed"),
                                                        status_since=utcnow() - window, limit=OPEN_INCIDENTS)))
    factcheck = store.find_incidents(IncidentQuery(queue="factcheck", limit=OPEN_INCIDENTS))
    checker.add_open(factcheck)
    if detector.fakes is not None:  # what fact-checkers found fake is matched from now on
        detector.fakes.registry.extend(reviewed_narratives(factcheck))
    before = {post.id: _findings(post) for post in posts}
    scored: list[dict[str, Any]] = []
    for start in range(0, len(posts), BATCH):
        scored += detector.score_many([detection_record(p, sources) for p in posts[start:start + BATCH]])
    for record, cluster in zip(scored, clusterer.add(scored), strict=True):
        record["cluster_id"] = cluster
    checked = checker.check(scored) if detector.fakes is not None else []
    grouped = grouper.group(scored)
    by_post = {pid: g.incident.id for g in grouped for pid in g.incident.post_ids}
    for post, result in zip(posts, scored, strict=True):
        apply_scores(post, result)
        post.cluster_id = result["cluster_id"]
        post.incident_id = by_post.get(post.id, post.incident_id if post.is_complaint or post.threat else None)
    changed = [post for post in posts if _findings(post) != before[post.id]]
    store.update_findings({post.id: post.findings() for post in changed})  # the detector's fields only
    store.upsert_incidents(list({i.id: i for i in grouper.open}.values()) + [c.incident for c in checked])
    # What the detector decides of an incident's status is a change like staff's: versioned, recorded.
    for grouped_incident in grouped:
        if grouped_incident.reopen:
            change_incident(store, grouped_incident.incident.id,
                            Change(by=DETECTOR, status="new", reason=grouped_incident.reopen))
    for item in checked:
        if item.withdrawn and item.incident.status == "new":
            change_incident(store, item.incident.id, Change(by=DETECTOR, status="closed", reason=item.withdrawn))
    report = DetectReport(
        scored=len(posts), changed=len(changed), complaints=sum(1 for r in scored if r["is_complaint"]),
        fake_suspects=sum(1 for r in scored if r.get("is_fake_suspect")),
        threats=sum(1 for r in scored if r.get("threat")),
        incidents_new=sum(1 for g in grouped if g.created), incidents_grown=sum(1 for g in grouped if not g.created),
        factcheck_new=sum(1 for c in checked if c.created), factcheck_grown=sum(1 for c in checked if not c.created))
    if config.incidents_webhook is not None:
        from detector.incidents.sinks import WebhookSink

        hook = config.incidents_webhook
        sink = WebhookSink(hook.url, hook.outbox, retries=hook.retries, backoff=hook.backoff)
        created = [g.incident for g in grouped if g.created] + [c.incident for c in checked if c.created]
        report.webhook_accepted = sink.send(created)
        report.webhook_pending, report.outbox = sink.pending(), str(sink.outbox)
    return report


def _findings(post: Post) -> tuple[Any, ...]:
    """What detection may change on a stored post."""
    return tuple(getattr(post, name) for name in DETECTOR_FIELDS)
