"""Server-side charts as inline SVG (no scripts, no external assets; text escaped)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

PALETTE = ("#3b6ea5", "#e08a2e", "#4c9a5b", "#b5485d", "#7a5ea8", "#8a8a8a")
FONT = 'font-family="sans-serif" font-size="11"'


def _nice_max(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if value <= step * factor:
            return step * factor
    return step * 10


def stacked_bars(
    chart_id: str, title: str, labels: Sequence[str], series: Mapping[str, Sequence[int]],
    names: Mapping[str, str] | None = None,
) -> str:
    """Vertical stacked bars: one bar per label, one colour per series (with a legend)."""
    width, height, left, bottom, top = 640, 240, 36, 40, 24
    plot_w, plot_h = width - left - 10, height - bottom - top
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    peak = _nice_max(max(totals, default=0))
    slot = plot_w / max(1, len(labels))
    bar = max(2.0, slot * 0.7)
    parts = [f'<svg id="{escape(chart_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" '
             f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for tick in (0, 0.5, 1):
        y = top + plot_h * (1 - tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" '
                     'stroke="#ddd"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" {FONT}>'
                     f'{peak * tick:g}</text>')
    every = max(1, len(labels) // 10)
    for i, label in enumerate(labels):
        x = left + slot * i + (slot - bar) / 2
        y = top + plot_h
        for n, (key, values) in enumerate(series.items()):
            value = values[i]
            if not value:
                continue
            h = plot_h * value / peak
            y -= h
            shown = (names or {}).get(key, key)
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                         f'height="{h:.1f}" fill="{PALETTE[n % len(PALETTE)]}">'
                         f'<title>{escape(label)} {escape(shown)}: {value}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 14}" '
                         f'text-anchor="middle" {FONT}>{escape(label[5:] or label)}</text>')
    x = left
    for n, key in enumerate(series):
        shown = (names or {}).get(key, key)
        parts.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" '
                     f'fill="{PALETTE[n % len(PALETTE)]}"/><text x="{x + 14}" y="{height - 5}" '
                     f'{FONT}>{escape(shown)}</text>')
        x += 24 + 12 * len(shown)
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(
    chart_id: str, title: str, items: Sequence[tuple[str, float]], *, percent: bool = False,
) -> str:
    """One horizontal bar per (label, value); `percent`: values are rates 0..1."""
    row, left, width = 24, 190, 640
    height = max(1, len(items)) * row + 20
    peak = 1.0 if percent else _nice_max(max((v for _, v in items), default=0))
    plot_w = width - left - 70
    parts = [f'<svg id="{escape(chart_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" '
             f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    if not items:
        parts.append(f'<text x="10" y="20" {FONT}>暂无数据</text>')
    for i, (label, value) in enumerate(items):
        y = 10 + i * row
        w = plot_w * (value / peak if peak else 0)
        text = f"{value * 100:.1f}%" if percent else f"{value:g}"
        short = label if len(label) <= 14 else label[:13] + "…"
        parts.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" {FONT}>'
                     f'{escape(short)}</text>')
        parts.append(f'<rect class="bar" x="{left}" y="{y + 3}" width="{max(w, 1):.1f}" '
                     f'height="{row - 8}" fill="{PALETTE[i % len(PALETTE)]}">'
                     f'<title>{escape(label)}: {text}</title></rect>')
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + 14}" {FONT}>{text}</text>')
    parts.append("</svg>")
    return "".join(parts)
