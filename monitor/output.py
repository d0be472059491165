"""What the CLI prints: the per-source crawl summary, search results, the queues, crises,
evaluation reports and the staff files' check.

Author names, titles and texts come from pages anyone can write, so nothing reaches the operator's
terminal raw: :func:`clean_streams` puts :func:`clean` between the commands and stdout/stderr,
which drops escape sequences (a page could clear the screen, retitle the window, write to the
clipboard or forge a line) and control characters other than newline and tab.
"""

from __future__ import annotations

import re
import sys
from typing import IO, TYPE_CHECKING, Any, Sequence, TextIO, cast

from indexer.store import safe_url

if TYPE_CHECKING:
    from crawler.process import CrawlReport
    from detector.sectors import Sector
    from detector.staff.check import CheckReport
    from detector.training.evaluation import Report
    from indexer.schema import Incident, Post


_UNSAFE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, clearing the screen
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC: the window title, hyperlinks, the clipboard
    r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?"  # DCS, SOS, PM and APC strings
    r"|\x1b[ -/]*[0-~]?"  # any other escape, and a lone ESC
    r"|\x9b[0-?]*[ -/]*[@-~]"  # the 8-bit CSI
    r"|\x9d[^\x07\x9c]*(?:\x07|\x9c)?"  # the 8-bit OSC
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"  # C0 but \t \n, DEL, C1, bidi overrides
)


def clean(text: str) -> str:
    """``text`` without escape sequences and control characters, newlines and tabs kept."""
    return _UNSAFE.sub("", text)


