"""``monitor score``, ``detect``, ``train`` and ``eval``: the detector from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.common import UsageError, add_settings, add_store, open_store, settings, since

if TYPE_CHECKING:
    from detector import Detector

SCORE_CONTRACT = """Score posts and comments: one output line per input line, in order.

input, one JSON object per line: at least {"id", "text"}; optional "platform" ("portal": an appeal to
a city portal, whose sectors follow the portal's own categories), "kind" (post|comment),
"source_kind" (city_group|governor|government|municipal|media|other), "territory" (the source's own
territory: a town or district name, or an object with "municipality"/"district"), "created_at",
"parent_id", "official" (true when the page's own account wrote it: its words are then an answer,
unless a page that is not official says it passes on a reader's message, "анонимно", "пишет подписчик").

output: the input fields plus
  complaint       0..1, the probability that a citizen reports a problem here
  is_complaint    complaint >= the threshold (--threshold, setting DETECTOR_THRESHOLD)
  sector          a sector code of watchlists/sectors.yml (`monitor check --sectors` lists them),
                  or null when not a complaint
  sector_scores   every sector's probability, highest first
  territory       {"municipality", "district", "street", "house", "address" (normalised), "geo"
                  ({"lat", "lon"} or null), "source" ("text": named in the text; "source_default": the
                  input's territory; null: unknown)}
  explain         {"complaint_markers", "non_complaint_markers", "sector_phrases", "territory", "rules",
                  "method"}: the phrases and rules that drove the decision
  fake            0..1, how much it reads like a false story spreading (check-worthiness, not truth)
  is_fake_suspect fake >= the threshold (setting FAKES_THRESHOLD)
  threat          true when it is a violent threat (someone will shoot, blow up, burn a school, a mall,
                  an office, an official); an emergency reported is fake_evidence "emergency"
  fake_evidence   the named pieces behind the score, each present only when found: "rumour" (by group:
                  forwarding, urgency, anonymous_authority, cover_up, panic), "model" (the text model's
                  probability), "registry" (a known story: id, claim, status, debunk link, similarity),
                  "source" (an official page's words), "denial", "markers" (source_named,
                  document_cited, advice, no_source), "threat" (the threats with their form),
                  "threat_rumour" (a threat retold as hearsay: to check), "emergency" (routing.yml's
                  threat-to-life phrases, reported) or "emergency_rumour" (told as hearsay). A line scored
                  alone has no history: "spread" and "denied_by" are added by `monitor detect`.
A line that is not a JSON object with "text" comes out as {"error": "..."} so line numbers still match.
"""


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    score = sub.add_parser("score", help="score JSON Lines: complaint, sector, territory, fake, threat (see --help)",
                           formatter_class=argparse.RawDescriptionHelpFormatter, description=SCORE_CONTRACT)
    score.add_argument("--in", dest="input", default="-", metavar="FILE", help="JSON Lines to score (default stdin)")
    score.add_argument("--out", default="-", metavar="FILE", help="where to write (default stdout)")
    score.add_argument("--threshold", type=float, help="complaint probability for is_complaint (DETECTOR_THRESHOLD)")
    add_settings(score)
    score.set_defaults(run=run_score)

    detect = sub.add_parser("detect", help="score new posts and group complaints into incidents",
                            description="Score the posts new or changed since the last run, and group them into "
                                        "incidents. The first run, and --full, score every stored post again "
                                        "(after a model or lexicon change).")
    detect.add_argument("--full", action="store_true", help="score every stored post again, not only the new ones")
    detect.add_argument("--since", type=since,
                        help="score again the posts created since (ISO date or 24h, 7d); the checkpoint stays")
    detect.add_argument("--watchlist", help="watchlist whose sources give page kinds and territories")
    detect.add_argument("--serve", action="store_true",
                        help="stay loaded: run one incremental detect per line read on stdin, print one JSON "
                             "line per run (the scheduler's detect worker)")
    add_store(detect)
    add_settings(detect)
    detect.set_defaults(run=run_detect)

    train = sub.add_parser("train", help="train the complaint and sector model, or the fakes model, from "
                                          "labelled JSON Lines")
    train.add_argument("what", nargs="?", choices=["complaints", "fakes"], default="complaints")
    train.add_argument("--data", nargs="+", type=Path,
                       help="labelled JSON Lines (default: the project's corpus; complaints: train, dev and the "
                            "train-only extra; fakes: train)")
    train.add_argument("--ordinary", nargs="*", type=Path, default=None, metavar="FILE",
                       help="fakes: more files whose every item is ordinary (default: the complaints train split "
                            "and the official news and advice train split)")
    train.add_argument("--real-appeals", type=Path, default=None, metavar="FILE",
                       help="also learn sectors from the earlier 70%% of these real appeals (../shared/data/...)")
    train.add_argument("--chatter", type=Path, default=None, metavar="FILE",
                       help="real everyday posts (../shared/data/rusentitweet_train.jsonl) whose train split (by "
                            "id hash) is learnt as not complaints and as ordinary (fakes); complaints: its dev "
                            "split calibrates the probability")
    train.add_argument("--calibrate-on", nargs="*", type=Path, default=None, metavar="FILE",
                       help="complaints: files of --data the complaint probability is calibrated on (default: the "
                            "corpus' dev split when --data is not given)")
    train.add_argument("--out", type=Path, required=True, help="the model file to write")
    add_settings(train)
    train.set_defaults(run=run_train)

    evaluation = sub.add_parser("eval", help="precision, recall and F1 on labelled data")
    evaluation.add_argument("what", choices=["complaints", "fakes", "threats", "spikes", "chatter", "places",
                                                     "answers"])
    evaluation.add_argument("--data", nargs="+", type=Path,
                            help="labelled JSON Lines (default: the corpus' test split; fakes, threats: dev and "
                                 "test; complaints with --cv: train and dev; spikes: a real dated series, alerts a "
                                 "week)")
    evaluation.add_argument("--cv", type=int, default=0, metavar="K",
                            help="complaints: K-fold cross-validation over --data, training as `monitor train` does")
    evaluation.add_argument("--extra", nargs="*", type=Path, default=None, metavar="FILE",
                            help="complaints, --cv: train-only posts added to every fold (default: the corpus' extra)")
    evaluation.add_argument("--ordinary", nargs="*", type=Path, default=None, metavar="FILE",
                            help="fakes: also count false alarms on these all-ordinary files (default: complaints dev)")
    evaluation.add_argument("--real-appeals", type=Path, default=None, metavar="FILE",
                            help="also the later 30%% of these real appeals (sector, complaint recall)")
    evaluation.add_argument("--split", choices=["train", "dev", "test"], default="test",
                            help="chatter: which split of the real chatter (by id hash) to score")
    evaluation.add_argument("--chatter", type=Path, default=None, metavar="FILE",
                            help="complaints: real everyday posts; with --real-appeals, complaint F1 of the real "
                                 "appeals against the chatter's test split (with --cv: learnt, train split)")
    evaluation.add_argument("--compare", action="store_true",
                            help="answers: also a linear model trained on the corpus' train split, on the same data")
    evaluation.add_argument("--json", action="store_true", help="the figures as one JSON object per data file")
    evaluation.add_argument("--record", type=Path, metavar="MODEL",
                            help="complaints, fakes: evaluate this model file and write the figures into its card")
    evaluation.add_argument("--seed", type=int, default=1, help="spikes: the synthetic set's seed")
    evaluation.add_argument("--series", type=int, default=240, help="spikes: how many synthetic series")
    add_settings(evaluation)
    evaluation.set_defaults(run=run_eval)


def _detector(args: argparse.Namespace, *, with_model: bool = True) -> Detector:
    from detector import Detector, DetectorConfig

    overrides: dict[str, Any] = {}
    if getattr(args, "threshold", None) is not None:
        overrides["threshold"] = args.threshold
    if getattr(args, "record", None) is not None:
        overrides["fakes_model" if args.what == "fakes" else "model"] = str(args.record)
    config = DetectorConfig.from_settings(settings(args), **overrides)
    return Detector.from_config(config, with_model=with_model)


def run_score(args: argparse.Namespace) -> int:
    from detector import score_stream

    detector = _detector(args)
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


def run_detect(args: argparse.Namespace) -> int:
    from detector import DetectorConfig, run_detect

    config = settings(args)
    detector_config = DetectorConfig.from_settings(config)
    if args.serve:
        if args.full or args.since is not None:
            raise UsageError("--serve runs incremental detects only: run --full or --since on their own")
        return _serve(args, config, detector_config)
    store = open_store(config)
    try:
        report = run_detect(store, detector_config, sources=_sources(config), since=args.since, full=args.full,
                            accounts=_accounts(config))
    finally:
        store.close()
    for line in _report_lines(report):
        print(line)
    return _exit_code(report)


def _exit_code(report: Any) -> int:
    """1 when outbox lines could not be read (moved aside, their incidents not sent): a run that
    lost nothing and sent what it could exits 0."""
    return 1 if report.outbox_quarantined else 0


def _sources(config: Any) -> dict[str, Any]:
    from crawler.watchlist import load_watchlist

    return {s.id: s for s in load_watchlist(config.get("WATCHLIST")).sources}


def _accounts(config: Any) -> Any:
    """The official accounts of the watchlist: whose comments and posts are answers."""
    from crawler.watchlist import load_watchlist
    from detector.answers.finding import OfficialAccounts

    return OfficialAccounts(load_watchlist(config.get("WATCHLIST")).answering_accounts())


def _report_lines(report: Any) -> list[str]:
    lines = [report.summary()]
    if report.webhook_accepted is not None:
        busy = " (another process is sending them)" if report.webhook_busy else ""
        lines.append(f"webhook: {report.webhook_accepted} incidents accepted, {report.webhook_pending} waiting in "
                     f"{report.outbox}{busy}")
    if report.outbox_quarantined:
        lines.append(f"webhook: {report.outbox_quarantined} unreadable lines of the outbox moved to "
                     f"{report.quarantine}")
    return lines


def _serve(args: argparse.Namespace, config: Any, detector_config: Any) -> int:
    """The detect worker: the models and the lemma cache stay loaded between runs, so a run costs
    what its new posts cost (a fresh process spends seconds importing and loading first). Each
    line on stdin asks for one incremental run; each run answers with one JSON line on stdout
    (``run``, ``exit``, ``seconds``, ``lines``, ``left``: changed posts left for the next run). A run that fails for an expected reason (the store
    is down) answers with its exit code and message and the worker waits for the next line; EOF
    ends it with 0."""
    import time

    from detector import Detector, run_detect
    from monitor.cli import exit_code

    detector = Detector.from_config(detector_config)
    number = 0
    for _request in sys.stdin:
        number += 1
        started = time.perf_counter()
        answer: dict[str, Any] = {"run": number, "exit": 0}
        try:
            store = open_store(config)
            try:
                report = run_detect(store, detector_config, sources=_sources(config), detector=detector,
                                    accounts=_accounts(config))
            finally:
                store.close()
            answer.update(lines=_report_lines(report), left=report.left, exit=_exit_code(report))
        except Exception as exc:
            code = exit_code(exc)
            if code is None:
                raise
            answer.update(exit=code, lines=[f"monitor detect: {exc}"])
        answer["seconds"] = round(time.perf_counter() - started, 3)
        print(json.dumps(answer, ensure_ascii=False), flush=True)
    return 0


def run_train(args: argparse.Namespace) -> int:
    from detector.training.data import corpus

    detector = _detector(args, with_model=False)  # the old model plays no part
    if args.what == "fakes":
        from detector.training.fakes import train_fakes

        ordinary = args.ordinary if args.ordinary is not None else [corpus("complaints", "train"),
                                                                    corpus("official", "train")]
        trained = train_fakes(detector, args.data or [corpus("fakes", "train")], args.out, ordinary=ordinary,
                              chatter=args.chatter)
        print(f"trained the fakes model on {trained.examples} labelled items in {trained.seconds:.1f}s → {args.out}")
        return 0
    from detector.training.complaints import train_complaints

    data = args.data or [corpus("complaints", name) for name in ("train", "dev", "extra")]
    calibration = args.calibrate_on if args.calibrate_on is not None else [] if args.data else [data[1]]
    trained = train_complaints(detector, data, args.out, real_appeals=args.real_appeals, chatter=args.chatter,
                               calibration=calibration)
    appeals = f" + {trained.sector_examples} portal appeals (sectors only)" if trained.sector_examples else ""
    print(f"trained on {trained.examples} labelled items{appeals} in {trained.seconds:.1f}s → {args.out}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from monitor.output import print_reports

    if args.what == "spikes":
        return _eval_spikes(args)
    if args.what == "fakes":
        return _eval_fakes(args)
    if args.what == "chatter":
        return _eval_chatter(args)
    if args.what == "places":
        return _eval_places(args)
    if args.what == "threats":
        return _eval_threats(args)
    if args.what == "answers":
        return _eval_answers(args)
    from detector.training.data import corpus

    if args.cv:
        from detector.training.crossval import cross_validate

        detector = _detector(args, with_model=False)  # each fold trains its own
        extra = args.extra if args.extra is not None else [corpus("complaints", "extra")]
        reports = cross_validate(detector, args.data or [corpus("complaints", n) for n in ("train", "dev")],
                                 extra=extra, real_appeals=args.real_appeals, chatter=args.chatter, folds=args.cv)
    else:
        from detector.training.complaints import evaluate_complaints

        detector = _detector(args)
        reports = evaluate_complaints(detector, args.data or [corpus("complaints", "test")],
                                      real_appeals=args.real_appeals, chatter=args.chatter)
        if not args.json:
            print(f"model: {detector.model.meta if detector.model else 'none (lexicon only)'}")
    if args.record:
        from detector.model_files import record_figures

        record_figures(args.record, [report.as_dict() for report in reports])
    if args.json:
        for report in reports:
            print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        print_reports(reports)
    return 0


def _eval_answers(args: argparse.Namespace) -> int:
    from detector.training.answers import evaluate_answers

    reports = evaluate_answers(args.data or (), compare=args.compare)
    for report in reports:
        if args.json:
            print(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            print("\n".join(report.lines()))
    return 0


def _eval_chatter(args: argparse.Namespace) -> int:
    from detector.training.chatter import flagged_on_chatter

    if not args.data:
        raise UsageError("monitor eval chatter needs --data FILE: real everyday posts as JSON Lines "
                         "(e.g. ../shared/data/rusentitweet_train.jsonl)")
    detector = _detector(args)
    reports = [flagged_on_chatter(detector, path, args.split) for path in args.data]
    for report in reports:
        if args.json:
            print(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            print("\n".join(report.lines()))
    if args.record:
        from detector.model_files import record_figures

        record_figures(args.record, [report.as_dict() for report in reports])
    return 0


def _eval_places(args: argparse.Namespace) -> int:
    """Street mentions: the project's written phrasings against the region's gazetteer and, with
    --real-appeals, the labelled St Petersburg appeals of the chosen split (dev or test)."""
    from detector.training.data import corpus
    from detector.training.streets import evaluate_appeals, evaluate_written

    detector = _detector(args, with_model=False)
    streets = corpus("streets", "written")
    reports = [evaluate_written(detector.gazetteer, detector.lemmatizer, streets)]
    if args.real_appeals:
        split = "dev" if args.split == "dev" else "test"
        reports.append(evaluate_appeals(detector.lemmatizer, corpus("streets", "spb_appeals_2020"),
                                        args.real_appeals, split))
    for report in reports:
        print(json.dumps(report.as_dict(), ensure_ascii=False) if args.json else "\n".join(report.lines()))
    return 0


def _eval_threats(args: argparse.Namespace) -> int:
    from detector.training.data import corpus
    from detector.training.threats import evaluate_threats

    if args.record:
        raise UsageError("monitor eval threats has no --record: the threat grammar is no model file "
                         "(the fakes model's card keeps `monitor eval fakes`'s figures)")
    detector = _detector(args)
    reports = [evaluate_threats(detector, path) for path in args.data or [corpus("threats", s) for s in ("dev", "test")]]
    for report in reports:
        print(json.dumps(report.as_dict(), ensure_ascii=False) if args.json else "\n".join(report.lines()))
    return 0


def _eval_fakes(args: argparse.Namespace) -> int:
    from detector import DetectorConfig
    from detector.incidents.clusters import Clusterer
    from detector.training.data import corpus
    from detector.training.fakes import evaluate_fakes, false_alarms

    config = DetectorConfig.from_settings(settings(args))
    detector = _detector(args)
    model = detector.fakes.model if detector.fakes else None
    print(f"model: {model.meta if model else 'none (lexicon only)'}")
    lines: list[str] = []
    pairs = [(path, None) for path in args.data] if args.data else [
        (corpus("fakes", split), corpus("official", split)) for split in ("dev", "test")]
    for path, official in pairs:
        clusterer = Clusterer(threshold=config.clusters_threshold, containment=config.clusters_containment)
        lines += evaluate_fakes(detector, path, clusterer=clusterer, official=official)
    for path in args.ordinary if args.ordinary is not None else [corpus("complaints", "dev")]:
        lines.append(false_alarms(detector, path))
    print("\n".join(lines))
    if args.record:
        from detector.model_files import record_figures

        record_figures(args.record, lines)
    return 0


def _eval_spikes(args: argparse.Namespace) -> int:
    from detector import DetectorConfig
    from detector.crises.evaluation import evaluate, lines

    config = DetectorConfig.from_settings(settings(args)).spike_config()
    if args.data:
        return _eval_spike_weeks(args, config)
    data, scores = evaluate(config, seed=args.seed, series=args.series)
    if args.json:
        for score in scores:
            print(json.dumps(score.as_dict(), ensure_ascii=False))
    else:
        print("\n".join(lines(data, scores, args.seed)))
    return 0


def _eval_spike_weeks(args: argparse.Namespace, config: Any) -> int:
    from detector.crises.weekly import lines, weekly_alerts
    from detector.training.data import read_jsonl

    for path in args.data:
        counts, weeks = weekly_alerts(read_jsonl(path), config)
        if args.json:
            for week in weeks:
                print(json.dumps({"week": week.start.date().isoformat(), "days": week.days, "alerts": len(week.alerts),
                                  "set": "decide" if week.decide else "report"}))
        else:
            print("\n".join(lines(counts, weeks, config, path.name)))
    return 0
