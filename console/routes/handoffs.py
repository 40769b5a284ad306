"""The hand-off queue: the page, its JSON, the live feed (SSE) and claiming.

| Route | What |
|---|---|
| `GET /handoffs`, `/api/handoffs` | waiting hand-offs, priority first, then the longest wait |
| `GET /handoffs?view=claimed` | the hand-offs taken in the last 24 hours |
| `GET /handoffs/live` | the live part of the page, rendered for its script |
| `GET /api/handoffs/stream` | live feed of new (`handoff`) and taken (`claimed`) hand-offs |
| `POST /handoffs/<id>/claim` | take a waiting hand-off (atomic; announced on the feed) |
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import redis.asyncio as aioredis
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.handoffs import EVENTS_STREAM
from console.context import ConsoleContext
from console.queue import queue_view, waiting_sorted
from console.users import User

MAX_ID = 200  # longer ids cannot exist; refused before touching Redis


def register(app: Sanic, ctx: ConsoleContext) -> None:
    access, queue, client = ctx.access, ctx.services.handoffs, ctx.client

    def last_event_id() -> str:
        last = client.xrevrange(EVENTS_STREAM, count=1)
        return last[0][0].decode() if last else "0-0"

    labels, warn = ctx.config.labels, ctx.config.queue_wait_warning_s

    def view_of(request: Request) -> dict[str, Any]:
        view = queue_view(client, queue, datetime.now(timezone.utc), warn)
        return {"handoffs": view.waiting, "claimed": view.claimed, "stats": view.stats,
                "warn": warn, "view": "claimed" if request.args.get("view") == "claimed"
                else "waiting"}

    @app.get("/handoffs")
    @access.guarded()
    async def handoff_page(request: Request, user: User) -> HTTPResponse:
        since = last_event_id()
        return access.page(request, "handoffs.html", title="转人工队列", since=since,
                           **view_of(request))

    @app.get("/handoffs/live")
    @access.guarded()
    async def handoff_live(request: Request, user: User) -> HTTPResponse:
        return access.fragment(request, "_queue.html", **view_of(request))

    @app.get("/api/handoffs")
    @access.guarded()
    async def handoff_list(request: Request, user: User) -> HTTPResponse:
        rows = waiting_sorted(queue, datetime.now(timezone.utc), warn)
        for row in rows:
            row["reason_label"] = labels.of("handoff_reason", row["reason"])
            row["channel_label"] = labels.of("channel", row["channel"])
        return response.json({"handoffs": rows, "since": last_event_id()},
                             ensure_ascii=False)

    @app.get("/api/handoffs/stream")
    @access.guarded()
    async def handoff_stream(request: Request, user: User) -> None:
        since = request.headers.get("last-event-id") or request.args.get("since") or "$"
        resp = await request.respond(
            content_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
        stream = aioredis.Redis.from_url(ctx.redis_url)
        try:
            await resp.send(": connected\nretry: 2000\n\n")
            while True:
                found = await stream.xread({EVENTS_STREAM: since}, block=15000, count=100)
                if not found:
                    await resp.send(": keep-alive\n\n")
                    continue
                for _, entries in found:
                    for entry_id, fields in entries:
                        since = entry_id.decode()
                        kind = fields.get(b"type", b"handoff").decode()
                        data = fields.get(b"data", b"{}").decode()
                        await resp.send(f"id: {since}\nevent: {kind}\ndata: {data}\n\n")
        finally:
            await stream.close()

    @app.post("/handoffs/<cid>/claim")
    @access.guarded(csrf=True)
    async def handoff_claim(request: Request, user: User, cid: str) -> HTTPResponse:
        result = queue.claim(cid, user.name)
        if result.handoff is None:
            return access.page(request, "base.html", code=404, title="没有这个转人工",
                               error=cid[:MAX_ID])
        if not result.won:
            holder = result.handoff.claimed_by or "其他坐席"
            return access.page(request, "base.html", code=409, title="无法接手",
                               error=f"该转人工已由 {holder} 接手")
        ctx.services.audit(user, "claim_handoff", cid)
        return response.redirect(f"/conversations/{quote(cid)}")