class _CleanStream:
    """A text stream that writes what it is given through :func:`clean`."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(clean(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def clean_streams() -> None:
    """Clean everything the process prints from now on (``print``, logging, argparse)."""
    if not isinstance(sys.stdout, _CleanStream):
        sys.stdout = cast(TextIO, _CleanStream(sys.stdout))
    if not isinstance(sys.stderr, _CleanStream):
        sys.stderr = cast(TextIO, _CleanStream(sys.stderr))


def print_crawl_report(report: CrawlReport, store_url: str) -> None:
    """One row per source, the totals, what the store took. The errors total counts the sources'
    errors, the items left in the spool and the spool files moved aside: each keeps something
    collected out of the store."""
    width = max([len(r.source.id) for r in report.sources] + [6])
    print(f"\n{'source':<{width}}  {'platform':<9} {'posts':>6} {'comments':>9}  {'health':<9} errors")
    totals = [0, 0, 0]
    for r in report.sources:
        errors = ", ".join(f"{k} {v}" for k, v in sorted(r.errors.items())) or "-"
        skipped = report.skipped.get(r.source.platform)
        if skipped:
            errors = f"not crawled: {skipped}"
        print(f"{r.source.id:<{width}}  {r.source.platform:<9} {r.posts:>6} {r.comments:>9}  "
              f"{r.health or '-':<9} {errors}")
        totals[0] += r.posts
        totals[1] += r.comments
        totals[2] += sum(r.errors.values())
    failed = totals[2] + report.waiting() + len(report.quarantined())
    print(f"{'total':<{width}}  {'':<9} {totals[0]:>6} {totals[1]:>9}  {'':<9} {failed} errors")
    print(_stored(report, store_url))
    retried: dict[str, int] = {}
    for stats in report.stats.values():
        for key, value in stats.items():
            if key.startswith("retry/reason_count/"):
                reason = key.rsplit("/", 1)[-1].rsplit(".", 1)[-1]
                retried[reason] = retried.get(reason, 0) + value
    if retried:
        print("recovered by retrying: " + ", ".join(f"{k} {v}" for k, v in sorted(retried.items())))
    refused = [r for r in report.sources if r.refused]
    if refused:
        print("refused by the crawl scope (docs/CRAWL_SCOPE.md): " + "; ".join(
            f"{r.source.id} " + ", ".join(f"{k} {v}" for k, v in sorted(r.refused.items())) for r in refused))
    older = [r for r in report.sources if r.older]
    if older:
        print("older than the first crawl's window, not read: "
              + ", ".join(f"{r.source.id} {r.older}+" for r in older)
              + " (`monitor crawl --since DATE --source ID` reads them)")


def _stored(report: CrawlReport, store_url: str) -> str:
    """What the store took, and what it did not."""
    spooled, replayed = report.total("indexer/spooled"), report.total("indexer/spool_replayed")
    line = f"store {safe_url(store_url)}: {report.total('indexer/new')} new, {report.total('indexer/updated')} updated"
    if spooled or replayed:
        line += f", {spooled} spooled during an outage, {replayed} replayed from the spool"
    if report.waiting():
        line += f", {report.waiting()} still in the spool"
    if report.total("indexer/lost"):
        line += f", {report.total('indexer/lost')} neither stored nor spooled"
    if report.quarantined():
        line += f", {len(report.quarantined())} spool files moved to quarantine"
    if report.total("indexer/rejected"):
        line += f", {report.total('indexer/rejected')} rejected (kept in the spool's rejected/)"
    return line


def print_posts(posts: list[Post], total: int, store: str = "") -> None:
    where = f" in {store}" if store else ""
    print(f"{total} found{where}" + (f", newest {len(posts)} shown" if total > len(posts) else ""))
    if not total and store:
        print("(another store: --store URL, or the MONITOR_STORE_URL environment variable)")
    for post in posts:
        when = post.created_at.strftime("%Y-%m-%d %H:%M") if post.created_at else "????-??-?? ??:??"
        text = " ".join(((f"{post.title}. " if post.title else "") + post.text).split())
        print(f"\n{when}  {post.source_id}  {post.kind}  {post.author.name or ''}")
        print(f"  {text[:300]}{'…' if len(text) > 300 else ''}")
        if post.origin is not None:  # a repost or forward: search may have matched its original's words
            origin = post.origin
            shared = " ".join(origin.text.split())
            print(f"  ↪ {origin.author.name or origin.author.id or '?'}: {shared[:300]}{'…' if len(shared) > 300 else ''}"
                  f"  {origin.url or ''}".rstrip())
        print(f"  {post.url or post.id}")


def print_incidents(incidents: list[Incident], store: str = "") -> None:
    """The routing queue as staff read it: deadline first, overdue marked."""
    if not incidents:
        print(f"the queue is empty{_in(store)}")
        return
    for incident in incidents:
        deadline = incident.deadline.strftime("%d.%m %H:%M") if incident.deadline else "—"
        flag = " ПРОСРОЧЕНО" if incident.overdue() else ""
        place = incident.territory.address if incident.territory and incident.territory.address else "адрес неизвестен"
        print(f"{incident.id}  [{incident.sector}] {incident.priority:<6} срок {deadline}{flag}  "
              f"постов {len(incident.post_ids)}  {place}")
        print(f"    → {incident.body}")
        print(f"    {incident.title}")


def print_factcheck(incidents: list[Incident], store: str = "") -> None:
    """The fact-check queue: each story with its first post, spread, evidence and the answer to link."""
    if not incidents:
        print(f"the queue is empty{_in(store)}")
        return
    for incident in incidents:
        evidence = incident.evidence
        cluster = evidence.get("cluster") or {}
        flag = " ПРОСРОЧЕНО" if incident.overdue() else ""
        first = cluster.get("first_seen", incident.opened_at.isoformat())[:16].replace("T", " ")
        print(f"{incident.id}  {incident.priority:<6} fake {incident.fake or 0:.2f}  {incident.status}"
              f"{' ' + incident.verdict if incident.verdict else ''}{flag}  впервые {first}  "
              f"постов {len(incident.post_ids)}, источников {len(incident.sources)}")
        print(f"    {incident.title}")
        print(f"    источники: {', '.join(incident.sources)}")
        if cluster.get("new_sources_per_hour"):
            print(f"    новых источников по часам: {cluster['new_sources_per_hour']}")
        for group, phrases in (evidence.get("rumour") or {}).items():
            print(f"    {group}: {', '.join(phrases)}")
        if evidence.get("registry"):
            known = evidence["registry"]
            print(f"    известный фейк: {known['claim']} ({known['status']}, сходство {known['similarity']:.2f})")
        for denial in evidence.get("denied_by") or []:
            print(f"    опровержение: {denial.get('source_id')}: {denial.get('text', '')[:120]}")
        if evidence.get("threat"):
            print(f"    угроза: {', '.join(evidence['threat'])}")
        if evidence.get("suggested_debunk"):
            print(f"    ответить ссылкой: {evidence['suggested_debunk']}")


def print_crises(incidents: list[Incident], out: IO[str] | None = None) -> None:
    """Crises as staff read them: the series, the count against the norm, why."""
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


def print_reports(reports: list[Report], out: IO[str] | None = None) -> None:
    for report in reports:
        for line in report.lines():
            print(line, file=out or sys.stdout)


def print_check(report: CheckReport) -> None:
    """One line per problem (``<file>: <where>: field '<name>': <what>``), then the verdict; when
    every file is valid, what each holds."""
    for problem in report.problems:
        print(problem)
    warned = f", {len(report.warnings)} warning(s)" if report.warnings else ""
    invalid = report.invalid_files()
    if invalid:
        print(f"{len(report.errors)} problem(s) in {len(invalid)} of {len(report.files)} files{warned}")
        return
    print(f"all {len(report.files)} files valid{warned}")
    for line in report.summaries:
        print(f"  {line}")


def print_sectors(sectors: Sequence[Sector]) -> None:
    """The sectors as ``sectors.yml`` defines them: code, name, the ЦУР taxonomy groups."""
    print(f"{len(sectors)} sectors:")
    code, name = (max((len(getattr(s, f)) for s in sectors), default=0) for f in ("code", "name"))
    for sector in sectors:
        print(f"  {sector.code:<{code}}  {sector.name:<{name}}  {', '.join(sector.groups)}")


def _in(store: str) -> str:
    return f" in {store} (another store: --store URL)" if store else ""


def print_history(incident: Incident) -> None:
    """Who changed what and when, oldest first."""
    if not incident.history:
        print("  no changes yet")
    for entry in incident.history:
        why = f" ({entry['reason']})" if entry.get("reason") else ""
        print(f"  {str(entry.get('at', ''))[:16].replace('T', ' ')}  {entry.get('by')}: {entry.get('field')} "
              f"{entry.get('from')} → {entry.get('to')}{why}")
