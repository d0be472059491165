"""How the pages read: the Jinja environment (autoescaped: every collected text is shown as text),
the Russian labels of statuses, kinds and verdicts, times, and the spread chart as inline SVG."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

TEMPLATES = Path(__file__).with_name("templates")
STATUSES = {"new": "новый", "assigned": "назначен", "answered": "ответ дан", "closed": "закрыт"}
KINDS = {"complaint": "жалоба", "crisis": "всплеск", "fake": "фейк", "threat": "угроза"}
VERDICTS = {"fake": "фейк", "true": "правда", "misleading": "вводит в заблуждение",
            "unverified": "не удаётся проверить"}
ROLES = {"operator": "оператор", "fact-checker": "фактчекер", "supervisor": "руководитель",
         "admin": "администратор"}
FIELDS = {"status": "статус", "assignee": "исполнитель", "answer": "официальный ответ", "notes": "заметка",
          "verdict": "вердикт", "merged": "присоединён инцидент", "merged_into": "объединён с",
          "split": "выделена публикация", "split_from": "выделен из"}


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True))
    env.filters.update(when=when, status=lambda s: STATUSES.get(s, s), kind=lambda k: KINDS.get(k, k),
                       verdict=lambda v: VERDICTS.get(v, v) if v else "—", role=lambda r: ROLES.get(r, r),
                       field=lambda f: FIELDS.get(f, f), spread_chart=spread_chart, markers=markers, share=share,
                       hours=hours)
    return env


def markers(rumour: Any) -> list[str]:
    """The rumour markers of a story's evidence (group → phrases, as the fact-checker writes them) as one list."""
    if isinstance(rumour, dict):
        return [phrase for phrases in rumour.values() for phrase in (phrases or [])]
    return [str(phrase) for phrase in rumour or []]


def share(value: float | None) -> str:
    """A share as a whole percentage; a dash where there was nothing to share."""
    return "—" if value is None else f"{100 * value:.0f}%"


def hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} ч"


def when(moment: datetime | str | None) -> str:
    """A time as staff read it: day, month, hours and minutes, UTC."""
    if moment is None or moment == "":
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.strftime("%d.%m.%Y %H:%M UTC")


def spread_chart(points: Sequence[tuple[datetime, int]], width: int = 240, height: int = 48) -> Markup:
    """Posts of a story over time as a small inline SVG polyline (cumulative count); no script."""
    if not points:
        return Markup('<span class="muted">нет данных</span>')
    times = [p[0].timestamp() for p in points]
    counts = [sum(p[1] for p in points[:n + 1]) for n in range(len(points))]
    span, top = (max(times) - min(times)) or 1.0, max(counts) or 1
    xy = " ".join(f"{(t - min(times)) / span * (width - 4) + 2:.1f},{height - 2 - c / top * (height - 4):.1f}"
                  for t, c in zip(times, counts, strict=True))
    label = escape(f"{counts[-1]} публикаций с {when(points[0][0])} по {when(points[-1][0])}")
    return Markup(f'<svg class="spread" width="{width}" height="{height}" role="img" aria-label="{label}">'
                  f'<title>{label}</title><polyline fill="none" stroke="#c0392b" stroke-width="2" points="{xy}"/>'
                  "</svg>")


def timeline(posts: Sequence[Any]) -> list[tuple[datetime, int]]:
    """Posts per hour of a story, oldest first: the spread chart's points."""
    hours = Counter(post.created_at.replace(minute=0, second=0, microsecond=0) for post in posts if post.created_at)
    return sorted(hours.items())


def page_numbers(total: int, size: int, current: int) -> dict[str, Any]:
    """What a pager shows: the current page of how many, and the neighbours."""
    pages = max(1, -(-total // size))
    return {"current": current, "pages": pages, "previous": current - 1 if current > 1 else None,
            "next": current + 1 if current < pages else None}
