"""Spike detection over the store or over scored posts in a file, and alerts made into crises.

Over the store: ``Store.count_buckets`` gives the series (``SPIKES_HISTORY_DAYS`` of history before
``since``; for stories, the last ``SPIKES_STORY_HOURS``); each alert from ``since`` on is
explained from one bounded read of its window and what came before it, and becomes a ``crisis``
incident in the routing queue with high priority. Its id is the series and the bucket it was
found in, so a re-run finds the same crisis again and only refreshes its posts and evidence
(staff's status is kept); the scheduler runs it every bucket. Over a file: one pass
(:mod:`detector.crises.stream`), each alert explained from the sampled posts of its series.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence

from detector.crises.detect import Alert, SpikeConfig, SpikeDetector
from detector.crises.explain import Explainer
from detector.crises.series import BY_CLUSTER, BY_TERRITORY, Counts, SeriesKey, growing_stories
from detector.crises.stream import SeriesStream
from detector.incidents.routing import Router
from indexer.schema import Incident, Post, Territory
from indexer.store import Query, Store

BASELINE_DAYS = 7  # the period new words are compared with (--from-jsonl: its sample)
EXPLAIN_POSTS = 2_000  # posts read (newest first) to explain one alert: one bounded read per alert


def store_key(record: Mapping[str, Any]) -> SeriesKey | None:
    """A stored post's sector × territory series (as ``count_buckets`` groups it)."""
    place = record.get("territory") or {}
    if not record.get("sector"):
        return None
    return SeriesKey(record["sector"], place.get("district") or place.get("municipality"))


def in_series(key: SeriesKey, record: Mapping[str, Any]) -> bool:
    if key.cluster is not None:
        return record.get("cluster_id") == key.cluster
    return store_key(record) == key


def store_counts(store: Store, config: SpikeConfig, since: datetime, until: datetime) -> Counts:
    """Every sector × territory series over the history, and the growing stories of the last
    ``story_hours`` (:func:`~detector.crises.series.growing_stories`)."""
    start = since - timedelta(days=config.history_days, hours=config.gap_hours)
    rows = [(SeriesKey.from_row(BY_TERRITORY, r.key), r.start, r.count)
            for r in store.count_buckets(start, until, config.bucket, by=BY_TERRITORY)]
    # Before the first stored complaint the store knows nothing: that is not a silent history.
    first = min((when for _, when, _ in rows), default=start)
    if config.stories and "cluster_id" in {f.name for f in dataclasses.fields(Post)}:
        recent = until - timedelta(hours=config.story_hours)
        rows += growing_stories(((SeriesKey.from_row(BY_CLUSTER, r.key), r.start, r.count)
                                 for r in store.count_buckets(recent, until, config.bucket, by=BY_CLUSTER)
                                 if r.key[0]), until, hours=config.story_hours, stories=config.stories,
                                min_count=config.min_count)
    return Counts.build(rows, config.bucket, max(start, first), until)


def detect_in_store(store: Store, config: SpikeConfig, since: datetime, until: datetime,
                    explainer: Explainer) -> list[tuple[Alert, list[dict[str, Any]]]]:
    """Alerts from ``since`` on, each explained, with the posts of its window."""
    counts = store_counts(store, config, since, until)
    alerts = SpikeDetector(config).detect(counts, report_from=max(0, counts.index(since)))
    found = []
    for alert in alerts:
        posts, before = _window_posts(store, alert, config.bucket, config.story_hours)
        alert.explanation = explainer.explain(alert, posts, before, alert.window * config.bucket / timedelta(hours=1))
        found.append((alert, posts))
    return found


