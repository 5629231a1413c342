"""Small server-rendered SVG charts for the reports: no JavaScript, no CDN, readable at a glance."""

from django.utils.html import escape
from django.utils.safestring import mark_safe

GREEN, RED, GREY, AMBER = "#1d7a46", "#b3261e", "#8a93a6", "#c98a00"


def rate_bars(rows: list[tuple[str, float | None, int]], *, width: int = 560) -> str:
    """Horizontal bars of achievement rate per group: (label, rate or None, clocks)."""
    if not rows:
        return ""
    bar_h, gap, left = 22, 8, 170
    height = len(rows) * (bar_h + gap) + 24
    scale = width - left - 60
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" aria-label="Achievement rate by group">',
        f'<line x1="{left}" y1="0" x2="{left}" y2="{height - 20}" stroke="#ccd1da"/>',
    ]
    for i, (label, rate, clocks) in enumerate(rows):
        y = i * (bar_h + gap)
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{escape(label[:24])}</text>"
        )
        if rate is None:
            parts.append(
                f'<text x="{left + 6}" y="{y + 15}" font-size="12" fill="{GREY}">'
                f"no finished clocks</text>"
            )
            continue
        colour = GREEN if rate >= 0.9 else AMBER if rate >= 0.75 else RED
        parts.append(
            f'<rect x="{left}" y="{y}" width="{max(1, rate * scale):.1f}" height="{bar_h}" '
            f'fill="{colour}" rx="3"><title>{escape(label)}: {rate:.0%} of {clocks}</title></rect>'
        )
        parts.append(
            f'<text x="{left + rate * scale + 6:.1f}" y="{y + 15}" font-size="12">'
            f'{rate:.0%} <tspan fill="{GREY}">({clocks})</tspan></text>'
        )
    for tick in (0, 0.5, 1):
        x = left + tick * scale
        parts.append(
            f'<text x="{x:.0f}" y="{height - 4}" font-size="11" fill="{GREY}" '
            f'text-anchor="middle">{tick:.0%}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def trend_chart(points: list[tuple[str, int, int, float | None]], *, width: int = 640) -> str:
    """Stacked bars of achieved/breached per bucket with the achievement rate as a line."""
    if not points:
        return ""
    height, bottom, left = 200, 24, 36
    plot_h = height - bottom - 10
    step = (width - left - 10) / len(points)
    top = max(a + b for _, a, b, _ in points) or 1
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" aria-label="Achieved and breached clocks over time">'
    ]
    line = []
    for i, (label, achieved, breached, rate) in enumerate(points):
        w = min(step * 0.7, 36)  # a few buckets must not turn into slabs
        x = left + i * step + (step - w) / 2
        h_a = achieved / top * plot_h
        h_b = breached / top * plot_h
        base = height - bottom
        parts.append(
            f'<rect x="{x:.1f}" y="{base - h_a:.1f}" width="{w:.1f}" height="{h_a:.1f}" '
            f'fill="{GREEN}" opacity=".75">'
            f"<title>{escape(label)}: {achieved} achieved</title></rect>"
        )
        parts.append(
            f'<rect x="{x:.1f}" y="{base - h_a - h_b:.1f}" width="{w:.1f}" height="{h_b:.1f}" '
            f'fill="{RED}" opacity=".8"><title>{escape(label)}: {breached} breached</title></rect>'
        )
        if rate is not None:
            line.append(f"{x + w / 2:.1f},{base - rate * plot_h:.1f}")
        if len(points) <= 16 or i % max(1, len(points) // 8) == 0:
            parts.append(
                f'<text x="{x + w / 2:.1f}" y="{height - 6}" font-size="10" fill="{GREY}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    if len(line) > 1:
        parts.append(
            f'<polyline points="{" ".join(line)}" fill="none" stroke="#2f5bd3" stroke-width="2"/>'
        )
    parts.append(
        f'<text x="4" y="14" font-size="11" fill="{GREY}">{top}</text>'
        f'<text x="{width - 4}" y="14" font-size="11" fill="#2f5bd3" text-anchor="end">'
        "line: achievement rate</text></svg>"
    )
    return mark_safe("".join(parts))
