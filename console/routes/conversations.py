"""Transcripts: the page (masked), revealing numbers (supervisors), the JSON export and the
printable page. Every view, reveal, export and print is written to the audit stream.

| Route | What |
|---|---|
| `GET /conversations/<id>` | the transcript with the script-audit result |
| `POST /conversations/<id>/reveal` | the same with numbers shown (supervisor, admin) |
| `GET /api/conversations/<id>` | JSON export (masked) |
| `GET /conversations/<id>/print` | printable transcript (masked) |
"""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from console.access import SUPERVISORS
from console.context import ConsoleContext
from console.conversations import conversation_view, transcript
from console.users import User

MAX_ID = 200


def register(app: Sanic, ctx: ConsoleContext) -> None:
    access, services, labels = ctx.access, ctx.services, ctx.config.labels
    fmt = access.renderer.fmt

    async def show(request: Request, user: User, cid: str, reveal: bool) -> HTTPResponse:
        data = conversation_view(services, cid, reveal, labels, ctx.config.channel_events)
        if data is None:
            return access.page(request, "base.html", code=404, title="没有这个会话",
                               error=f"没有找到会话 {cid[:MAX_ID]}")
        services.audit(user, "reveal" if reveal else "view", cid)
        caller = data["info"]["caller"]
        return access.page(request, "transcript.html", title=f"会话 · {caller or cid}",
                           cid=cid, revealed=reveal, **data)

    @app.get("/conversations/<cid>")
    @access.guarded()
    async def transcript_page(request: Request, user: User, cid: str) -> HTTPResponse:
        return await show(request, user, cid, reveal=False)

    @app.post("/conversations/<cid>/reveal")
    @access.guarded(roles=SUPERVISORS, csrf=True)
    async def transcript_reveal(request: Request, user: User, cid: str) -> HTTPResponse:
        return await show(request, user, cid, reveal=True)

    @app.get("/api/conversations/<cid>")
    @access.guarded()
    async def transcript_json(request: Request, user: User, cid: str) -> HTTPResponse:
        data = transcript(services, cid, reveal=False, labels=labels, fmt=fmt)
        if data is None:
            return response.json({"error": "not found"}, status=404)
        services.audit(user, "export", cid)
        return response.json(data, headers={
            "Content-Disposition": f'attachment; filename="conversation-{quote(cid)}.json"'},
            ensure_ascii=False)

    @app.get("/conversations/<cid>/print")
    @access.guarded()
    async def transcript_print(request: Request, user: User, cid: str) -> HTTPResponse:
        data = conversation_view(services, cid, False, labels, ctx.config.channel_events)
        if data is None:
            return access.page(request, "base.html", code=404, title="没有这个会话",
                               error=f"没有找到会话 {cid[:MAX_ID]}")
        services.audit(user, "print", cid)
        return access.page(request, "print.html", title="会话记录", cid=cid,
                           printed_at=datetime.now(timezone.utc), **data)
