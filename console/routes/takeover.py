"""Console routes of the web-chat take-over (docs/CONSOLE.md, "Take-over").

| Route | What |
|---|---|
| `GET /takeover/<id>` | the live conversation, take-over state, claim / send / hand back |
| `POST /takeover/<id>/claim` | take it over (one agent at a time; pauses the bot) |
| `POST /api/takeover/<id>/messages` | send a line (`text`); JSON; 422: forbidden phrase |
| `POST /takeover/<id>/handback` | give it back to the bot (closing + satisfaction survey) |
| `GET /api/takeover/<id>?after=<index>` | state and the turns after `index` (polled by the page) |

The domain logic is `bot.takeover`; the conversation is changed through Rasa's HTTP API
(`console.rasa_api`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import settings
from bot.takeover import (
    SUPPORTED_CHANNELS,
    ControlUnavailable,
    ConversationControl,
    Takeover,
    TakeoverRefused,
    TakeoverService,
    conversation_channel,
)
from console.access import SUPERVISORS
from console.chat import conversation
from console.context import ConsoleContext
from console.rasa_api import RasaConversationControl
from console.transcript import load_events, turns
from console.users import User

STATUS_CODES = {
    "not_found": 404, "unsupported_channel": 400, "closed": 409, "claimed": 409,
    "not_taken": 409, "empty_message": 400, "too_long": 400, "forbidden_phrase": 422,
}
UNAVAILABLE = "暂时无法连接对话服务,请稍后再试。"


def _status(takeover: Takeover | None, user: User) -> str:
    if takeover is None:
        return "bot"
    if not takeover.active:
        return "handed_back"
    return "mine" if takeover.agent == user.name else "other"


def _view(takeover: Takeover | None) -> dict[str, Any] | None:
    return None if takeover is None else dict(takeover.__dict__, active=takeover.active)


def register(
    app: Sanic, ctx: ConsoleContext, control: ConversationControl | None = None
) -> TakeoverService:
    """Add the take-over routes to the console app; `control` defaults to Rasa's HTTP API."""
    access, client, audit = ctx.access, ctx.client, ctx.services.audit
    labels, fmt = ctx.config.labels, access.renderer.fmt
    channel_events = ctx.config.channel_events
    conf = settings()
    service = TakeoverService(
        client, control or RasaConversationControl(conf.rasa_url, conf.rasa_token)
    )

    def show(request: Request, user: User, cid: str, error: str = "",
             code: int = 200) -> HTTPResponse:
        events = load_events(client, cid)
        if events is None:
            return access.page(request, "base.html", code=404, title="没有这个会话",
                               error=f"没有找到会话 {cid[:200]}")
        channel = conversation_channel(events)
        supported = channel in SUPPORTED_CHANNELS
        if not supported and not error:
            error = "只有网页在线客服会话支持人工接管;电话和其他渠道的会话请按转接流程处理。"
        takeover = service.get(cid)
        return access.page(request, "takeover.html", code=code, title="人工接管", cid=cid,
                           channel=channel, supported=supported, takeover=takeover,
                           status=_status(takeover, user),
                           items=conversation(events, channel_events=channel_events),
                           last=len(events) - 1, max_chars=service.max_chars, error=error)

    def refused_page(request: Request, user: User, cid: str, exc: Exception) -> HTTPResponse:
        if isinstance(exc, TakeoverRefused):
            return show(request, user, cid, error=exc.message,
                        code=STATUS_CODES.get(exc.code, 400))
        return show(request, user, cid, error=UNAVAILABLE, code=503)

    @app.get("/takeover/<cid>")
    @access.guarded()
    async def takeover_page(request: Request, user: User, cid: str) -> HTTPResponse:
        found = show(request, user, cid)
        if found.status == 200:
            audit(user, "view", cid)
        return found

    @app.get("/api/takeover/<cid>")
    @access.guarded()
    async def takeover_state(request: Request, user: User, cid: str) -> HTTPResponse:
        events = load_events(client, cid)
        if events is None:
            return response.json({"error": "not_found", "message": "没有这个会话。"}, status=404)
        try:
            after = int(request.args.get("after", "-1"))
        except ValueError:
            return response.json({"error": "invalid_after", "message": "after 须为整数。"},
                                 status=400)
        takeover = service.get(cid)
        return response.json({
            "conversation_id": cid, "channel": conversation_channel(events),
            "takeover": _view(takeover), "status": _status(takeover, user),
            "turns": [{**t, "speaker_label": labels.of("speaker", t["speaker"]),
                       "time_text": fmt.clock(t["time"])}
                      for t in turns(events) if t["index"] > after],
        }, ensure_ascii=False)

    @app.post("/takeover/<cid>/claim")
    @access.guarded(csrf=True)
    async def takeover_claim(request: Request, user: User, cid: str) -> HTTPResponse:
        try:
            await service.take_over(cid, user.name, load_events(client, cid))
        except (TakeoverRefused, ControlUnavailable) as exc:
            return refused_page(request, user, cid, exc)
        audit(user, "takeover", cid)
        return response.redirect(f"/takeover/{quote(cid)}")

    @app.post("/api/takeover/<cid>/messages")
    @access.guarded(csrf=True)
    async def takeover_message(request: Request, user: User, cid: str) -> HTTPResponse:
        try:
            text = await service.send(cid, user.name, request.form.get("text"))
        except TakeoverRefused as exc:
            return response.json({"ok": False, "error": exc.code, "message": exc.message},
                                 status=STATUS_CODES.get(exc.code, 400), ensure_ascii=False)
        except ControlUnavailable:
            return response.json({"ok": False, "error": "unavailable", "message": UNAVAILABLE},
                                 status=503, ensure_ascii=False)
        return response.json({"ok": True, "text": text}, ensure_ascii=False)

    @app.post("/takeover/<cid>/handback")
    @access.guarded(csrf=True)
    async def takeover_handback(request: Request, user: User, cid: str) -> HTTPResponse:
        try:
            await service.hand_back(cid, user.name)
        except (TakeoverRefused, ControlUnavailable) as exc:
            return refused_page(request, user, cid, exc)
        audit(user, "handback", cid)
        return response.redirect(f"/takeover/{quote(cid)}")

    @app.post("/takeover/<cid>/release")
    @access.guarded(roles=SUPERVISORS, csrf=True)
    async def takeover_release(request: Request, user: User, cid: str) -> HTTPResponse:
        try:
            await service.release(cid, user.name)
        except (TakeoverRefused, ControlUnavailable) as exc:
            return refused_page(request, user, cid, exc)
        audit(user, "takeover_release", cid)
        return response.redirect(f"/takeover/{quote(cid)}")

    return service
