"""``monitor score``, ``train``, ``eval complaints`` and ``detect``: the detector from the command line.

``monitor score`` reads JSON Lines and writes JSON Lines, one output line per input line, in order.
Labelled files carry gold fields (``is_complaint``, ``sector``, ``territory``, ``negative``); they
are removed before scoring, so a label can never leak into a score.
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, Iterator, Sequence

from detector.evaluation import Report, evaluate
from detector.model import PORTAL, ComplaintModel, Example
from detector.posts import apply_scores, detection_record
from detector.scorer import Detector

GOLD = ("is_complaint", "sector", "territory", "negative")
REAL_COMPLAINTS = 300  # real appeals added to the complaint model's positives
SPB_APPEALS = Path("../shared/data/spb_appeals_2020.jsonl")


def read_jsonl(path: Path | str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def unlabelled(record: dict[str, Any], gold: Sequence[str] = GOLD) -> dict[str, Any]:
    """``record`` without its gold fields, so a label can never leak into a score."""
    return {k: v for k, v in record.items() if k not in gold}


def score_stream(detector: Detector, lines: IO[str], out: IO[str], batch: int = 256) -> int:
    """Score ``lines`` (JSON Lines) to ``out`` in order; a line that is not a JSON object gets an
    ``error`` field instead of scores, so line numbers still match."""
    count = 0
    for chunk in _chunks(lines, batch):
        records, errors = [], {}
        for n, line in enumerate(chunk):
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or "text" not in record:
                    raise ValueError("expected an object with at least 'id' and 'text'")
            except ValueError as exc:
                errors[n] = {"error": f"line {count + n + 1}: {exc}"}
                record = {"text": ""}
            records.append(record)
        scored = detector.score_many(records)
        for n, result in enumerate(scored):
            out.write(json.dumps(errors.get(n, result), ensure_ascii=False) + "\n")
        count += len(chunk)
    return count


def _chunks(lines: IO[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for line in lines:
        if not line.strip():
            continue
        chunk.append(line)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def train(detector: Detector, data: list[Path], output: Path, *, extra_sectors: Path | None = None,
          seed: int = 13) -> ComplaintModel:
    examples = labelled_examples(detector, [r for path in data for r in read_jsonl(path)])
    appeals = appeal_examples(detector, _spb_split(read_jsonl(extra_sectors))[0]) if extra_sectors else []
    examples, sector_examples = with_appeals(examples, appeals, seed)
    started = time.perf_counter()
    model = ComplaintModel.train(examples, detector.signal_names, seed=seed, sector_examples=sector_examples,
                                 vectors=detector.word_vectors(),
                                 meta={"data": [str(p) for p in data], "seed": seed,
                                       "extra_sectors": str(extra_sectors) if extra_sectors else None,
                                       "examples": len(examples), "sector_examples": len(sector_examples)})
    model.save(output)
    print(f"trained on {len(examples)} labelled items" + (f" + {len(sector_examples)} portal appeals (sectors only)"
                                                        if sector_examples else "")
          + f" in {time.perf_counter() - started:.1f}s → {output}")
    return model


def labelled_examples(detector: Detector, records: list[dict[str, Any]]) -> list[Example]:
    return [detector.labelled_example(unlabelled(r), bool(r.get("is_complaint")), r.get("sector")) for r in records]


def appeal_examples(detector: Detector, rows: list[dict[str, Any]]) -> list[Example]:
    """Real appeals as the model sees them: the text and the platform (the portal gives no page
    or author)."""
    return [detector.labelled_example(appeal_record(r), True, r["sector"]) for r in rows]


def appeal_record(row: dict[str, Any]) -> dict[str, Any]:
    """What the detector reads of a real appeal: its text, written to a city portal, whose
    categories the sector model learns as the portal's own (``detector.model.by_domain``)."""
    return {"id": row["id"], "text": row["text"], "platform": PORTAL}


def with_appeals(examples: list[Example], appeals: list[Example], seed: int) -> tuple[list[Example], list[Example]]:
    """Our labelled posts plus a few hundred real appeals, and the other appeals (sectors only).

    The few hundred teach the complaint model the portal's formal style: without them it finds 39%
    of the real appeals, with 300 it finds 96%, at the same F1 on our posts. Portal appeals among
    our labelled files (``raw/part_f``, ``part_g``: written for the portal's winter and its stop
    signs) teach the sector model only: in the complaint model too they cost 0.006 of the
    cross-validated complaint F1."""
    rng = random.Random(seed)
    picked = set(rng.sample(range(len(appeals)), min(REAL_COMPLAINTS, len(appeals))))
    return ([e for e in examples if e.domain != PORTAL] + [e for n, e in enumerate(appeals) if n in picked],
            [e for n, e in enumerate(appeals) if n not in picked] + [e for e in examples if e.domain == PORTAL])


