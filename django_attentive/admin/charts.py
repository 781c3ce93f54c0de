"""Charts drawn on the server as SVG: no JavaScript, no CDN, colours from the admin's CSS.

Every shape carries a CSS class (``series-sent``, ``axis``...) and the stylesheet
(``static/django_attentive/dashboard.css``) colours them for the light and dark admin themes.
Each chart sits next to a table of the same numbers, so the SVG is ``aria-hidden`` decoration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 24
GRID_LINES = 4


@dataclass(frozen=True)
class Series:
    key: str  # CSS class suffix: series-<key>
    label: str
    values: Sequence[int]


def stacked_bars(days: Sequence[date], series: Sequence[Series]) -> SafeString:
    """One bar per day, the series stacked bottom-up in the order given."""
    totals = [sum(s.values[i] for s in series) for i in range(len(days))]
    top = _nice_max(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.75, 1.0)
    shapes: list[SafeString] = []
    for i, day in enumerate(days):
        x = LEFT + i * slot + (slot - bar_w) / 2
        base = 0
        for s in series:
            n = s.values[i]
            if not n:
                continue
            y0, y1 = _y(base, top, plot_h), _y(base + n, top, plot_h)
            shapes.append(
                format_html(
                    '<rect class="series-{}" x="{}" y="{}" width="{}" '
                    'height="{}"><title>{} {}: {}</title></rect>',
                    s.key,
                    _f(x),
                    _f(y1),
                    _f(bar_w),
                    _f(max(y0 - y1, 0.5)),
                    day.isoformat(),
                    s.label,
                    n,
                )
            )
            base += n
    return _frame(days, top, mark_safe("".join(shapes)))


def lines(days: Sequence[date], series: Sequence[Series]) -> SafeString:
    """One polyline per series, a dot per day."""
    top = _nice_max(max((v for s in series for v in s.values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    shapes: list[SafeString] = []
    for s in series:
        points = [(LEFT + (i + 0.5) * slot, _y(v, top, plot_h)) for i, v in enumerate(s.values)]
        shapes.append(
            format_html(
                '<polyline class="line series-{}" fill="none" points="{}"/>',
                s.key,
                " ".join(f"{x:.1f},{y:.1f}" for x, y in points),
            )
        )
        shapes.extend(
            format_html(
                '<circle class="series-{}" cx="{}" cy="{}" r="2.5">'
                "<title>{} {}: {}</title></circle>",
                s.key,
                _f(x),
                _f(y),
                days[i].isoformat(),
                s.label,
                s.values[i],
            )
            for i, (x, y) in enumerate(points)
        )
    return _frame(days, top, mark_safe("".join(shapes)))


def horizontal_bars(rows: Sequence[tuple[str, int]]) -> SafeString:
    """One labelled bar per row, longest first, for a handful of categories."""
    if not rows:
        return mark_safe("")
    row_h, label_w, width = 26, 0, WIDTH
    top = max(n for _, n in rows)
    height = row_h * len(rows) + 4
    bars = format_html_join(
        "",
        '<rect class="reason" x="0" y="{}" width="{}" height="{}">'
        "<title>{}: {}</title></rect>"
        '<text class="bar-label" x="4" y="{}">{} ({})</text>',
        (
            (
                i * row_h + 2,
                _f(max((width - label_w) * n / top, 1.0)),
                row_h - 6,
                label,
                n,
                _f(i * row_h + row_h / 2 + 2),
                _short(label),
                n,
            )
            for i, (label, n) in enumerate(rows)
        ),
    )
    return format_html(
        '<svg class="attentive-chart" viewBox="0 0 {} {}" role="presentation" '
        'aria-hidden="true">{}</svg>',
        width,
        height,
        bars,
    )


def _frame(days: Sequence[date], top: int, shapes: SafeString) -> SafeString:
    plot_h = HEIGHT - TOP - BOTTOM
    grid = format_html_join(
        "",
        '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text class="axis" x="{}" y="{}" text-anchor="end">{}</text>',
        (
            (LEFT, WIDTH - RIGHT, _f(y), _f(y), LEFT - 6, _f(y + 4), value)
            for value, y in (
                (top * k // GRID_LINES, _y(top * k // GRID_LINES, top, plot_h))
                for k in range(GRID_LINES + 1)
            )
        ),
    )
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    every = max(1, len(days) // 6)
    ticks = format_html_join(
        "",
        '<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>',
        (
            (_f(LEFT + (i + 0.5) * slot), HEIGHT - 6, day.strftime("%b %d"))
            for i, day in enumerate(days)
            if (len(days) - 1 - i) % every == 0
        ),
    )
    return format_html(
        '<svg class="attentive-chart" viewBox="0 0 {} {}" role="presentation" '
        'aria-hidden="true">{}{}{}</svg>',
        WIDTH,
        HEIGHT,
        grid,
        shapes,
        ticks,
    )


def _f(value: float) -> str:
    return f"{value:.1f}"


def _y(value: float, top: int, plot_h: float) -> float:
    return TOP + plot_h - (value / top) * plot_h


def _nice_max(value: int) -> int:
    """The axis top: the value rounded up to 1, 2 or 5 times a power of ten, divisible by 4."""
    if value <= GRID_LINES:
        return GRID_LINES
    magnitude = int(10 ** (len(str(value)) - 1))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            top = step * magnitude
            return top + (-top) % GRID_LINES
    return value  # pragma: no cover


def _short(label: str, limit: int = 90) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
