"""An objective's burn-down: the error budget left at the end of each day of the period, drawn as
server-side SVG in the reports' manner (threads/reports/charts.py: x in percentages of the width,
y in pixels, colours as classes with the light colours as attributes, the legend in HTML)."""

from datetime import date

from django.utils.html import escape
from django.utils.safestring import mark_safe

from threads.reports.charts import BLUE, GREY, RED, _legend, _pct, nice_top

LABEL_GAP = 13  # pixels between two grid labels (11 px text)


def burn_down_chart(
    points: list[tuple[date, int]], first: date, last: date, label: str = ""
) -> str:
    """`points`: (day, budget left) for the period's days so far, from `first`; `last` is the
    period's last day, so the line stops at today and the rest of the period stays blank. Zero
    (the budget spent) is a red line; a negative budget goes under it."""
    days = (last - first).days + 1
    if not points or days <= 0:
        return ""
    height, top_pad, bottom = 180, 14, 22
    plot_h = height - top_pad - bottom
    high = nice_top(max(max(b for _, b in points), 1))
    low = min(min(b for _, b in points), 0)
    low = -nice_top(-low) if low < 0 else 0
    span = high - low

    def y(value: int) -> float:
        return top_pad + (high - value) / span * plot_h

    step = 1 / days
    parts = [
        f'<svg class="chart burn-down" role="img" width="100%" height="{height}" '
        f'aria-label="{escape(label or "Error budget left per day")}">'
    ]
    # Zero (spent) and the extremes first; a line whose label would touch a kept one is left out.
    kept: list[int] = []
    for value in dict.fromkeys([0, low, high, high // 2]):
        if all(abs(y(value) - y(other)) >= LABEL_GAP for other in kept):
            kept.append(value)
    for value in sorted(kept):
        css = "zero" if value == 0 else "grid"
        colour = RED if value == 0 else "#e2e5ea"
        dash = "" if value == 0 else ' stroke-dasharray="3 3"'
        parts.append(
            f'<line class="{css}" x1="0" y1="{y(value):.1f}" x2="100%" y2="{y(value):.1f}" '
            f'stroke="{colour}"{dash}/>'
            f'<text class="tick" x="0" y="{y(value) - 3:.1f}" font-size="11" fill="{GREY}">'
            f"{value}{' (spent)' if value == 0 else ''}</text>"
        )
    previous = None
    for i, (day, left) in enumerate(points):
        centre = _pct((i + 0.5) * step)
        tip = f"{day:%a %d %b}: {left} miss{'es' if abs(left) != 1 else ''} left"
        if previous:
            parts.append(
                f'<line class="burn-line" x1="{previous[0]}" y1="{previous[1]:.1f}" '
                f'x2="{centre}" y2="{y(left):.1f}" stroke="{BLUE}" stroke-width="2"/>'
            )
        css = "burn-dot over" if left < 0 else "burn-dot"
        parts.append(
            f'<circle class="{css}" cx="{centre}" cy="{y(left):.1f}" r="3" '
            f'fill="{RED if left < 0 else BLUE}"><title>{escape(tip)}</title></circle>'
        )
        previous = (centre, y(left))
    ticks = [("0", "start", first), ("100%", "end", last)]
    today = points[-1][0]
    if 0.15 < (len(points) - 0.5) * step < 0.85:  # today, where it does not crowd an edge
        ticks.append((_pct((len(points) - 0.5) * step), "middle", today))
    for x, anchor, day in ticks:
        parts.append(
            f'<text class="tick day" x="{x}" y="{height - 6}" font-size="11" fill="{GREY}" '
            f'text-anchor="{anchor}">{day:%d %b}</text>'
        )
    parts.append("</svg>")
    legend = _legend([("rate", "misses the target still allows"), ("breached", "0: budget spent")])
    return mark_safe(f'<figure class="chart-box">{"".join(parts)}{legend}</figure>')