def _window_posts(store: Store, alert: Alert, bucket: timedelta,
                  story_hours: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One bounded read for one alert, newest first: its window, then as far back into the week
    before (a story: into its last ``story_hours``) as ``EXPLAIN_POSTS`` reaches. The series'
    complaints in the window are explained against what came before them: the series' own posts
    when there are 30, else its sector's, else every post read."""
    begin = alert.start - (alert.window - 1) * bucket
    story = (alert.key.cluster,) if alert.key.cluster is not None else None
    back = timedelta(hours=story_hours) if story else timedelta(days=BASELINE_DAYS)
    posts: list[dict[str, Any]] = []
    before: list[dict[str, Any]] = []
    for post in store.search(Query(since=begin - back, until=alert.start + bucket, cluster_ids=story,
                                   limit=EXPLAIN_POSTS)):
        if post.is_complaint and post.created_at is not None and post.created_at >= begin:
            if in_series(alert.key, record := post.to_dict()):
                posts.append(record)
        elif post.created_at is not None and post.created_at < begin:
            before.append(post.to_dict())
    own = [r for r in before if in_series(alert.key, r)]
    sector = [r for r in before if r.get("sector") == alert.key.sector]
    return posts, own if len(own) >= 30 else sector or before


def detect_in_records(records: Iterable[Mapping[str, Any]], config: SpikeConfig,
                      explainer: Explainer) -> list[Alert]:
    """``monitor spikes --from-jsonl``: the same detector over scored posts (see the CLI's help),
    read once (:class:`~detector.crises.stream.SeriesStream`)."""
    stream = SeriesStream(config.bucket, story_hours=config.story_hours).add_all(records)
    cells = stream.cells()
    if stream.last_slot is not None and config.stories:
        until = stream.time(stream.last_slot + 1)
        cells += growing_stories(stream.story_cells(), until, hours=config.story_hours, stories=config.stories,
                                 min_count=config.min_count)
    counts = Counts.build(cells, config.bucket)
    alerts = SpikeDetector(config).detect(counts)
    hours = config.bucket / timedelta(hours=1)
    rows = {key: n for n, key in enumerate(counts.keys)}
    for alert in alerts:
        begin = alert.start - (alert.window - 1) * config.bucket
        window = stream.sample(alert.key, begin, alert.start + config.bucket)
        before = stream.sample(alert.key, begin - timedelta(days=BASELINE_DAYS), begin)
        if len(before) < 30:
            before = [p for key in counts.keys if key.cluster is None
                      for p in stream.sample(key, begin - timedelta(days=BASELINE_DAYS), begin)]
        alert.explanation = explainer.explain(alert, window, before, alert.window * hours)
        alert.explanation["bucket_count"] = int(counts.matrix[rows[alert.key], alert.index])
    return alerts


def alert_line(alert: Alert, bucket: timedelta) -> dict[str, Any]:
    """One ``monitor spikes --from-jsonl`` output line."""
    return {"series": str(alert.key), **alert.key.as_dict(), "bucket_start": alert.start.isoformat(),
            "bucket_hours": bucket / timedelta(hours=1), "window_buckets": alert.window, "count": alert.count,
            "baseline": alert.expected, "p_value": alert.p_value, "significance": alert.significance,
            "explanation": alert.explanation}


def crisis_incident(alert: Alert, posts: Sequence[Mapping[str, Any]], router: Router, lemmas: Sequence[str],
                    bucket: timedelta, sector_names: Mapping[str, str]) -> Incident:
    """A crisis in the routing queue: high priority, routed as its sector and territory are, titled
    with the sector's name (``sector_names``: code → name, from :mod:`detector.sectors`)."""
    places = Counter((p.get("territory") or {}).get("municipality") for p in posts)
    town = next((t for t, _ in places.most_common() if t), None)
    district = alert.key.territory if alert.key.territory != town else None
    route = router.route(alert.key.sector, town, district, lemmas, alert.start)
    digest = hashlib.sha1(str(alert.key).encode()).hexdigest()[:8]
    where = alert.key.territory or "территория не указана"
    what = sector_names.get(alert.key.sector or "", alert.key.sector or f"сюжет {alert.key.cluster}")
    words = ", ".join(alert.explanation.get("new_words", [])[:5])
    return Incident(
        id=f"crisis-{digest}-{alert.start:%Y%m%d%H%M}", kind="crisis", queue="routing", priority="high",
        opened_at=alert.start + bucket, updated_at=alert.start + bucket, sector=alert.key.sector,
        territory=Territory(town, district, None, None, None, None, "text") if town or district else None,
        body=route.body, deadline=alert.start + bucket + timedelta(hours=min(route.deadline_hours, 24.0)),
        title=f"Всплеск: {what}, {where} — {alert.explanation.get('why', '')}",
        summary=f"новые слова: {words}" if words else "", post_ids=[str(p["id"]) for p in posts][:500],
        sources=[s for s, _ in alert.explanation.get("sources", [])], cluster_id=alert.key.cluster,
        evidence={"spike": {"series": str(alert.key), "bucket_start": alert.start.isoformat(),
                            "window_buckets": alert.window, "count": alert.count, "baseline": alert.expected,
                            "p_value": alert.p_value, "significance": alert.significance},
                  "explanation": alert.explanation, "route": route.why, "fast_track": route.fast_track})


def merge(found: Incident, stored: Incident | None) -> Incident:
    """A crisis found again keeps what staff did with it (status, closing)."""
    if stored is None:
        return found
    found.status, found.closed_at, found.opened_at = stored.status, stored.closed_at, stored.opened_at
    return found
