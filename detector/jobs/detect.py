"""``run_detect``: score stored posts, cluster near-copies, fill the fact-check queue and group
complaints and threats into incidents for the routing queue.

Incremental by default: a run scores the posts new or changed since its checkpoint (kept in the
store, moved only when the run's writes are done) and reads the history they are judged against
from the store (:mod:`detector.jobs.window`): a tick costs per new post, not per stored one. It
writes the findings of the posts it scored, the incidents they opened or grew, and the incidents
whose deadline passed since the last run (their stored ``overdue`` flag is what Kibana filters
on), and the official answers among the new comments and posts, each on the incident holding the
citizen's post it answers (:mod:`detector.answers.finding`). A full run (``full=True``, ``monitor detect --full``: after a model change) scores every post
of its window again and writes every open incident; the first run of a store is a full one.

Before scoring, fact-check items reviewed as fake with a debunk link join the debunk registry,
so the registry is the YAML file plus the store's decisions. New incidents go to the webhook
(``INCIDENTS_WEBHOOK_URL``) through its outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from detector.answers.finding import OfficialAccounts, find_answers, link_answers
from detector.incidents.clusters import Clusterer
from detector.incidents.factcheck import FactChecker, reviewed_narratives
from detector.incidents.grouping import Grouper
from detector.incidents.lifecycle import Change
from detector.incidents.routing import Router
from detector.jobs.queues import change_incident
from detector.jobs.window import read_context
from detector.records import apply_scores, detection_record, official_page, record_time
from detector.scoring import Detector
from indexer.schema import DETECTOR_FIELDS, utcnow
from indexer.store import Holding, IncidentQuery, Query

if TYPE_CHECKING:
    from detector.config import DetectorConfig
    from detector.records import SourceInfo
    from indexer.schema import Incident, Post
    from indexer.store import Store

BATCH = 512  # posts scored at once
OPEN_INCIDENTS = 100_000  # open incidents read to group new posts into
CHECKPOINT = "~detect"  # the store's cursor that holds the checkpoint
# Posts changed this long before the checkpoint are read again: a write in flight when the last
# run started (Elasticsearch shows it after its refresh), a crawl node's clock a little behind.
MARGIN = timedelta(minutes=2)
MERGE_DEPTH = 5  # merges of merges followed (A into B, then B into C, ...)
DETECTOR = "detector"  # who, in an incident's history, for the detector's own changes


@dataclass
class DetectReport:
    """What one run did."""

    mode: str = "incremental"  # or full
    context: int = 0  # stored posts read as history
    scored: int = 0
    changed: int = 0
    complaints: int = 0
    fake_suspects: int = 0
    threats: int = 0
    incidents_new: int = 0
    incidents_grown: int = 0
    answers: int = 0  # official answers found in this run's posts
    incidents_answered: int = 0  # incidents whose answers changed
    factcheck_new: int = 0
    factcheck_grown: int = 0
    webhook_accepted: int | None = None  # None: no webhook configured
    webhook_pending: int = 0
    webhook_busy: bool = False  # another process was sending the outbox: it sends these too
    outbox: str | None = None
    outbox_quarantined: int = 0  # unreadable outbox lines moved aside
    quarantine: str | None = None
    left: int = 0  # changed posts beyond what one run reads (DETECTOR_MAX_POSTS): the next run's

    def summary(self) -> str:
        """The one line the scheduler logs (it looks for the word ``scored``)."""
        return (f"{self.mode}: scored {self.scored} posts and comments ({self.changed} changed, {self.context} read "
                f"as history): {self.complaints} complaints, "
                f"{self.fake_suspects} fake suspects, {self.threats} threats; routing incidents: "
                f"{self.incidents_new} new, {self.incidents_grown} grown; fact-check items: "
                f"{self.factcheck_new} new, {self.factcheck_grown} grown"
                + (f"; official answers: {self.answers} found, {self.incidents_answered} incidents answered"
                   if self.answers else "")
                + (f"; {self.left} changed posts left for the next run" if self.left else ""))


def run_detect(store: Store, config: DetectorConfig, *, sources: Mapping[str, SourceInfo] | None = None,
               since: datetime | None = None, full: bool = False, detector: Detector | None = None,
               margin: timedelta = MARGIN, accounts: OfficialAccounts | None = None) -> DetectReport:
    """One detection run. Incremental from the store's checkpoint unless ``full`` or the store has
    none yet; ``since``: a full run over the posts created since then only (the checkpoint stays).
    ``sources``: the watched pages by id, for their kind and default territory; ``detector``: one
    already loaded; ``margin``: how long before the checkpoint changed posts are read again;
    ``accounts``: the official accounts whose comments and posts are answers (None: the official
    pages' own accounts only)."""
    detector = detector or Detector.from_config(config)
    sources = sources or {}
    accounts = OfficialAccounts(accounts.accounts if accounts else {},
                                {**{k: s.kind for k, s in sources.items()}, **(accounts.source_kinds if accounts else {})})
    started = utcnow()
    checkpoint = None if full or since is not None else _checkpoint(store)
    until: datetime | None = None  # set when more posts changed than one run reads: the rest wait
    clusterer = Clusterer(threshold=config.clusters_threshold, containment=config.clusters_containment)
    window = timedelta(hours=config.incidents_window_hours)
    grouper = Grouper(Router.load(config.routing_file()), detector.lemmatizer, window=window, clusterer=clusterer,
                      reopen=timedelta(hours=config.incidents_reopen_hours))
    checker = FactChecker(clusterer, detector.lemmatizer, threshold=config.fakes_threshold,
                          spread_sources=config.fakes_spread_sources, spread_hours=config.fakes_spread_hours,
                          deadline_hours=config.factcheck_deadline_hours)
    factcheck = store.find_incidents(IncidentQuery(queue="factcheck", limit=OPEN_INCIDENTS))
    checker.add_open(factcheck)
    if detector.fakes is not None:  # what fact-checkers found fake is matched from now on
        detector.fakes.registry.extend(reviewed_narratives(factcheck))
    if checkpoint is None:
        posts = store.search(Query(since=since, limit=config.max_posts))
        context: list[dict[str, Any]] = []
    else:
        posts = store.search(Query(changed_since=checkpoint - margin, limit=config.max_posts))
        if len(posts) >= config.max_posts:  # perhaps more changed than one run reads: the oldest first
            until = _changed_until(store, checkpoint - margin, config.max_posts)
            if until is not None:
                posts = store.search(Query(changed_since=checkpoint - margin, changed_until=until,
                                           limit=config.max_posts))
        context = read_context(store, posts, clusterer, window=window, sources=sources)
    scored = _score(detector, posts, sources, accounts)
    if checkpoint is not None and any(_official_denial(r) for r in scored):
        # A new denial reaches the stories already in the queue: their posts are scored again.
        again = _posts_of(store, factcheck, {p.id for p in posts})
        context = [r for r in context if r["id"] not in {p.id for p in again}]
        posts, scored = posts + again, scored + _score(detector, again, sources, accounts)
    clusterer.add(context)  # history first: a new post joins an earlier cluster
    for record, cluster in zip(scored, clusterer.add(scored), strict=True):
        record["cluster_id"] = cluster
    opened = min((record_time(r.get("created_at")) for r in scored), default=started)
    updated_since = None if checkpoint is None else opened - window
    holding = None if checkpoint is None else _joinable(scored, clusterer)  # a tick reads only these
    grouper.add_open(store.find_incidents(IncidentQuery(queue="routing", status=("new", "assigned"),
                                                        updated_since=updated_since, holding=holding,
                                                        limit=OPEN_INCIDENTS)))
    # answered and closed within the window: a new post about one of them is a repeat appeal
    grouper.add_open(store.find_incidents(IncidentQuery(queue="routing", status=("answered", "closed"),
                                                        status_since=min(opened, started) - window,
                                                        holding=holding, limit=OPEN_INCIDENTS)))
    _add_merge_targets(store, grouper)
    checked = checker.check(scored + context) if detector.fakes is not None else []
    grouped = grouper.group(scored)
    by_post = {pid: g.incident.id for g in grouped for pid in g.incident.post_ids}
    before = {post.id: _findings(post) for post in posts}
    for post, result in zip(posts, scored, strict=True):
        apply_scores(post, result)
        post.cluster_id = result["cluster_id"]
        post.bands = clusterer.keys_of.get(post.id)
        post.incident_id = by_post.get(post.id, post.incident_id if _grouped_kind(post) else None)
    changed = [post for post in posts if _findings(post) != before[post.id]]
    store.update_findings({post.id: post.findings() for post in changed})  # the detector's fields only
    if checkpoint is None:  # a full run writes every open incident (their overdue flags with them)
        incidents = list({i.id: i for i in grouper.open}.values())
    else:  # the incidents this run touched, and those whose deadline passed since the last run
        incidents = list({i.id: i for i in [g.incident for g in grouped] + store.find_incidents(IncidentQuery(
            status=("new", "assigned"), due_since=checkpoint - margin, due_until=started,
            limit=OPEN_INCIDENTS))}.values())
    found = find_answers(posts, accounts)
    answered = link_answers(store, found, incidents)  # in place on those about to be written
    incidents = list(({i.id: i for i in incidents} | {i.id: i for i in answered}).values())
    store.upsert_incidents(incidents + [c.incident for c in checked])
    # What the detector decides of an incident's status is a change like staff's: versioned, recorded.
    for grouped_incident in grouped:
        if grouped_incident.reopen:
            change_incident(store, grouped_incident.incident.id,
                            Change(by=DETECTOR, status="new", reason=grouped_incident.reopen))
    for item in checked:
        if item.withdrawn and item.incident.status == "new":
            change_incident(store, item.incident.id, Change(by=DETECTOR, status="closed", reason=item.withdrawn))
    if since is None:  # after more changes than one run reads, the next run goes on where this one stopped
        store.set_cursor(CHECKPOINT, {"at": (until + margin if until is not None else started).isoformat()})
    report = DetectReport(
        mode="full" if checkpoint is None else "incremental", context=len(context),
        scored=len(posts), changed=len(changed), complaints=sum(1 for r in scored if r["is_complaint"]),
        fake_suspects=sum(1 for r in scored if r.get("is_fake_suspect")),
        threats=sum(1 for r in scored if r.get("threat")),
        incidents_new=sum(1 for g in grouped if g.created), incidents_grown=sum(1 for g in grouped if not g.created),
        factcheck_new=sum(1 for c in checked if c.created), factcheck_grown=sum(1 for c in checked if not c.created),
        answers=len(found), incidents_answered=len(answered),
        left=store.count(Query(changed_since=until)) if until is not None else 0)
    if config.incidents_webhook is not None:
        sink = config.incidents_webhook.sink()
        created = [g.incident for g in grouped if g.created] + [c.incident for c in checked if c.created]
        report.webhook_accepted = sink.send(created)
        report.webhook_pending, report.webhook_busy, report.outbox = sink.pending(), sink.busy, str(sink.outbox)
        report.outbox_quarantined, report.quarantine = sink.quarantined, str(sink.quarantine)
    return report


def _changed_until(store: Store, since: datetime, limit: int) -> datetime | None:
    """None when every post changed since ``since`` fits in one run; else the moment before which
    the oldest ``limit`` of them changed, found by halving the time between (counts are cheap on
    both stores), so this run reads those and the next the rest: none is skipped."""
    if store.count(Query(changed_since=since)) <= limit:
        return None
    low, high = since, utcnow() + timedelta(seconds=1)
    while high - low > timedelta(milliseconds=1):
        middle = low + (high - low) / 2
        if store.count(Query(changed_since=since, changed_until=middle)) <= limit:
            low = middle
        else:
            high = middle
    return low if low > since else high  # more than ``limit`` in one millisecond: a run reads ``limit`` of them


def _joinable(scored: Sequence[Mapping[str, Any]], clusterer: Clusterer) -> Holding:
    """What the incidents the scored posts can join hold (``Grouper._candidates``): the posts
    themselves (one grouped by an earlier run stays there), their thread roots, their clusters and
    every post of those clusters, their streets. Only complaints and threats are grouped."""
    scored = [r for r in scored if (r.get("is_complaint") and r.get("sector")) or r.get("threat")]
    clusters = sorted({str(r["cluster_id"]) for r in scored if r.get("cluster_id")})
    posts = {str(r["id"]) for r in scored} | {str(r["thread_root"]) for r in scored if r.get("thread_root")}
    for cluster_id in clusters:
        cluster = clusterer.clusters.get(cluster_id)
        posts.update(cluster.posts if cluster is not None else ())
    streets = set()
    for record in scored:
        place = record.get("territory") or {}
        if place.get("street"):
            streets.add((place.get("municipality"), str(place["street"])))
    return Holding(post_ids=tuple(sorted(posts)), clusters=tuple(clusters), streets=tuple(sorted(streets, key=str)))


def _add_merge_targets(store: Store, grouper: Grouper) -> None:
    """The incidents staff merged loaded ones into, whatever their status or age: a post of a
    merged incident's story joins the incident it was merged into."""
    for _ in range(MERGE_DEPTH):
        missing = grouper.merged_targets()
        if not missing:
            return
        grouper.add_open([i for i in (store.get_incident(target) for target in sorted(missing)) if i is not None])


def _checkpoint(store: Store) -> datetime | None:
    """When the last run that moved the checkpoint started (None: no run yet, or it does not parse)."""
    stored = store.get_cursor(CHECKPOINT) or {}
    try:
        return datetime.fromisoformat(str(stored["at"]))
    except (KeyError, ValueError):
        return None


def _score(detector: Detector, posts: Sequence[Post], sources: Mapping[str, SourceInfo],
           accounts: OfficialAccounts) -> list[dict[str, Any]]:
    scored: list[dict[str, Any]] = []
    for start in range(0, len(posts), BATCH):
        scored += detector.score_many([_record(p, sources, accounts) for p in posts[start:start + BATCH]])
    return scored


def _record(post: Post, sources: Mapping[str, SourceInfo], accounts: OfficialAccounts) -> dict[str, Any]:
    """A post as the detector reads it; a named official account's words are a body's, never a complaint."""
    record = detection_record(post, sources)
    if accounts.named(post):
        record["official"] = True
    return record


def _official_denial(record: Mapping[str, Any]) -> bool:
    return official_page(record) and bool((record.get("fake_evidence") or {}).get("denial"))


def _posts_of(store: Store, items: Sequence[Incident], scored: set[str]) -> list[Post]:
    """The stored posts of the fact-check items still undecided, but for those in ``scored``."""
    ids = sorted({pid for item in items if item.status != "closed" for pid in item.post_ids} - scored)
    return store.search(Query(ids=tuple(ids), limit=len(ids))) if ids else []


def _findings(post: Post) -> tuple[Any, ...]:
    """What detection may change on a stored post."""
    return tuple(getattr(post, name) for name in DETECTOR_FIELDS)


def _grouped_kind(post: Post) -> bool:
    """Whether a post may stay in its routing incident: a complaint, a threat, a reported emergency."""
    return bool(post.is_complaint or post.threat or (post.fake_evidence or {}).get("emergency"))
