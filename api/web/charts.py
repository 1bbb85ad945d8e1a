"""Charts drawn on the server as SVG: funding over time against the refund threshold, and what each party
committed against what it paid. Figures come in as the API's money strings; coordinates are computed in
Decimal and rounded to a tenth of a pixel, so no amount passes through a float."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape
from typing import Any, Callable

WIDTH, HEIGHT = 760, 320
LEFT, RIGHT, TOP, BOTTOM = 96, 16, 16, 40
TENTH = Decimal("0.1")
# Colours with at least 3:1 contrast against white (WCAG 2.1 1.4.11), told apart by dashes too.
SERIES = (("received", "#1f5f99", ""), ("spent", "#a23b1e", "6 4"), ("remaining", "#2b7a3d", ""))
THRESHOLD_COLOUR = "#6b4c9a"
MAX_POINTS = 200


def _px(value: Decimal) -> str:
    return str(value.quantize(TENTH))


def _scale(values: list[Decimal]) -> Decimal:
    top = max([*values, Decimal(0)])
    return top if top > 0 else Decimal(1)


def funding_over_time(points: list[tuple[date, dict[str, Any]]], threshold: Decimal,
                      labels: dict[str, str], money: Callable[[Any], str], day: Callable[[Any], str]) -> str:
    """A line per figure (received, spent, remaining) at each date, and the threshold as a dashed line."""
    points = points[:MAX_POINTS]
    values = {key: [Decimal(figures[key]) for _, figures in points] for key, _, _ in SERIES}
    top = _scale([v for series in values.values() for v in series] + [threshold])
    low = min([Decimal(0), *values["remaining"]])
    plot_w, plot_h = Decimal(WIDTH - LEFT - RIGHT), Decimal(HEIGHT - TOP - BOTTOM)
    span = top - low

    def x(index: int) -> Decimal:
        return Decimal(LEFT) + (plot_w * index / max(len(points) - 1, 1))

    def y(value: Decimal) -> Decimal:
        return Decimal(TOP) + plot_h * (top - value) / span

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-labelledby="funding-chart-title" class="chart">',
             f'<title id="funding-chart-title">{escape(labels["chart_text"])}</title>']
    for step in range(5):  # grid and amounts on the left
        value = low + span * step / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_px(y(value))}" y2="{_px(y(value))}" '
                     f'class="grid"/><text x="{LEFT - 6}" y="{_px(y(value) + 4)}" text-anchor="end" '
                     f'class="axis">{escape(money(value.quantize(Decimal(1))))}</text>')
    last = len(points) - 1
    every = max(1, -(-len(points) // 6))  # at most about seven dates under the axis, none overlapping
    for index, (when, _) in enumerate(points):
        if index in (0, last) or (index % every == 0 and last - index >= every):
            anchor = "end" if index == last else "start" if index == 0 else "middle"
            parts.append(f'<text x="{_px(x(index))}" y="{HEIGHT - BOTTOM + 18}" text-anchor="{anchor}" '
                         f'class="axis">{escape(day(when))}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_px(y(threshold))}" y2="{_px(y(threshold))}" '
                 f'stroke="{THRESHOLD_COLOUR}" stroke-width="2" stroke-dasharray="2 4"/>')
    for key, colour, dashes in SERIES:
        path = " ".join(f"{_px(x(i))},{_px(y(v))}" for i, v in enumerate(values[key]))
        dash = f' stroke-dasharray="{dashes}"' if dashes else ""
        width = "5" if key == "received" else "2.5"  # received drawn wider, so it shows under remaining
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="{width}"{dash}/>')
    parts.append("</svg>")
    return "".join(parts)


def legend() -> list[tuple[str, str, str]]:
    """(figure, colour, dashes) of each line, and the threshold's, for the legend under the chart."""
    return [*SERIES, ("threshold", THRESHOLD_COLOUR, "2 4")]


def committed_and_paid(rows: list[dict[str, Any]], names: dict[str, str], labels: dict[str, str],
                       money: Callable[[Any], str]) -> str:
    """Per party, a bar of what it committed and, over it, a bar of what it paid."""
    rows = rows[:60]
    bar_h, gap, label_w = 22, 12, 250
    height = TOP + len(rows) * (bar_h + gap) + 8
    top = _scale([Decimal(r["committed"]) for r in rows] + [Decimal(r["paid"]) for r in rows])
    plot_w = Decimal(WIDTH - label_w - 140)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'aria-labelledby="parties-chart-title" class="chart">',
             f'<title id="parties-chart-title">{escape(labels["committed_vs_paid"])}</title>']
    for index, row in enumerate(rows):
        y0 = TOP + index * (bar_h + gap)
        committed, paid = Decimal(row["committed"]), max(Decimal(row["paid"]), Decimal(0))
        name = names.get(row["party_id"], row["party_id"])
        short = name if len(name) <= 34 else name[:33] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y0 + 15}" text-anchor="end" class="axis">{escape(short)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y0}" width="{_px(plot_w * committed / top)}" height="{bar_h}" '
                     f'class="bar-committed"/>')
        parts.append(f'<rect x="{label_w}" y="{y0 + 6}" width="{_px(plot_w * min(paid, top) / top)}" '
                     f'height="{bar_h - 12}" class="bar-paid"/>')
        parts.append(f'<text x="{_px(Decimal(label_w) + plot_w + 8)}" y="{y0 + 15}" class="axis">'
                     f'{escape(money(row["paid"]))} / {escape(money(row["committed"]))}</text>')
    parts.append("</svg>")
    return "".join(parts)
