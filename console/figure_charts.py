"""The figures page's charts: every label from console.labels, every day in company
format, every bar linked to the records behind it (drill-down)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from console.charts import Chart, horizontal_bars, stacked_bars
from console.labels import Labels
from console.timefmt import TimeFormat


def records_url(days: int, figure: str, part: str = "", day: str = "") -> str:
    args = {"days": days, "figure": figure, "part": part, "day": day}
    return "/figures/records?" + urlencode({k: v for k, v in args.items() if v})


def charts(figures: dict[str, Any], labels: Labels, fmt: TimeFormat) -> dict[str, Chart]:
    days = figures["period"]["days"]
    conversations = figures["conversations"]
    channels = conversations["channels"]
    per_day = conversations["per_day"]
    callbacks = figures["callbacks"]
    ratings = figures["satisfaction"]["distribution"]
    day_names = [f"{date.fromisoformat(d['day']).month}月{date.fromisoformat(d['day']).day}日"
                 for d in per_day]
    return {
        "per_day": stacked_bars(
            "chart-conversations", "每日会话(按渠道)", day_names,
            {ch: [d[ch] for d in per_day] for ch in channels},
            {ch: labels.of("channel", ch) for ch in channels}),
        "handoffs": horizontal_bars(
            "chart-handoffs", "转人工率(按原因)",
            [(labels.of("handoff_reason", r["reason"]), r["rate"] or 0,
              records_url(days, "handoffs", r["reason"]))
             for r in figures["handoffs"]["by_reason"]], percent=True),
        "complaints": horizontal_bars(
            "chart-complaints", "投诉类别",
            [(labels.of("category", c["category"]), c["count"],
              records_url(days, "complaints", c["category"]))
             for c in figures["complaints"]["by_category"]]),
        "callbacks": horizontal_bars(
            "chart-callbacks", "回访",
            [("准时", callbacks["on_time"], records_url(days, "callbacks", "on_time")),
             ("迟到或未回访", callbacks["late"], records_url(days, "callbacks", "late")),
             ("尚未到判断时间", callbacks["waiting"], records_url(days, "callbacks", "waiting"))]),
        "satisfaction": horizontal_bars(
            "chart-satisfaction", "满意度分布",
            [(f"{score} 分", ratings[str(score)],
              records_url(days, "satisfaction", str(score))) for score in range(5, 0, -1)]),
    }
