"""Console routes for agents' work: claiming a hand-off, the printable transcript, editing
tickets (owner, severity, notes) and the callbacks page (claim, outcome, reschedule).

| Route | What |
|---|---|
| `POST /handoffs/<id>/claim` | take a waiting hand-off (atomic; announced on the live feed) |
| `GET /conversations/<id>/print` | printable transcript (masked; audited as `print`) |
| `POST /tickets/<n>/owner`, `/severity`, `/notes` | ticket edits (actor = the user) |
| `GET /callbacks`, `/api/callbacks`, `/callbacks/<id>` | due/overdue callbacks, event log |
| `POST /callbacks/<id>/claim`, `/outcome`, `/reschedule`, `/release` | callback work |
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from sanic import Sanic, response
from sanic.request import Request

from bot.callbacks.agents import (
    AgentCallbacks,
    Board,
    BoardEntry,
    CallbackHeld,
    NoDialer,
    agent_hold_from_config,
)
from bot.callbacks.factory import attach_scheduler
from bot.callbacks.policy import callback_policy_from_config
from bot.callbacks.scheduler import CallbackNotFound, CallbackStateError
from bot.config import hotline_config
from bot.console.context import ConsoleContext
from bot.console.pages import OUTCOME_LABELS, STATUS_LABELS, register_templates
from bot.console.users import User
from bot.tickets.errors import FieldError, TicketError, ValidationFailed
from bot.tickets.phone import mask_phone

MAX_ID = 200  # longer ids cannot exist; refused before touching Redis
TIME_ERRORS = {
    "time_in_past": "改期时间必须在将来",
    "time_too_far": "改期时间太远",
    "outside_business_hours": "改期时间必须在营业时间内",
    "quiet_hours": "改期时间在免打扰时段内",
    "invalid_outcome": "无效的回访结果",
    "required": "请填写必填项",
    "too_long": "内容太长",
    "invalid": "无效的取值",
}


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationFailed):
        return ";".join(TIME_ERRORS.get(e.code, e.code) for e in exc.errors) or "输入有误"
    if isinstance(exc, CallbackHeld):
        return f"该回访已由 {exc.holder} 认领,或正在由系统拨打"
    if isinstance(exc, CallbackNotFound):
        return "没有这个回访"
    if isinstance(exc, CallbackStateError):
        return "该回访当前不能执行此操作(未认领或已结束)"
    return "操作失败"


def register_agent_routes(app: Sanic, ctx: ConsoleContext) -> None:
    register_templates()
    guarded, page = ctx.guarded, ctx.page
    state: dict[str, Any] = {}

    def callbacks() -> AgentCallbacks:
        if "callbacks" not in state:
            config = hotline_config()
            tickets = ctx.tickets()
            scheduler = attach_scheduler(tickets, redis_client=ctx.client,
                                         policy=callback_policy_from_config(config),
                                         dialer=NoDialer())
            state["callbacks"] = AgentCallbacks(
                scheduler, hold=agent_hold_from_config(config.callbacks),
                hours=tickets.policy.hours, limits=tickets.policy.limits)
        return state["callbacks"]

    # -- hand-offs ------------------------------------------------------------------------
    @app.post("/handoffs/<cid>/claim")
    @guarded(csrf=True)
    async def handoff_claim(request: Request, user: User, cid: str):  # type: ignore[no-untyped-def]
        result = ctx.handoffs.claim(cid, user.name)
        if result.handoff is None:
            return page(request, "base", code=404, title="没有这个转人工", error=cid[:MAX_ID])
        if not result.won:
            holder = result.handoff.claimed_by or "其他坐席"
            return page(request, "base", code=409, title="无法接手",
                        error=f"该转人工已由 {holder} 接手")
        ctx.audit(user, "claim_handoff", cid)
        return response.redirect(f"/conversations/{quote(cid)}")

    # -- printable transcript -------------------------------------------------------------
    @app.get("/conversations/<cid>/print")
    @guarded()
    async def transcript_print(request: Request, user: User, cid: str):  # type: ignore[no-untyped-def]
        data = ctx.transcript(cid, False)
        if data is None:
            return page(request, "base", code=404, title="没有这个会话", error=cid[:MAX_ID])
        ctx.audit(user, "print", cid)
        return page(request, "print", cid=cid, turns=data["turns"], audit=data["audit"],
                    hung_up_by=data["audit"].get("hung_up_by"),
                    printed_at=datetime.now().astimezone().isoformat(timespec="seconds"))

    # -- ticket edits ---------------------------------------------------------------------
    async def ticket_edit(request: Request, number: str, change: Any):  # type: ignore[no-untyped-def]
        try:
            change()
        except (TicketError, ValueError) as exc:
            message = _message(exc) if isinstance(exc, ValidationFailed) else str(exc)[:300]
            return ctx.ticket_page(request, number, error=message, status=400)
        return response.redirect(f"/tickets/{quote(number)}")

    @app.post("/tickets/<number>/owner")
    @guarded(csrf=True)
    async def ticket_owner(request: Request, user: User, number: str):  # type: ignore[no-untyped-def]
        owner = request.form.get("owner", "")
        return await ticket_edit(request, number,
                                 lambda: ctx.tickets().assign_owner(number, owner, user.name))

    @app.post("/tickets/<number>/severity")
    @guarded(csrf=True)
    async def ticket_severity(request: Request, user: User, number: str):  # type: ignore[no-untyped-def]
        severity, note = request.form.get("severity", ""), request.form.get("note", "")
        return await ticket_edit(request, number, lambda: ctx.tickets().change_severity(
            number, severity, user.name, note[:200]))

    @app.post("/tickets/<number>/notes")
    @guarded(csrf=True)
    async def ticket_note(request: Request, user: User, number: str):  # type: ignore[no-untyped-def]
        text = request.form.get("text", "").strip()

        def add() -> None:
            if len(text) > 2000:
                raise ValidationFailed([FieldError("text", "too_long")])
            ctx.tickets().add_note(number, user.name, text)

        return await ticket_edit(request, number, add)

    # -- callbacks ------------------------------------------------------------------------
    def entry_view(entry: BoardEntry) -> dict[str, Any]:
        c = entry.callback
        return {"id": c.id, "ticket": c.ticket_number, "phone": mask_phone(c.phone),
                "due_at": c.due_at.strftime("%Y-%m-%d %H:%M"), "attempts": c.attempts,
                "max_attempts": c.max_attempts, "status": c.status.value,
                "holder": entry.holder, "overdue": entry.overdue, "kind": c.kind,
                "last_outcome": c.last_outcome}

    def board_view(board: Board) -> dict[str, list[dict[str, Any]]]:
        return {"overdue": [entry_view(e) for e in board.overdue],
                "due": [entry_view(e) for e in board.due]}

    def callbacks_page(request: Request, error: str = "", code: int = 200):  # type: ignore[no-untyped-def]
        service = callbacks()
        hours = service.hours
        return page(request, "callbacks", code=code, title="回访", error=error,
                    **board_view(service.board()),
                    outcome_codes=sorted(service.scheduler.policy.outcome_codes,
                                         key=list(OUTCOME_LABELS).index),
                    outcome_labels=OUTCOME_LABELS, status_labels=STATUS_LABELS,
                    hours=f"{hours.open:%H:%M}–{hours.close:%H:%M}",
                    hold_minutes=int(service.hold.total_seconds() // 60))

    @app.get("/callbacks")
    @guarded()
    async def callback_list(request: Request, user: User):  # type: ignore[no-untyped-def]
        return callbacks_page(request)

    @app.get("/api/callbacks")
    @guarded()
    async def callback_json(request: Request, user: User):  # type: ignore[no-untyped-def]
        return response.json(board_view(callbacks().board()), ensure_ascii=False)

    @app.get("/callbacks/<callback_id>")
    @guarded()
    async def callback_detail(request: Request, user: User, callback_id: str):  # type: ignore[no-untyped-def]
        service = callbacks()
        callback = service.get(callback_id) if len(callback_id) <= MAX_ID else None
        if callback is None:
            return page(request, "base", code=404, title="没有这个回访",
                        error=callback_id[:MAX_ID])
        now = service.scheduler.clock.now()
        view = entry_view(BoardEntry(callback, service.holder(callback_id),
                                     callback.due_at < now and callback.status.value in
                                     STATUS_LABELS))
        events = []
        for event in service.events(callback_id):
            detail = {k: v for k, v in event.items() if k not in ("event", "at", "actor",
                                                                  "worker")}
            events.append({**event, "detail": ", ".join(f"{k}={v}" for k, v in detail.items())})
        return page(request, "callback", title=f"回访 {callback_id}", c=view, events=events,
                    outcome_labels=OUTCOME_LABELS)

    async def callback_action(request: Request, callback_id: str, action: Any):  # type: ignore[no-untyped-def]
        if len(callback_id) > MAX_ID:
            return callbacks_page(request, error="没有这个回访", code=404)
        try:
            action()
        except CallbackNotFound as exc:
            return callbacks_page(request, error=_message(exc), code=404)
        except CallbackHeld as exc:
            return callbacks_page(request, error=_message(exc), code=409)
        except (TicketError, ValueError) as exc:
            return callbacks_page(request, error=_message(exc), code=400)
        return response.redirect("/callbacks")

    @app.post("/callbacks/<callback_id>/claim")
    @guarded(csrf=True)
    async def callback_claim(request: Request, user: User, callback_id: str):  # type: ignore[no-untyped-def]
        return await callback_action(request, callback_id,
                                     lambda: callbacks().claim(callback_id, user.name))

    @app.post("/callbacks/<callback_id>/release")
    @guarded(csrf=True)
    async def callback_release(request: Request, user: User, callback_id: str):  # type: ignore[no-untyped-def]
        return await callback_action(request, callback_id,
                                     lambda: callbacks().release(callback_id, user.name))

    @app.post("/callbacks/<callback_id>/outcome")
    @guarded(csrf=True)
    async def callback_outcome(request: Request, user: User, callback_id: str):  # type: ignore[no-untyped-def]
        outcome, note = request.form.get("outcome", ""), request.form.get("note", "")
        return await callback_action(request, callback_id, lambda: callbacks().record_outcome(
            callback_id, user.name, outcome, note))

    @app.post("/callbacks/<callback_id>/reschedule")
    @guarded(csrf=True)
    async def callback_reschedule(request: Request, user: User, callback_id: str):  # type: ignore[no-untyped-def]
        raw, note = request.form.get("due_at", "").strip(), request.form.get("note", "")

        def move() -> None:
            try:
                when = datetime.fromisoformat(raw[:40])
            except ValueError as exc:
                raise ValidationFailed([FieldError("due_at", "invalid")]) from exc
            callbacks().reschedule(callback_id, user.name, when, note)

        return await callback_action(request, callback_id, move)
