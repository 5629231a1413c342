"""Small server-drawn SVG charts for the reports: no JavaScript, no CDN, readable at a glance on
any screen.

The charts fill their card at any width: the horizontal geometry is written in percentages of
the chart's width and the vertical in pixels, so the text keeps its size (a viewBox would shrink
12 px labels to 7 px on a phone) while bars and gridlines stretch. Labels sit on their own line
or inside the plot, never past its edge; each legend is HTML under the chart, so it cannot
overlap a bar. Colours are classes (reportsui.css and its dark variant), with the light colours
as attributes for a reader without the stylesheet."""

import math

from django.utils.html import escape
from django.utils.safestring import mark_safe

GREEN, RED, GREY, AMBER, BLUE = "#1d7a46", "#b3261e", "#5b6475", "#c98a00", "#2f5bd3"
GOOD, FAIR = 0.9, 0.75  # achievement at or above GOOD is green, at or above FAIR amber


def _pct(value: float) -> str:
    return f"{value * 100:.2f}%"


def _rate_class(rate: float) -> tuple[str, str]:
    if rate >= GOOD:
        return "good", GREEN
    return ("fair", AMBER) if rate >= FAIR else ("poor", RED)


def _legend(items: list[tuple[str, str]]) -> str:
    swatches = "".join(
        f'<span class="key"><i class="swatch {css}"></i>{escape(text)}</span>'
        for css, text in items
    )
    return f'<figcaption class="legend">{swatches}</figcaption>'


def rate_bars(rows: list[tuple[str, float | None, int]]) -> str:
    """Achievement rate per group, one bar a row: (label, rate or None, clocks). The group's name
    and its figure share the line above its bar; the axis under the bars reads 0 %–100 %."""
    if not rows:
        return ""
    line, bar_h, row_h, axis_h = 16, 12, 38, 22
    height = len(rows) * row_h + axis_h
    parts = [
        f'<svg class="chart rate-bars" role="img" width="100%" height="{height}" '
        f'aria-label="Achievement rate by group">'
    ]
    for tick in (0.5, GOOD):  # gridlines behind the bars: half way and the "good" mark
        parts.append(
            f'<line class="grid" x1="{_pct(tick)}" y1="{line}" x2="{_pct(tick)}" '
            f'y2="{height - axis_h + 4}" stroke="#e2e5ea" stroke-dasharray="3 3"/>'
        )
    for i, (label, rate, clocks) in enumerate(rows):
        top = i * row_h
        parts.append(  # a nested svg clips a long name before it can reach the figure
            f'<svg x="0" y="{top}" width="70%" height="{line}"><text class="label" x="0" '
            f'y="{line - 4}" font-size="13"><title>{escape(label)}</title>{escape(label)}</text>'
            "</svg>"
        )
        figure = "no finished clocks" if rate is None else f"{rate:.0%} of {clocks}"
        parts.append(
            f'<text class="figure" x="100%" y="{top + line - 4}" font-size="13" '
            f'text-anchor="end">{figure}</text>'
        )
        parts.append(
            f'<rect class="track" x="0" y="{top + line}" width="100%" height="{bar_h}" rx="3" '
            'fill="#eceef3"/>'
        )
        if rate is not None:
            css, colour = _rate_class(rate)
            parts.append(
                f'<rect class="bar {css}" x="0" y="{top + line}" width="{_pct(max(rate, 0.004))}" '
                f'height="{bar_h}" rx="3" fill="{colour}">'
                f"<title>{escape(label)}: {rate:.0%} of {clocks} judged clocks</title></rect>"
            )
    axis_y = height - axis_h + 4
    parts.append(
        f'<line class="axis" x1="0" y1="{axis_y}" x2="100%" y2="{axis_y}" stroke="#cfd4dc"/>'
    )
    for tick, anchor in ((0, "start"), (0.5, "middle"), (1, "end")):  # GOOD's line: the legend
        parts.append(
            f'<text class="tick" x="{_pct(tick)}" y="{height - 4}" font-size="11" '
            f'text-anchor="{anchor}" fill="{GREY}">{tick:.0%}</text>'
        )
    parts.append("</svg>")
    legend = _legend(
        [
            ("good", f"{GOOD:.0%} or more (the dashed line)"),
            ("fair", f"{FAIR:.0%}–{GOOD:.0%}"),
            ("poor", f"under {FAIR:.0%}"),
        ]
    )
    return mark_safe(f'<figure class="chart-box">{"".join(parts)}{legend}</figure>')


