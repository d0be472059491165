"""The report's charts, drawn by matplotlib as SVG and inlined as data URIs, so one HTML file holds them.

Figures are made with ``matplotlib.figure.Figure`` (no pyplot: no global state, no GUI backend,
safe in a worker); text is drawn as paths with matplotlib's own DejaVu Sans, which has Cyrillic,
so neither the browser nor WeasyPrint needs a font to show a chart. Each function returns a
``data:image/svg+xml;base64,...`` URI; with nothing to draw it says so on the chart.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Sequence

from matplotlib.figure import Figure

from detector.reports.answers import body_name

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from detector.jobs.service_levels import ServiceRow
    from detector.reports.weekly import Fakes, WeeklyReport

WIDTH = 7.5  # inches: an A4 page's text width at the template's margins
TREND_SECTORS = 6  # lines in the trend chart: the week's largest sectors and the total
VERDICT_NAMES = {"fake": "фейк", "true": "правда", "unverified": "не подтверждено", "waiting": "ждёт проверки"}


def grid_chart(report: WeeklyReport) -> str:
    """Incidents by sector (rows) × territory (columns), as a heatmap with the counts written in."""
    sectors, places = report.sectors, report.territories[:12]
    figure = Figure(figsize=(WIDTH, 1.2 + 0.35 * max(1, len(sectors))))
    axes = figure.subplots()
    if not sectors:
        return _empty(figure, axes, "за неделю инцидентов нет")
    cells = [[report.grid.get((s, p), 0) for p in places] for s in sectors]
    axes.imshow(cells, cmap="OrRd", aspect="auto", vmin=0)
    axes.set_xticks(range(len(places)), places, rotation=35, ha="right", fontsize=8)
    axes.set_yticks(range(len(sectors)), sectors, fontsize=8)
    top = max(max(row) for row in cells) or 1
    for y, row in enumerate(cells):
        for x, value in enumerate(row):
            if value:
                axes.text(x, y, str(value), ha="center", va="center", fontsize=7,
                          color="white" if value > top * 0.6 else "black")
    axes.set_title("Инциденты по отраслям и территориям", fontsize=10)
    return _svg(figure)


def trend_chart(report: WeeklyReport) -> str:
    """Incidents a week over the past weeks: the total and the week's largest sectors."""
    figure = Figure(figsize=(WIDTH, 3.2))
    axes = figure.subplots()
    labels = [label for label, _ in report.trend]
    totals = [sum(counts.values()) for _, counts in report.trend]
    axes.plot(labels, totals, marker="o", color="black", linewidth=2, label="всего")
    for sector in report.sectors[:TREND_SECTORS]:
        axes.plot(labels, [counts.get(sector, 0) for _, counts in report.trend], marker=".", label=sector)
    axes.set_ylabel("инцидентов за неделю", fontsize=8)
    axes.tick_params(axis="x", labelrotation=35, labelsize=7)
    axes.tick_params(axis="y", labelsize=8)
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="upper left", ncols=2)
    axes.set_title(f"Динамика: {labels[0]} — {labels[-1]}" if labels else "Динамика", fontsize=10)
    return _svg(figure)


def answers_chart(rows: Sequence[ServiceRow], limit: int = 12) -> str:
    """Per body: the share answered within 24 h and the share of отписки, side by side."""
    shown = list(rows[:limit])
    figure = Figure(figsize=(WIDTH, 1.3 + 0.4 * max(1, len(shown))))
    axes = figure.subplots()
    if not shown:
        return _empty(figure, axes, "за неделю не было инцидентов с ответственным")
    ys = range(len(shown))
    within = [100 * (row.share_in_target or 0) for row in shown]
    otpiska = [100 * (row.share_otpiski or 0) for row in shown]
    axes.barh([y - 0.2 for y in ys], within, height=0.4, color="#2e7d32", label="ответ по существу за 24 ч, %")
    axes.barh([y + 0.2 for y in ys], otpiska, height=0.4, color="#c62828", label="отписки, % ответов")
    axes.set_yticks(list(ys), [_short(body_name(row.key), 38) for row in shown], fontsize=7)
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.tick_params(axis="x", labelsize=8)
    axes.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, frameon=False)
    figure.subplots_adjust(left=0.38)
    return _svg(figure)


def fakes_chart(fakes: Fakes) -> str:
    """The fact-check queue's stories of the week by verdict."""
    figure = Figure(figsize=(WIDTH, 2.4))
    axes = figure.subplots()
    if not fakes.found:
        return _empty(figure, axes, "за неделю новых сюжетов на проверку нет")
    names = [VERDICT_NAMES[v] for v in fakes.verdicts]
    bars = axes.bar(names, list(fakes.verdicts.values()), color=["#c62828", "#2e7d32", "#f9a825", "#90a4ae"])
    axes.bar_label(bars, fontsize=8)
    axes.tick_params(labelsize=8)
    axes.set_title(f"Проверка фактов: {fakes.found} сюжетов, опровергнуто {fakes.debunked}", fontsize=10)
    return _svg(figure)


def _empty(figure: Figure, axes: Axes, text: str) -> str:
    axes.set_axis_off()
    axes.text(0.5, 0.5, text, ha="center", va="center", fontsize=10, color="#555555")
    return _svg(figure)


def _svg(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
