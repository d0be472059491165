"""``monitor``: crawl public pages into the store, search it, or run the offline demo.

    monitor crawl [--watchlist FILE] [--source ID ...] [--store URL] [-s NAME=VALUE ...]
    monitor search QUERY [--platform P] [--source ID] [--since DATE] [--limit N] [--store URL]
    monitor demo [--port N] [--store URL]
    monitor setup [--store URL] [--no-kibana] [--wait SECONDS]
    monitor schedule [--watchlist FILE] [--store URL] [-s NAME=VALUE ...]
    monitor score [--in FILE] [--out FILE] [--threshold X]
    monitor train [complaints|fakes] [--data FILE ...] [--real-appeals FILE] [--out MODEL]
    monitor eval complaints|fakes [--data FILE ...] [--real-appeals FILE] [--cv K]
    monitor detect [--since DATE] [--store URL]
    monitor queue routing|factcheck [--sector S] [--territory T] [--status S ...] [--limit N] [--store URL]
    monitor incident ID --status assigned|answered|closed [--store URL]
    monitor review ID --verdict fake|true|unverified [--debunk URL] [--note TEXT] [--by NAME]
    monitor review --export FILE
    monitor spikes [--since DATE] [--store URL] | --from-jsonl FILE [--bucket 1h|1d]
    monitor eval spikes [--seed N] [--series N]

Exit codes: 0 done, 1 a service failed (setup), 2 bad input (a watchlist, an argument or a store
URL that cannot be used).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Sequence

from crawler.exceptions import WatchlistError
from indexer.exceptions import StoreConfigError
from monitor.crawl import project_settings, run_crawl
from monitor.report import print_crawl_report, print_posts

COMPLAINTS = Path("detector/data/complaints")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except (WatchlistError, StoreConfigError) as exc:
        print(f"monitor: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="monitor", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    crawl = sub.add_parser("crawl", help="crawl the watchlist's sources into the store")
    crawl.add_argument("--watchlist", help="watchlist YAML file (setting WATCHLIST)")
    crawl.add_argument("--source", nargs="+", default=None, metavar="ID", help="only these source ids")
    _store_arg(crawl)
    crawl.add_argument("--stats", metavar="FILE", help="write each spider's Scrapy stats to FILE as JSON")
    crawl.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                       help="override a setting (repeatable)")
    crawl.set_defaults(run=_crawl)

    search = sub.add_parser("search", help="search stored posts and comments (Russian word forms match)")
    search.add_argument("query", nargs="?", default=None, help="words to find; empty lists the newest")
    search.add_argument("--platform", choices=["vk", "telegram", "rss", "html", "rendered"])
    search.add_argument("--source", help="source id")
    search.add_argument("--kind", choices=["post", "comment"])
    search.add_argument("--since", type=_since, help="ISO date/time, or an age like 24h, 7d")
    search.add_argument("--limit", type=int, default=20)
    search.add_argument("--sort", choices=["newest", "relevance"], default="newest")
    search.add_argument("--json", action="store_true", help="one JSON object per line")
    _store_arg(search)
    search.set_defaults(run=_search)

    demo = sub.add_parser("demo", help="start the replay site and crawl the demo region into a fresh store")
    demo.add_argument("--port", type=int, default=8765, help="replay site port (0 = any free port)")
    demo.add_argument("--store", default="sqlite:///var/demo.db", help="store URL (default %(default)s)")
    demo.set_defaults(run=_demo)

    setup = sub.add_parser("setup", help="install Elasticsearch templates, retention, aliases and Kibana objects")
    setup.add_argument("--watchlist", help="watchlist whose sources go to the sources index")
    _store_arg(setup)
    setup.add_argument("--no-kibana", action="store_true", help="skip the Kibana saved objects")
    setup.add_argument("--wait", type=float, default=120.0, metavar="SECONDS",
                       help="how long to wait for Elasticsearch and Kibana to answer (default %(default)s)")
    setup.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE")
    setup.set_defaults(run=_setup)

    schedule = sub.add_parser("schedule", help="crawl every source forever at its priority's interval")
    schedule.add_argument("--watchlist", help="watchlist YAML file (re-read when it changes)")
    _store_arg(schedule)
    schedule.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                          help="override a setting, for the scheduler and every crawl (repeatable)")
    schedule.set_defaults(run=_schedule)

    score = sub.add_parser("score", help="score JSON Lines: complaint, sector, territory, fake, threat (see --help)",
                           formatter_class=argparse.RawDescriptionHelpFormatter, description=SCORE_CONTRACT)
    score.add_argument("--in", dest="input", default="-", metavar="FILE", help="JSON Lines to score (default stdin)")
    score.add_argument("--out", default="-", metavar="FILE", help="where to write (default stdout)")
    score.add_argument("--threshold", type=float, help="complaint probability for is_complaint (DETECTOR_THRESHOLD)")
    score.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE")
    score.set_defaults(run=_score)

    train = sub.add_parser("train", help="train the complaint and sector model, or the fakes model, from "
                                          "labelled JSON Lines")
    train.add_argument("what", nargs="?", choices=["complaints", "fakes"], default="complaints")
    train.add_argument("--data", nargs="+", type=Path,
                       help="labelled JSON Lines (default: detector/data/<what>/train.jsonl; complaints: "
                            "train.jsonl, dev.jsonl and the train-only extra.jsonl)")
    train.add_argument("--ordinary", nargs="*", type=Path, default=[Path("detector/data/complaints/train.jsonl")],
                       metavar="FILE", help="fakes: more files whose every item is ordinary (default: the "
                                            "complaints train split)")
    train.add_argument("--real-appeals", type=Path, default=None, metavar="FILE",
                       help="also learn sectors from the earlier 70%% of these real appeals (../shared/data/...)")
    train.add_argument("--out", type=Path, help="model file (setting DETECTOR_MODEL or FAKES_MODEL)")
    train.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE")
    train.set_defaults(run=_train)

    evaluation = sub.add_parser("eval", help="precision, recall and F1 on labelled data")
    evaluation.add_argument("what", choices=["complaints", "fakes", "spikes"])
    evaluation.add_argument("--data", nargs="+", type=Path,
                            help="labelled JSON Lines (default: detector/data/<what>/dev.jsonl and test.jsonl; "
                                 "complaints: test.jsonl, with --cv train.jsonl and dev.jsonl)")
    evaluation.add_argument("--cv", type=int, default=0, metavar="K",
                            help="complaints: K-fold cross-validation over --data, training as `monitor train` does")
    evaluation.add_argument("--extra", nargs="*", type=Path, default=[COMPLAINTS / "extra.jsonl"], metavar="FILE",
                            help="complaints, --cv: train-only posts added to every fold (default: extra.jsonl)")
    evaluation.add_argument("--ordinary", nargs="*", type=Path, default=[Path("detector/data/complaints/dev.jsonl")],
                            metavar="FILE", help="fakes: also count false alarms on these all-ordinary files")
    evaluation.add_argument("--real-appeals", type=Path, default=None, metavar="FILE",
                            help="also the later 30%% of these real appeals (sector, complaint recall)")
    evaluation.add_argument("--json", action="store_true", help="the figures as one JSON object per data file")
    evaluation.add_argument("--seed", type=int, default=1, help="spikes: the synthetic set's seed")
    evaluation.add_argument("--series", type=int, default=240, help="spikes: how many synthetic series")
    evaluation.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE")
    evaluation.set_defaults(run=_eval)

    detect = sub.add_parser("detect", help="re-score stored posts and group complaints into incidents")
    detect.add_argument("--since", type=_since, help="only posts created since (ISO date or 24h, 7d)")
    detect.add_argument("--watchlist", help="watchlist whose sources give page kinds and territories")
    _store_arg(detect)
    detect.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE")
    detect.set_defaults(run=_detect)

    queue = sub.add_parser("queue", help="list a queue's incidents, nearest deadline first")
    queue.add_argument("name", choices=["routing", "factcheck"])
    queue.add_argument("--sector")
    queue.add_argument("--territory", help="a town or a district")
    queue.add_argument("--status", nargs="+", default=["new", "assigned"],
                       choices=["new", "assigned", "answered", "closed"])
    queue.add_argument("--limit", type=int, default=50)
    queue.add_argument("--json", action="store_true", help="one incident per line as JSON")
    _store_arg(queue)
    queue.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE")
    queue.set_defaults(run=_queue)

    from monitor.spikes import SPIKES_CONTRACT

    spikes = sub.add_parser("spikes", help="emerging crises: spikes per sector × territory, explained (see --help)",
                            formatter_class=argparse.RawDescriptionHelpFormatter, description=SPIKES_CONTRACT)
    spikes.add_argument("--since", type=_since, help="report spikes since (ISO date or 24h, 7d; default 24h)")
    spikes.add_argument("--from-jsonl", metavar="FILE", help="scored posts in a file instead of the store ('-': stdin)")
    spikes.add_argument("--bucket", help="with --from-jsonl: 1h (default, setting SPIKES_BUCKET), 1d, ...")
    _store_arg(spikes)
    spikes.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE")
    spikes.set_defaults(run=_spikes)

    incident = sub.add_parser("incident", help="move an incident on: assigned, answered, closed")
    incident.add_argument("id")
    incident.add_argument("--status", required=True, choices=["new", "assigned", "answered", "closed"])
    _store_arg(incident)
    incident.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE")
    incident.set_defaults(run=_incident)

    review = sub.add_parser("review", help="record a fact-checker's verdict on a fact-check item, or export "
                                           "the verdicts as labelled data")
    review.add_argument("id", nargs="?", help="the fact-check item (monitor queue factcheck)")
    review.add_argument("--verdict", choices=["fake", "true", "unverified"])
    review.add_argument("--debunk", metavar="URL", help="the answer to link; with --verdict fake the story joins "
                                                       "the debunk registry")
    review.add_argument("--note", default="")
    review.add_argument("--by", help="who decides (default: $MONITOR_USER or the login name)")
    review.add_argument("--export", type=Path, metavar="FILE",
                        help="write every decided item's posts as labelled JSON Lines (the fakes corpus format)")
    _store_arg(review)
    review.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE")
    review.set_defaults(run=_review)
    return parser


SCORE_CONTRACT = """Score posts and comments: one output line per input line, in order.

