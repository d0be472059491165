"""``monitor spikes`` and ``monitor eval spikes``: emerging crises from the command line.

``monitor spikes`` finds spikes in the store since ``--since`` (the scheduler runs it every
``SCHEDULE_SPIKES_INTERVAL``), writes each new crisis to the routing queue and sends it to the
webhook (``SPIKES_WEBHOOK_URL``) and to Telegram (``SPIKES_TELEGRAM_TOKEN`` and ``_CHAT_ID``).
``--from-jsonl`` runs the same detector over scored posts in a file instead (``SPIKES_CONTRACT``).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone
from typing import IO, Any

from detector.spikes.detect import SpikeConfig

SPIKES_CONTRACT = """Find spikes (emerging crises) per sector × territory, and say why.

--from-jsonl FILE: one scored post per line: "id", "created_at" (ISO 8601; no zone means UTC),
"sector", "territory" (an object with "district" and/or "street" (and "municipality"), or a
string), optional "text" (for the new words and phrases) and "cluster_id". A post counts in the
series of its sector × territory (the district, else the town, else the street, else the
string; "*" when none), and in its cluster's series when it has one. Posts without a sector or
a date are skipped. Output: one JSON line per alert, in order of series then time:
  series          "sector:territory" (or "cluster:<id>")
  sector, territory
  bucket_start    ISO 8601 start of the bucket in which the spike was found
  bucket_hours    the bucket (--bucket: 1h default, 1d, ...)
  window_buckets  how many buckets, ending with this one, the test covered
  count           posts in those buckets
  baseline        posts the baseline expected there
  p_value, significance   the tail probability after the windows' correction, and −log10 of it
  explanation     {"why", "count", "baseline", "window_hours", "new_words", "new_phrases",
                   "top_streets", "sources", "examples", "bucket_count" (this bucket alone)}
Without --from-jsonl: the store's complaints since --since; new crises go to the routing queue.
"""


def config(settings: Any, bucket: str | None = None) -> SpikeConfig:
    from detector.spikes.series import parse_bucket

    return SpikeConfig.from_settings(settings, **({"bucket": parse_bucket(bucket)} if bucket else {}))


def run_from_jsonl(settings: Any, path: str, bucket: str | None, out: IO[str] | None = None) -> int:
    from detector.spikes.crises import alert_line, detect_in_records
    from detector.spikes.explain import Explainer
    from detector.text import Lemmatizer

    spike_config = config(settings, bucket)
    source = sys.stdin if path == "-" else open(path, encoding="utf-8")
    try:
        records = [json.loads(line) for line in source if line.strip()]
    finally:
        if source is not sys.stdin:
            source.close()
    out = out or sys.stdout
    explainer = Explainer(Lemmatizer() if any(r.get("text") for r in records) else None)
    for alert in detect_in_records(records, spike_config, explainer):
        out.write(json.dumps(alert_line(alert, spike_config.bucket), ensure_ascii=False) + "\n")
    return 0


def run_spikes(settings: Any, since: datetime | None, out: IO[str] | None = None,
               until: datetime | None = None) -> list[Any]:
    """Spikes in the store since ``since`` (default: one day); returns the new crises."""
    out = out or sys.stdout
    from detector.routing import Router
    from detector.spikes.crises import crisis_incident, detect_in_store, merge
    from detector.spikes.explain import Explainer
    from detector.text import Lemmatizer
    from indexer.backends import open_store

    spike_config = config(settings)
    until = until or datetime.now(timezone.utc)
    since = since or until - timedelta(days=1)
    lemmatizer = Lemmatizer()
    router = Router.load(settings.get("DETECTOR_ROUTING"))
    store = open_store(settings.get("INDEXER_STORE_URL"), settings)
    try:
        found = detect_in_store(store, spike_config, since, until, Explainer(lemmatizer))
        incidents, new = [], []
        for alert, posts in found:
            lemmas = lemmatizer.lemmas(" ".join(str(p.get("text") or "") for p in posts[:200]))
            incident = crisis_incident(alert, posts, router, lemmas, spike_config.bucket)
            stored = store.get_incident(incident.id)
            incidents.append(merge(incident, stored))
            if stored is None:
                new.append(incident)
        store.upsert_incidents(incidents)
    finally:
        store.close()
    print(f"spikes since {since:%Y-%m-%d %H:%M}: {len(incidents)} crises ({len(new)} new)", file=out)
    _send(settings, new, out)
    return new


def _send(settings: Any, crises: list[Any], out: IO[str]) -> None:
    from detector.sinks import TelegramSink, WebhookSink

    options = {"retries": int(settings.get("INCIDENTS_WEBHOOK_RETRIES")),
               "backoff": float(settings.get("INCIDENTS_WEBHOOK_BACKOFF"))}
    sinks: list[WebhookSink] = []
    if settings.get("SPIKES_WEBHOOK_URL"):
        sinks.append(WebhookSink(settings.get("SPIKES_WEBHOOK_URL"), settings.get("SPIKES_OUTBOX"), **options))
    if settings.get("SPIKES_TELEGRAM_TOKEN") and settings.get("SPIKES_TELEGRAM_CHAT_ID"):
        sinks.append(TelegramSink(settings.get("SPIKES_TELEGRAM_API_URL"), settings.get("SPIKES_TELEGRAM_TOKEN"),
                                  str(settings.get("SPIKES_TELEGRAM_CHAT_ID")), settings.get("SPIKES_TELEGRAM_OUTBOX"),
                                  **options))
    for sink in sinks:
        accepted = sink.send(crises)
        print(f"{type(sink).__name__}: {accepted} crises accepted, {sink.pending()} waiting in {sink.outbox}",
              file=out)


def print_crises(incidents: list[Any], out: IO[str] | None = None) -> None:
    out = out or sys.stdout
    for incident in incidents:
        spike = incident.evidence.get("spike", {})
        explanation = incident.evidence.get("explanation", {})
        print(f"{incident.id}  [{incident.sector}] {incident.priority}  {incident.title}", file=out)
        print(f"    → {incident.body}", file=out)
        print(f"    ряд {spike.get('series')}, с {spike.get('bucket_start')}: {spike.get('count')} постов "
              f"при норме {spike.get('baseline')} (значимость {spike.get('significance')})", file=out)
        for label, key in (("новые слова", "new_words"), ("фразы", "new_phrases")):
            if explanation.get(key):
                print(f"    {label}: {', '.join(explanation[key][:8])}", file=out)
        for label, key in (("улицы", "top_streets"), ("источники", "sources")):
            if explanation.get(key):
                print(f"    {label}: {', '.join(f'{v} ({n})' for v, n in explanation[key])}", file=out)
        for example in explanation.get("examples", [])[:2]:
            print(f"    — {example.get('text')}", file=out)


def run_eval(seed: int, series: int, as_json: bool, settings: Any, out: IO[str] | None = None) -> int:
    out = out or sys.stdout
    from detector.spikes.evaluation import evaluate, lines

    data, scores = evaluate(config(settings), seed=seed, series=series)
    if as_json:
        for score in scores:
            print(json.dumps(score.as_dict(), ensure_ascii=False), file=out)
    else:
        print("\n".join(lines(data, scores, seed)), file=out)
    return 0

