"""The service figures (bot/figures.py) over the last 7 or 30 days, for supervisors and
admins: the page with charts, its JSON, and the records behind every figure (drill-down).

| Route | What |
|---|---|
| `GET /figures`, `/api/figures` | the figures (`days=7\\|30`) |
| `GET /figures/records`, `/api/figures/records` | records behind a figure (`figure`, `part`) |
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.figures import (
    PERIODS,
    FigureData,
    Period,
    compute_figures,
    load_figure_data,
    period_of,
    select_records,
)
from console.access import SUPERVISORS
from console.context import ConsoleContext
from console.drilldown import FIGURES, records_of
from console.figure_charts import charts
from console.pager import paginate
from console.users import User


def register(app: Sanic, ctx: ConsoleContext) -> None:
    access, config = ctx.access, ctx.config
    labels, fmt = config.labels, access.renderer.fmt

    def period_from(request: Request) -> Period | None:
        raw = request.args.get("days", "7")
        if raw not in {str(p) for p in PERIODS}:
            return None
        return period_of(int(raw), datetime.now(config.tz), config.tz)

    def figures_for(period: Period) -> tuple[FigureData, dict[str, Any]]:
        data = load_figure_data(ctx.client, period)
        figures = compute_figures(data, period, tz=config.tz,
                                  categories=labels.table("category"),
                                  callback_grace=config.callback_grace)
        return data, figures

    @app.get("/figures")
    @access.guarded(roles=SUPERVISORS)
    async def figures_page(request: Request, user: User) -> HTTPResponse:
        period = period_from(request)
        if period is None:
            return access.page(request, "base.html", code=400, title="数据统计",
                               error="时间范围只能是最近 7 天或 30 天")
        _, figures = figures_for(period)
        return access.page(request, "figures.html", title="数据统计", f=figures,
                           charts=charts(figures, labels, fmt), periods=PERIODS)

    @app.get("/api/figures")
    @access.guarded(roles=SUPERVISORS)
    async def figures_json(request: Request, user: User) -> HTTPResponse:
        period = period_from(request)
        if period is None:
            return response.json({"error": "days must be 7 or 30"}, status=400)
        _, figures = figures_for(period)
        for row in figures["handoffs"]["by_reason"]:
            row["label"] = labels.of("handoff_reason", row["reason"])
        figures["conversations"]["channel_labels"] = {
            ch: labels.of("channel", ch) for ch in figures["conversations"]["channels"]}
        return response.json(figures, ensure_ascii=False)

    def drilldown(request: Request) -> tuple[Period, dict[str, Any]] | None:
        period = period_from(request)
        figure = request.args.get("figure", "")
        if period is None or figure not in FIGURES:
            return None
        data, _ = figures_for(period)
        chosen = select_records(data, period, callback_grace=config.callback_grace)
        found = records_of(chosen, figure, request.args.get("part", ""),
                           request.args.get("day", ""), labels, fmt, config.tz)
        return (period, found) if found is not None else None

    @app.get("/figures/records")
    @access.guarded(roles=SUPERVISORS)
    async def figure_records(request: Request, user: User) -> HTTPResponse:
        found = drilldown(request)
        if found is None:
            return access.page(request, "base.html", code=400, title="数据统计",
                               error="没有这项统计,请从统计页面进入")
        period, records = found
        args = {k: request.args.get(k, "") for k in ("days", "figure", "part", "day")}
        return access.page(request, "figure_records.html", title=records["title"],
                           records=records, period=period, args=args,
                           back="/figures?" + urlencode({"days": period.days}),
                           pager=paginate(records["rows"], request.args.get("page"),
                                          config.page_size))

    @app.get("/api/figures/records")
    @access.guarded(roles=SUPERVISORS)
    async def figure_records_json(request: Request, user: User) -> HTTPResponse:
        found = drilldown(request)
        if found is None:
            return response.json({"error": "unknown figure or period"}, status=400)
        _, records = found
        return response.json({"title": records["title"], "kind": records["kind"],
                              "count": len(records["rows"]), "rows": records["rows"]},
                             ensure_ascii=False, default=str)