input, one JSON object per line: at least {"id", "text"}; optional "platform" ("portal": an appeal to
a city portal, whose sectors follow the portal's own categories), "kind" (post|comment),
"source_kind" (city_group|governor|government|municipal|media|other), "territory" (the source's own
territory: a town or district name, or an object with "municipality"/"district"), "created_at",
"parent_id", "official" (true when the page's own account wrote it).

output: the input fields plus
  complaint       0..1, the probability that a citizen reports a problem here
  is_complaint    complaint >= the threshold (--threshold, setting DETECTOR_THRESHOLD)
  sector          housing|waste|energy|education|health|roads|transport|social|labour|amenities|other,
                  or null when not a complaint
  sector_scores   every sector's probability, highest first
  territory       {"municipality", "district", "street", "house", "address" (normalised), "geo"
                  ({"lat", "lon"} or null), "source" ("text": named in the text; "source_default": the
                  input's territory; null: unknown)}
  explain         {"complaint_markers", "non_complaint_markers", "sector_phrases", "territory", "rules",
                  "method"}: the phrases and rules that drove the decision
  fake            0..1, how much it reads like a false story spreading (check-worthiness, not truth)
  is_fake_suspect fake >= the threshold (setting FAKES_THRESHOLD)
  threat          true when it reports a threat or emergency (routing.yml's threat topics)
  fake_evidence   the named pieces behind the score, each present only when found: "rumour" (by group:
                  forwarding, urgency, anonymous_authority, cover_up, panic), "model" (the text model's
                  probability), "registry" (a known story: id, claim, status, debunk link, similarity),
                  "source" (an official page's words), "denial", "threat" (the phrases). A line scored
                  alone has no history: "spread" and "denied_by" are added by `monitor detect`.
A line that is not a JSON object with "text" comes out as {"error": "..."} so line numbers still match.
"""


def _store_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", help="store URL, e.g. sqlite:///var/monitor.db (setting INDEXER_STORE_URL)")


def _since(value: str) -> datetime:
    units = {"h": "hours", "d": "days", "m": "minutes"}
    if value[:-1].isdigit() and value[-1:] in units:
        return datetime.now(timezone.utc) - timedelta(**{units[value[-1]]: int(value[:-1])})
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected an ISO date or an age like 24h, got {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for pair in getattr(args, "settings", []):
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise WatchlistError(f"-s expects NAME=VALUE, got {pair!r}")
        overrides[name] = value
    if getattr(args, "watchlist", None):
        overrides["WATCHLIST"] = args.watchlist
    if getattr(args, "store", None):
        overrides["INDEXER_STORE_URL"] = args.store
    return overrides


def _crawl(args: argparse.Namespace) -> int:
    settings = project_settings(_overrides(args))
    report = run_crawl(settings, args.source)
    print_crawl_report(report, settings.get("INDEXER_STORE_URL"))
    if args.stats:
        with open(args.stats, "w", encoding="utf-8") as f:
            json.dump(report.stats, f, ensure_ascii=False, indent=1, default=str)
    return 0


def _search(args: argparse.Namespace) -> int:
    from indexer.store import Query
    from indexer.backends import open_store

    settings = project_settings(_overrides(args))
    store = open_store(settings.get("INDEXER_STORE_URL"))
    try:
        query = Query(text=args.query, platform=args.platform, source_id=args.source, kind=args.kind,
                      since=args.since, limit=args.limit, sort=args.sort)
        posts, total = store.search(query), store.count(query)
    finally:
        store.close()
    if args.json:
        for post in posts:
            print(json.dumps(post.to_dict(), ensure_ascii=False))
    else:
        print_posts(posts, total)
    return 0


def _setup(args: argparse.Namespace) -> int:
    from monitor.setup import run_setup

    return run_setup(project_settings(_overrides(args)), wait=args.wait, kibana=not args.no_kibana)


def _schedule(args: argparse.Namespace) -> int:
    import logging

    from monitor.schedule import Scheduler

    settings = project_settings(_overrides(args))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    crawl_args = [arg for pair in args.settings for arg in ("-s", pair)]
    if args.store:
        crawl_args += ["--store", args.store]
    return Scheduler(settings, crawl_args).run()


def _detector(args: argparse.Namespace, with_model: bool = True) -> Any:
    from detector.scorer import Detector

    settings = project_settings(_overrides(args))
    return Detector.from_settings(settings, with_model=with_model,
                                  threshold=getattr(args, "threshold", None)), settings


def _score(args: argparse.Namespace) -> int:
    from monitor.detect import score_stream

    detector, _ = _detector(args)
    source = sys.stdin if args.input == "-" else open(args.input, encoding="utf-8")
    target = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    try:
        score_stream(detector, source, target)
    finally:
        if source is not sys.stdin:
            source.close()
        if target is not sys.stdout:
            target.close()
    return 0


def _train(args: argparse.Namespace) -> int:
    detector, settings = _detector(args, with_model=False)  # the old model plays no part
    data = args.data or ([COMPLAINTS / f"{name}.jsonl" for name in ("train", "dev", "extra")]
                         if args.what == "complaints" else [Path(f"detector/data/{args.what}/train.jsonl")])
    if args.what == "fakes":
        from monitor.fakes import train_fakes

        train_fakes(detector, data, args.out or Path(settings.get("FAKES_MODEL")), ordinary=args.ordinary)
        return 0
    from monitor.detect import train

    train(detector, data, args.out or Path(settings.get("DETECTOR_MODEL")), extra_sectors=args.real_appeals)
    return 0


def _eval(args: argparse.Namespace) -> int:
    from monitor.detect import evaluate_files, print_reports

    if args.what == "spikes":
        from monitor.spikes import run_eval

        return run_eval(args.seed, args.series, args.json, project_settings(_overrides(args)))

    if args.what == "complaints" and args.cv:
        return _cross_validate(args)
    detector, settings = _detector(args)
    data = args.data or ([COMPLAINTS / "test.jsonl"] if args.what == "complaints"
                         else [Path(f"detector/data/{args.what}/{name}.jsonl") for name in ("dev", "test")])
    if args.what == "fakes":
        from detector.clusters import Clusterer
        from monitor.fakes import evaluate_fakes, false_alarms

        model = detector.fakes.model if detector.fakes else None
        print(f"model: {model.meta if model else 'none (lexicon only)'}")
        for path in data:
            clusterer = Clusterer(threshold=settings.getfloat("CLUSTERS_THRESHOLD"),
                                  containment=settings.getfloat("CLUSTERS_CONTAINMENT"))
            print("\n".join(evaluate_fakes(detector, path, clusterer=clusterer)))
        for path in args.ordinary:
            print(false_alarms(detector, path))
        return 0
    reports = evaluate_files(detector, data, real_appeals=args.real_appeals)
    if args.json:
        for report in reports:
            print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        print(f"model: {detector.model.meta if detector.model else 'none (lexicon only)'}")
        print_reports(reports)
    return 0


def _cross_validate(args: argparse.Namespace) -> int:
    from monitor.crossval import cross_validate
    from monitor.detect import print_reports

    detector, _ = _detector(args, with_model=False)  # each fold trains its own
    data = args.data or [COMPLAINTS / "train.jsonl", COMPLAINTS / "dev.jsonl"]
    reports = cross_validate(detector, data, extra=[p for p in args.extra if p.exists()],
                             real_appeals=args.real_appeals, folds=args.cv)
    if args.json:
        for report in reports:
            print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        print_reports(reports)
    return 0


def _detect(args: argparse.Namespace) -> int:
    from monitor.detect import run_detect

    return run_detect(project_settings(_overrides(args)), args.since)


def _spikes(args: argparse.Namespace) -> int:
    from monitor import spikes

    settings = project_settings(_overrides(args))
    try:
        if args.from_jsonl:
            return spikes.run_from_jsonl(settings, args.from_jsonl, args.bucket)
        spikes.run_spikes(settings, args.since)
    except (ValueError, OSError) as exc:
        print(f"monitor spikes: {exc}", file=sys.stderr)
        return 2
    return 0


def _queue(args: argparse.Namespace) -> int:
    from detector.gazetteer import municipality_names
    from indexer.store import IncidentQuery
    from indexer.backends import open_store
    from monitor.report import print_factcheck, print_incidents

    settings = project_settings(_overrides(args))
    towns = municipality_names(settings.get("DETECTOR_TERRITORIES"))  # a town narrows by town, else district
    store = open_store(settings.get("INDEXER_STORE_URL"), settings)
    try:
        query = IncidentQuery(queue=args.name, status=tuple(args.status), sector=args.sector,
                              municipality=args.territory if args.territory in towns else None,
                              district=args.territory if args.territory and args.territory not in towns else None,
                              limit=args.limit)
        incidents = store.find_incidents(query)
    finally:
        store.close()
    if args.json:
        for incident in incidents:
            print(json.dumps(incident.to_dict(), ensure_ascii=False))
    elif args.name == "factcheck":
        print_factcheck(incidents)
    else:
        print_incidents(incidents)
    return 0


def _incident(args: argparse.Namespace) -> int:
    from indexer.schema import utcnow
    from indexer.backends import open_store

    settings = project_settings(_overrides(args))
    store = open_store(settings.get("INDEXER_STORE_URL"), settings)
    try:
        incident = store.get_incident(args.id)
        if incident is None:
            print(f"monitor: no incident {args.id!r} in {settings.get('INDEXER_STORE_URL')}", file=sys.stderr)
            return 2
        incident.status, incident.updated_at = args.status, utcnow()
        incident.closed_at = incident.updated_at if args.status == "closed" else None
        store.upsert_incidents([incident])
    finally:
        store.close()
    print(f"{incident.id}: {incident.status}")
    return 0


def _review(args: argparse.Namespace) -> int:
    import getpass
    import os

    from detector.factcheck import record_review
    from indexer.backends import open_store

    if bool(args.export) == bool(args.id):
        print("monitor: give a fact-check item ID with --verdict, or --export FILE", file=sys.stderr)
        return 2
    if args.id and not args.verdict:
        print("monitor: --verdict fake|true|unverified is required", file=sys.stderr)
        return 2
    settings = project_settings(_overrides(args))
    store = open_store(settings.get("INDEXER_STORE_URL"), settings)
    try:
        if args.export:
            from monitor.fakes import export_reviews

            count = export_reviews(store, args.export)
            print(f"{count} labelled items from reviewed fact-check items → {args.export}")
            return 0
        incident = store.get_incident(args.id)
        if incident is None or incident.queue != "factcheck":
            print(f"monitor: no fact-check item {args.id!r} in {settings.get('INDEXER_STORE_URL')}", file=sys.stderr)
            return 2
        who = args.by or os.environ.get("MONITOR_USER") or getpass.getuser()
        record_review(incident, args.verdict, who, debunk=args.debunk, note=args.note)
        store.upsert_incidents([incident])
    finally:
        store.close()
    joined = " (joins the debunk registry)" if args.verdict == "fake" and args.debunk else ""
    print(f"{incident.id}: {incident.verdict} by {who}, {incident.status}{joined}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from monitor.demo import run_demo

    return run_demo(args.port, args.store)


if __name__ == "__main__":
    sys.exit(main())
