"""``run_spikes``: emerging crises in the store, as incidents in the routing queue; and
``spikes_in_records``: the same detector over scored posts from a file.

Each alert from ``since`` on is explained from the posts of its window and the week before, and
becomes a high-priority ``crisis`` incident whose id is the series and the hour: a re-run
refreshes it (keeping what staff did with it) and only new ones go to the crisis webhook
(``SPIKES_WEBHOOK_URL``) and to Telegram (``SPIKES_TELEGRAM_TOKEN`` and ``_CHAT_ID``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import IO, TYPE_CHECKING, Any, Iterable, Iterator, Mapping

import orjson

from detector.crises.alerts import alert_line, crisis_incident, detect_in_records, detect_in_store, merge
from detector.crises.explain import Explainer
from detector.crises.series import parse_bucket
from detector.exceptions import DataError
from detector.incidents.routing import Router
from detector.sectors import load_sectors
from detector.text.lemmas import Lemmatizer

if TYPE_CHECKING:
    from detector.config import DetectorConfig
    from indexer.schema import Incident
    from indexer.store import Store

EXPLAINED_POSTS = 200  # posts whose lemmas route a crisis (its fast-track topics)


@dataclass
class Delivery:
    """What one alert sink did with a run's new crises."""

    sink: str
    accepted: int
    pending: int
    outbox: str
    busy: bool = False  # another process was sending the outbox: it sends these too
    quarantined: int = 0  # unreadable outbox lines moved to ``quarantine``
    quarantine: str = ""


@dataclass
class SpikesReport:
    since: datetime
    crises: list[Incident] = field(default_factory=list)  # every crisis found, merged with the stored one
    new: list[Incident] = field(default_factory=list)  # those the store did not have
    deliveries: list[Delivery] = field(default_factory=list)

    def summary(self) -> str:
        return f"spikes since {self.since:%Y-%m-%d %H:%M}: {len(self.crises)} crises ({len(self.new)} new)"


def run_spikes(store: Store, config: DetectorConfig, since: datetime | None = None,
               until: datetime | None = None) -> SpikesReport:
    """Spikes in the store from ``since`` (default: a day before ``until``, itself now by default)."""
    spike_config = config.spike_config()
    until = until or datetime.now(timezone.utc)
    since = since or until - timedelta(days=1)
    lemmatizer = Lemmatizer()
    router = Router.load(config.routing_file())
    names = {sector.code: sector.name for sector in load_sectors(config.sectors_file())}
    report = SpikesReport(since)
    for alert, posts in detect_in_store(store, spike_config, since, until, Explainer(lemmatizer)):
        lemmas = lemmatizer.lemmas(" ".join(str(p.get("text") or "") for p in posts[:EXPLAINED_POSTS]))
        incident = crisis_incident(alert, posts, router, lemmas, spike_config.bucket, names)
        stored = store.get_incident(incident.id)
        report.crises.append(merge(incident, stored))
        if stored is None:
            report.new.append(incident)
    store.upsert_incidents(report.crises)
    report.deliveries = send_crises(config, report.new)
    return report


def send_crises(config: DetectorConfig, crises: list[Incident]) -> list[Delivery]:
    """Queue ``crises`` in each configured sink's outbox and deliver what waits there."""
    from detector.incidents.sinks import WebhookSink

    sinks: list[WebhookSink] = []
    if config.spikes_webhook is not None:
        sinks.append(config.spikes_webhook.sink())
    if config.spikes_telegram is not None:
        sinks.append(config.spikes_telegram.sink())
    deliveries = []
    for sink in sinks:
        accepted = sink.send(crises)
        deliveries.append(Delivery(type(sink).__name__, accepted, sink.pending(), str(sink.outbox), sink.busy,
                                   sink.quarantined, str(sink.quarantine)))
    return deliveries


def spikes_in_records(records: Iterable[Mapping[str, Any]], config: DetectorConfig,
                      bucket: str | None = None) -> Iterator[dict[str, Any]]:
    """Alerts over scored posts (``monitor spikes --from-jsonl``), one output line each; the
    records are read once, as they come (a generator is never held whole)."""
    spike_config = config.spike_config(**({"bucket": parse_bucket(bucket)} if bucket else {}))
    for alert in detect_in_records(records, spike_config, Explainer(Lemmatizer())):
        yield alert_line(alert, spike_config.bucket)


def read_scored(lines: IO[bytes], name: str) -> Iterator[dict[str, Any]]:
    """The JSON objects of JSON Lines that carry a sector, one at a time; a line that is not a JSON
    object names ``name`` and its number (:class:`~detector.exceptions.DataError`).

    A post without a sector counts in no series, and most scored posts are not complaints: a line
    whose only ``"sector"`` key is null is passed over without being parsed (the key's quotes
    cannot occur unescaped inside a string), once it looks like a whole object. Lines are read a
    megabyte at a time, so passing over them stays in C."""
    number = 0
    while batch := lines.readlines(1 << 20):
        for n in [n for n, line in enumerate(batch) if not (b'"sector":null' in line or b'"sector": null' in line)
                  or not _quiet(line)]:
            line = batch[n]
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise DataError(f"{name}:{number + n + 1}: not JSON ({exc})") from exc
            if not isinstance(record, dict):
                raise DataError(f"{name}:{number + n + 1}: expected a JSON object, got {type(record).__name__}")
            yield record
        number += len(batch)


def _quiet(line: bytes) -> bool:
    """A whole object whose only ``"sector"`` is null: nothing to count, nothing to parse."""
    return line.startswith(b"{") and line.endswith((b"}\n", b"}")) and line.count(b'"sector"') == 1

