"""``monitor answers``: how fast and how well the bodies answer, per body, sector and territory."""

from __future__ import annotations

import argparse
import json
import re
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Sequence

from monitor.common import UsageError, add_settings, add_store, open_store, settings, since

if TYPE_CHECKING:
    from detector.jobs.service_levels import ServiceLevels, ServiceRow

HEAD = ("", "incidents", "answered", "in substance", "≤target", "any answer ≤target", "median h", "p90 h", "отписки",
        "overdue")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    answers = sub.add_parser(
        "answers", help="service levels: official answers within 24 h, median and p90 time, отписки, overdue",
        description="Service levels of the routing incidents opened in a period (default: the last 7 days), an "
                    "отписка counting as no answer: the share answered in substance within ANSWERS_TARGET_HOURS "
                    "(of those whose target has passed), the median and 90th percentile hours to the first "
                    "substantive answer, the share of first answers that are отписки, and how many are overdue now; "
                    "per body, sector and territory. The weekly report and the workspace show the same figures.")
    answers.add_argument("--since", type=since, help="incidents opened since (ISO date or 24h, 7d; default 7d)")
    answers.add_argument("--until", type=since, help="... and before (ISO date; default now)")
    answers.add_argument("--week", type=week, metavar="YYYY-Www", help="an ISO week instead, e.g. 2026-W49 (UTC)")
    answers.add_argument("--json", action="store_true", help="the report as one JSON object")
    add_store(answers)
    add_settings(answers)
    answers.set_defaults(run=run)


def week(value: str) -> datetime:
    """``--week``: the Monday 00:00 UTC that starts an ISO week such as ``2026-W49``."""
    found = re.fullmatch(r"(\d{4})-?W(\d{1,2})", value.strip(), flags=re.IGNORECASE)
    try:
        if found is None:
            raise ValueError(value)
        return datetime.fromisocalendar(int(found[1]), int(found[2]), 1).replace(tzinfo=timezone.utc)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected an ISO week like 2026-W49, got {value!r}") from exc


def run(args: argparse.Namespace) -> int:
    from detector import DetectorConfig
    from detector.jobs.service_levels import service_levels

    now = datetime.now(timezone.utc)
    if args.week is not None and (args.since is not None or args.until is not None):
        raise UsageError("--week is a period of its own: give it, or --since/--until, not both")
    start = args.week if args.week is not None else args.since or now - timedelta(days=7)
    end = start + timedelta(days=7) if args.week is not None else args.until or now
    if end <= start:
        raise UsageError(f"--until ({end.isoformat()}) must come after --since ({start.isoformat()})")
    config = settings(args)
    store = open_store(config)
    try:
        levels = service_levels(store, DetectorConfig.from_settings(config), start, end, now)
    finally:
        store.close()
    if args.json:
        print(json.dumps(levels.as_dict(), ensure_ascii=False))
    else:
        print("\n".join(table(levels)))
    return 0


def table(levels: ServiceLevels) -> list[str]:
    """The service levels as a text table: the total, then each group kind's rows."""
    lines = [f"official answers to incidents opened {levels.since:%Y-%m-%d %H:%M} – {levels.until:%Y-%m-%d %H:%M} UTC "
             f"(target {levels.target_hours:g} h), as of {levels.now:%Y-%m-%d %H:%M}"]
    for kind, rows in (("total", [levels.total]), *((k, levels.group(k)) for k in ("body", "sector", "territory"))):
        if rows:
            lines += ["", *_rows((kind, *HEAD[1:]), [_cells(row) for row in rows])]
    return lines


def _cells(row: ServiceRow) -> tuple[str, ...]:
    return (row.key, str(row.incidents), str(row.answered), str(row.substantive), _share(row.share_in_target),
            str(row.any_in_target), _number(row.median_hours), _number(row.p90_hours),
            _share(row.share_otpiski), str(row.overdue))


def _rows(head: Sequence[str], cells: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(line[i]) for line in [head, *cells]) for i in range(len(head))]
    return ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True)))
            for line in [head, *cells]]


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"
