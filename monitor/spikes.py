"""``monitor spikes``: emerging crises, in the store or in a file of scored posts."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Iterator

from monitor.common import add_settings, add_store, open_store, settings, since

SPIKES_CONTRACT = """Find spikes (emerging crises) per sector × territory, and say why.

--from-jsonl FILE: one scored post per line: "id", "created_at" (ISO 8601; no zone means UTC),
"sector", "territory" (an object with "district" and/or "street" (and "municipality"), or a
string), optional "text" (for the new words and phrases) and "cluster_id". A post counts in the
series of its sector × territory (the district, else the town, else the street, else the
string; "*" when none), and in its cluster's series when that cluster is one of the
SPIKES_STORIES growing most in the file's last SPIKES_STORY_HOURS. Posts without a sector or a
date are skipped. The file is read once, as it streams (memory does not grow with its lines);
alerts are explained from a sample of each series' posts (12 a day). The thresholds are
calibrated to SPIKES_ALERTS_PER_WEEK across all series on the file's own range.
Output: one JSON line per alert, in order of series then time:
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
Without --from-jsonl: the store's complaints since --since; new crises go to the routing queue,
the crisis webhook (SPIKES_WEBHOOK_URL) and Telegram (SPIKES_TELEGRAM_TOKEN, _CHAT_ID).
"""


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    spikes = sub.add_parser("spikes", help="emerging crises: spikes per sector × territory, explained (see --help)",
                            formatter_class=argparse.RawDescriptionHelpFormatter, description=SPIKES_CONTRACT)
    spikes.add_argument("--since", type=since, help="report spikes since (ISO date or 24h, 7d; default 24h)")
    spikes.add_argument("--from-jsonl", metavar="FILE", help="scored posts in a file instead of the store ('-': stdin)")
    spikes.add_argument("--bucket", help="with --from-jsonl: 1h (default, setting SPIKES_BUCKET), 1d, ...")
    add_store(spikes)
    add_settings(spikes)
    spikes.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from detector import DetectorConfig

    config = DetectorConfig.from_settings(settings(args))
    if args.from_jsonl:
        return _from_file(args, config)
    from detector import run_spikes

    store = open_store(settings(args))
    try:
        report = run_spikes(store, config, args.since)
    finally:
        store.close()
    print(report.summary())
    for delivery in report.deliveries:
        busy = " (another process is sending them)" if delivery.busy else ""
        print(f"{delivery.sink}: {delivery.accepted} crises accepted, {delivery.pending} waiting in {delivery.outbox}"
              f"{busy}")
        if delivery.quarantined:
            print(f"{delivery.sink}: {delivery.quarantined} unreadable lines of the outbox moved to "
                  f"{delivery.quarantine}")
    return 1 if any(delivery.quarantined for delivery in report.deliveries) else 0  # lines moved aside: say so


def _from_file(args: argparse.Namespace, config: object) -> int:
    from detector import spikes_in_records
    from detector.exceptions import DataError
    from detector.jobs.spikes import read_scored

    if args.from_jsonl == "-":
        return _write(spikes_in_records(read_scored(sys.stdin.buffer, "<stdin>"), config, args.bucket))  # type: ignore[arg-type]
    try:
        lines = open(args.from_jsonl, "rb")  # noqa: SIM115 (closed below; only opening is a reading error)
    except OSError as exc:
        raise DataError(f"{args.from_jsonl}: cannot read: {exc.strerror or exc}") from exc
    with lines:
        return _write(spikes_in_records(read_scored(lines, args.from_jsonl), config, args.bucket))  # type: ignore[arg-type]


def _write(alerts: Iterator[dict[str, Any]]) -> int:
    for line in alerts:
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    return 0
