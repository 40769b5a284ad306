"""Chart geometry for the figures page: pure data (bars, grid lines, labels) that
console/templates/_charts.html draws as inline SVG. No script, no external asset."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

PALETTE = ("#3370ff", "#ff8800", "#34c38f", "#f04864", "#8e6cef", "#8f959e")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str  # the tooltip: what the bar counts
    href: str = ""  # drill-down to the records behind the bar


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"


@dataclass(frozen=True)
class Chart:
    chart_id: str
    title: str
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    grid: list[float] = field(default_factory=list)  # y of horizontal grid lines
    legend: list[tuple[float, str, str]] = field(default_factory=list)  # x, colour, name
    empty: bool = False


def nice_max(value: float) -> float:
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
    names: Mapping[str, str],
) -> Chart:
    """Vertical stacked bars: one bar per label, one colour per series (with a legend).
    `names`: the label of each series (channels)."""
    width, height, left, bottom, top = 720, 240, 36, 44, 16
    plot_w, plot_h = width - left - 10, height - bottom - top
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    peak = nice_max(max(totals, default=0))
    slot = plot_w / max(1, len(labels))
    bar = max(2.0, slot * 0.6)
    chart = Chart(chart_id, title, width, height)
    for tick in (0, 0.5, 1):
        y = top + plot_h * (1 - tick)
        chart.grid.append(y)
        chart.texts.append(Text(left - 6, y + 4, f"{peak * tick:g}", "end"))
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
            chart.bars.append(Bar(x, y, bar, h, PALETTE[n % len(PALETTE)],
                                  f"{label} {names.get(key, key)}:{value}"))
        if i % every == 0:
            chart.texts.append(Text(x + bar / 2, top + plot_h + 16, label, "middle"))
    x = float(left)
    for n, key in enumerate(series):
        shown = names.get(key, key)
        chart.legend.append((x, PALETTE[n % len(PALETTE)], shown))
        x += 28 + 13 * len(shown)
    return chart


def horizontal_bars(
    chart_id: str, title: str, items: Sequence[tuple[str, float, str]], *, percent: bool = False,
) -> Chart:
    """One horizontal bar per (label, value, drill-down link); `percent`: rates 0..1."""
    row, left, width = 28, 150, 500
    height = max(1, len(items)) * row + 16
    peak = 1.0 if percent else nice_max(max((v for _, v, _ in items), default=0))
    plot_w = width - left - 70
    chart = Chart(chart_id, title, width, height, empty=not items)
    for i, (label, value, href) in enumerate(items):
        y = 8 + i * row
        w = plot_w * (value / peak if peak else 0)
        text = f"{value * 100:.1f}%" if percent else f"{value:g}"
        short = label if len(label) <= 10 else label[:9] + "…"
        chart.texts.append(Text(left - 8, y + 15, short, "end"))
        chart.bars.append(Bar(left, y + 4, max(w, 1), row - 10, PALETTE[i % len(PALETTE)],
                              f"{label}:{text}", href))
        chart.texts.append(Text(left + max(w, 1) + 6, y + 15, text))
    return chart