def _spb_split(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The real appeals by id order (the portal's ids grow with time): the first 70% to train on,
    the later 30% to test on, keeping only appeals with an unambiguous sector."""
    rows = sorted((r for r in rows if r.get("sector")), key=lambda r: int("".join(filter(str.isdigit, r["id"]))))
    cut = int(len(rows) * 0.7)
    return rows[:cut], rows[cut:]


def evaluate_files(detector: Detector, data: list[Path], *, real_appeals: Path | None = None) -> list[Report]:
    reports = []
    for path in data:
        records = read_jsonl(path)
        scored = detector.score_many([unlabelled(r) for r in records])
        reports.append(evaluate(str(path), zip(records, scored, strict=True)))
    if real_appeals is not None and real_appeals.exists():
        test = _spb_split(read_jsonl(real_appeals))[1]
        scored = detector.score_many([appeal_record(r) for r in test])
        gold = [{"is_complaint": True, "sector": r["sector"]} for r in test]
        report = evaluate(f"{real_appeals} (later 30% by id, sector labelled)", zip(gold, scored, strict=True))
        reports.append(report)
    return reports


def print_reports(reports: list[Report], out: IO[str] = sys.stdout) -> None:
    for report in reports:
        for line in report.lines():
            print(line, file=out)


def run_detect(settings: Any, since: datetime | None, *, out: IO[str] = sys.stdout) -> int:
    """Re-score stored posts (after a crawl, or a model or lexicon change), cluster near-copies,
    put stories with fake suspects in the fact-check queue and group complaints and threats into
    incidents in the routing queue."""
    from crawler.watchlist import load_watchlist
    from detector.clusters import Clusterer
    from detector.factcheck import FactChecker, reviewed_narratives
    from detector.incidents import Grouper
    from detector.routing import Router
    from indexer.store import IncidentQuery, Query
    from indexer.backends import open_store

    detector = Detector.from_settings(settings)
    clusterer = Clusterer(threshold=settings.getfloat("CLUSTERS_THRESHOLD"),
                          containment=settings.getfloat("CLUSTERS_CONTAINMENT"))
    window = timedelta(hours=settings.getfloat("INCIDENTS_WINDOW_HOURS"))
    grouper = Grouper(Router.load(settings.get("DETECTOR_ROUTING")), detector.lemmatizer, window=window,
                      clusterer=clusterer)
    checker = FactChecker(clusterer, detector.lemmatizer, threshold=settings.getfloat("FAKES_THRESHOLD"),
                          spread_sources=settings.getint("FAKES_SPREAD_SOURCES"),
                          spread_hours=settings.getfloat("FAKES_SPREAD_HOURS"),
                          deadline_hours=settings.getfloat("FACTCHECK_DEADLINE_HOURS"))
    sources = {s.id: s for s in load_watchlist(settings.get("WATCHLIST")).sources}
    store = open_store(settings.get("INDEXER_STORE_URL"), settings)
    try:
        posts = store.search(Query(since=since, limit=settings.getint("DETECTOR_MAX_POSTS")))
        grouper.add_open(store.find_incidents(IncidentQuery(queue="routing", status=("new", "assigned"),
                                                            limit=100_000)))
        factcheck = store.find_incidents(IncidentQuery(queue="factcheck", limit=100_000))
        checker.add_open(factcheck)
        if detector.fakes is not None:  # what fact-checkers found fake is matched from now on
            detector.fakes.registry.extend(reviewed_narratives(factcheck))
        before = {post.id: _findings(post) for post in posts}
        scored: list[dict[str, Any]] = []
        for start in range(0, len(posts), 512):
            scored += detector.score_many([detection_record(p, sources) for p in posts[start:start + 512]])
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
        store.upsert(changed)  # the scheduler re-reads 72 h every 5 minutes: write only what changed
        # Every open incident is written again, not only the new and grown ones, so the stored
        # `overdue` flag (what Kibana filters on) flips when a deadline passes.
        store.upsert_incidents(list({i.id: i for i in grouper.open}.values()) + [c.incident for c in checked])
    finally:
        store.close()
    complaints = sum(1 for r in scored if r["is_complaint"])
    suspects = sum(1 for r in scored if r.get("is_fake_suspect"))
    threats = sum(1 for r in scored if r.get("threat"))
    created = [g.incident for g in grouped if g.created] + [c.incident for c in checked if c.created]
    print(f"scored {len(posts)} posts and comments ({len(changed)} changed): {complaints} complaints, "
          f"{suspects} fake suspects, {threats} threats; routing incidents: "
          f"{sum(1 for g in grouped if g.created)} new, {sum(1 for g in grouped if not g.created)} grown; "
          f"fact-check items: {sum(1 for c in checked if c.created)} new, "
          f"{sum(1 for c in checked if not c.created)} grown", file=out)
    if settings.get("INCIDENTS_WEBHOOK_URL"):
        from detector.sinks import WebhookSink

        sink = WebhookSink(settings.get("INCIDENTS_WEBHOOK_URL"), settings.get("INCIDENTS_OUTBOX"),
                           retries=settings.getint("INCIDENTS_WEBHOOK_RETRIES"),
                           backoff=settings.getfloat("INCIDENTS_WEBHOOK_BACKOFF"))
        accepted = sink.send(created)
        print(f"webhook: {accepted} incidents accepted, {sink.pending()} waiting in {sink.outbox}", file=out)
    return 0


def _findings(post: Any) -> tuple[Any, ...]:
    """What ``monitor detect`` may change on a stored post."""
    return (post.source_kind, post.complaint, post.is_complaint, post.sector, post.territory, post.incident_id,
            post.cluster_id, post.fake, post.is_fake_suspect, post.threat, post.fake_evidence)