def nice_top(value: int, steps: int = 4) -> int:
    """The smallest 1-2-5 multiple of `steps` at or above `value`: gridlines at round numbers."""
    if value <= steps:
        return steps
    raw = value / steps
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return int(factor * magnitude * steps)
    return int(10 * magnitude * steps)  # pragma: no cover - the loop always returns


def trend_chart(points: list[tuple[str, str, int, int, float | None]]) -> str:
    """Stacked bars of achieved and breached clocks per bucket, with the achievement rate as a
    line: (short label, full label, achieved, breached, rate). Counts read on the left of each
    gridline, the rate on the right; on a phone every other day label gives way."""
    if not points:
        return ""
    height, top_pad, bottom = 220, 14, 22
    plot_h = height - top_pad - bottom
    base = height - bottom
    count = len(points)
    step = 1 / count
    top = nice_top(max(a + b for _, _, a, b, _ in points))
    parts = [
        f'<svg class="chart trend" role="img" width="100%" height="{height}" '
        f'aria-label="Achieved and breached clocks over time, with the achievement rate">'
    ]
    for k in range(5):  # gridlines at 0, ¼, ½, ¾ and the top, labelled on both ends
        y = base - plot_h * k / 4
        parts.append(
            f'<line class="{"axis" if k == 0 else "grid"}" x1="0" y1="{y:.1f}" x2="100%" '
            f'y2="{y:.1f}" stroke="{"#cfd4dc" if k == 0 else "#e2e5ea"}"/>'
        )
        if k:
            parts.append(
                f'<text class="tick" x="0" y="{y - 3:.1f}" font-size="11" fill="{GREY}">'
                f"{top * k // 4}</text>"
                f'<text class="tick rate" x="100%" y="{y - 3:.1f}" font-size="11" '
                f'text-anchor="end" fill="{BLUE}">{k * 25}%</text>'
            )
    width = min(step * 0.7, 0.06)  # a few buckets must not turn into slabs
    label_every = max(1, math.ceil(count / 12))  # at most 12 labels on a wide screen, 6 on a phone
    previous = None
    for i, (short, full, achieved, breached, rate) in enumerate(points):
        centre = (i + 0.5) * step
        x = centre - width / 2
        h_a = achieved / top * plot_h
        h_b = breached / top * plot_h
        tip = f"{escape(full)}: {achieved} achieved, {breached} breached"
        if rate is not None:
            tip += f", {rate:.0%}"
        parts.append(
            f'<rect class="achieved" x="{_pct(x)}" y="{base - h_a:.1f}" width="{_pct(width)}" '
            f'height="{h_a:.1f}" fill="{GREEN}"><title>{tip}</title></rect>'
            f'<rect class="breached" x="{_pct(x)}" y="{base - h_a - h_b:.1f}" '
            f'width="{_pct(width)}" height="{h_b:.1f}" fill="{RED}"><title>{tip}</title></rect>'
        )
        if rate is not None:
            y = base - rate * plot_h
            if previous:
                parts.append(
                    f'<line class="rate-line" x1="{previous[0]}" y1="{previous[1]:.1f}" '
                    f'x2="{_pct(centre)}" y2="{y:.1f}" stroke="{BLUE}" stroke-width="2"/>'
                )
            parts.append(
                f'<circle class="rate-dot" cx="{_pct(centre)}" cy="{y:.1f}" r="3" fill="{BLUE}">'
                f"<title>{tip}</title></circle>"
            )
            previous = (_pct(centre), y)
        else:
            previous = None  # a bucket with nothing judged breaks the line
        if i % label_every == 0:
            wide_only = " wide-only" if (i // label_every) % 2 else ""
            parts.append(
                f'<text class="tick day{wide_only}" x="{_pct(centre)}" y="{height - 6}" '
                f'font-size="11" fill="{GREY}" text-anchor="middle">{escape(short)}</text>'
            )
    parts.append("</svg>")
    legend = _legend(
        [
            ("achieved", "achieved"),
            ("breached", "breached"),
            ("rate", "achievement rate (right scale)"),
        ]
    )
    return mark_safe(f'<figure class="chart-box">{"".join(parts)}{legend}</figure>')
