"""`/figures` (charts) and `/api/figures` (JSON): the §8 service figures (bot/figures.py)
over the last 7 or 30 days, for supervisors and admins."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.clock import company_timezone
from bot.config import ConfigError, hotline_config
from bot.figures import PERIODS, compute_figures, load_figure_data, period_of
from console.access import SUPERVISORS
from console.charts import horizontal_bars, stacked_bars
from console.context import ConsoleContext
from console.users import User

CHANNEL_NAMES = {"phone": "电话", "webchat": "网页", "rest": "接口"}
# Hand-off reasons are intent names (actions/closing.py); unknown ones are shown as they are.
REASON_NAMES = {"angry": "情绪激动", "request_human": "要求人工", "dialect": "方言",
                "repeated_nomatch": "多次未听懂", "complaint": "投诉"}


def _grace() -> timedelta:
    section = hotline_config().section("console").get("figures") or {}
    try:
        return timedelta(minutes=float(section.get("callback_grace_minutes", 10)))
    except (TypeError, ValueError) as exc:
        raise ConfigError("hotline.yml: console.figures.callback_grace_minutes") from exc


def pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def charts(figures: dict[str, Any]) -> dict[str, str]:
    conversations = figures["conversations"]
    channels = conversations["channels"]
    per_day = conversations["per_day"]
    callbacks = figures["callbacks"]
    ratings = figures["satisfaction"]["distribution"]
    return {
        "per_day": stacked_bars(
            "chart-conversations", "每日会话(按渠道)", [d["day"] for d in per_day],
            {ch: [d[ch] for d in per_day] for ch in channels}, CHANNEL_NAMES),
        "handoffs": horizontal_bars(
            "chart-handoffs", "转人工率(按原因)",
            [(REASON_NAMES.get(r["reason"], r["reason"]), r["rate"] or 0)
             for r in figures["handoffs"]["by_reason"]], percent=True),
        "complaints": horizontal_bars(
            "chart-complaints", "投诉类别",
            [(c["label"], c["count"]) for c in figures["complaints"]["by_category"]]),
        "callbacks": horizontal_bars(
            "chart-callbacks", "回访",
            [("准时", callbacks["on_time"]), ("迟到", callbacks["late"]),
             ("未到期", callbacks["waiting"])]),
        "satisfaction": horizontal_bars(
            "chart-satisfaction", "满意度分布",
            [(f"{score} 分", ratings[str(score)]) for score in range(5, 0, -1)]),
    }


def register(app: Sanic, ctx: ConsoleContext) -> None:
    access = ctx.access

    def figures_of(request: Request) -> dict[str, Any] | None:
        raw = request.args.get("days", "7")
        if raw not in {str(p) for p in PERIODS}:
            return None
        tz = company_timezone()
        period = period_of(int(raw), datetime.now(tz), tz)
        return compute_figures(load_figure_data(ctx.client, period), period, tz=tz,
                               categories=hotline_config().complaint_categories,
                               callback_grace=_grace())

    @app.get("/figures")
    @access.guarded(roles=SUPERVISORS)
    async def figures_page(request: Request, user: User) -> HTTPResponse:
        figures = figures_of(request)
        if figures is None:
            return access.page(request, "base.html", code=400, title="统计",
                        error="时间范围只能是最近 7 天或 30 天")
        return access.page(request, "figures.html", title="统计", f=figures, charts=charts(figures),
                    periods=PERIODS, pct=pct)

    @app.get("/api/figures")
    @access.guarded(roles=SUPERVISORS)
    async def figures_json(request: Request, user: User) -> HTTPResponse:
        figures = figures_of(request)
        if figures is None:
            return response.json({"error": "days must be 7 or 30"}, status=400)
        return response.json(figures, ensure_ascii=False)
