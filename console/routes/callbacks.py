"""Callbacks for agents: the due/overdue board, one callback's event log, and holding,
letting go, recording the outcome and rescheduling (bot.callbacks.agents).

| Route | What |
|---|---|
| `GET /callbacks`, `/api/callbacks`, `/callbacks/<id>` | due/overdue callbacks, event log |
| `POST /callbacks/<id>/claim`, `/outcome`, `/reschedule`, `/release` | callback work |
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.callbacks.agents import Board, BoardEntry, CallbackHeld
from bot.callbacks.scheduler import CallbackNotFound
from bot.tickets.errors import FieldError, TicketError, ValidationFailed
from bot.tickets.phone import mask_phone
from console.context import ConsoleContext
from console.messages import error_message
from console.users import User

MAX_ID = 200  # longer ids cannot exist; refused before touching Redis
OUTCOME_LABELS = {
    "reached_resolved": "已联系,已解决",
    "reached_unresolved": "已联系,未解决",
    "no_answer": "无人接听",
    "wrong_number": "号码错误",
    "refused": "客户拒绝",
}
STATUS_LABELS = {"pending": "待回访", "claimed": "处理中", "placed": "已拨出,待记录结果"}


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


def register(app: Sanic, ctx: ConsoleContext) -> None:
    access, callbacks = ctx.access, ctx.services.callbacks

    def callbacks_page(request: Request, error: str = "", code: int = 200) -> HTTPResponse:
        service = callbacks()
        hours = service.hours
        return access.page(request, "callbacks.html", code=code, title="回访", error=error,
                           **board_view(service.board()),
                           outcome_codes=sorted(service.scheduler.policy.outcome_codes,
                                                key=list(OUTCOME_LABELS).index),
                           outcome_labels=OUTCOME_LABELS, status_labels=STATUS_LABELS,
                           hours=f"{hours.open:%H:%M}–{hours.close:%H:%M}",
                           hold_minutes=int(service.hold.total_seconds() // 60))

    @app.get("/callbacks")
    @access.guarded()
    async def callback_list(request: Request, user: User) -> HTTPResponse:
        return callbacks_page(request)

    @app.get("/api/callbacks")
    @access.guarded()
    async def callback_json(request: Request, user: User) -> HTTPResponse:
        return response.json(board_view(callbacks().board()), ensure_ascii=False)

    @app.get("/callbacks/<callback_id>")
    @access.guarded()
    async def callback_detail(request: Request, user: User, callback_id: str) -> HTTPResponse:
        service = callbacks()
        callback = service.get(callback_id) if len(callback_id) <= MAX_ID else None
        if callback is None:
            return access.page(request, "base.html", code=404, title="没有这个回访",
                               error=callback_id[:MAX_ID])
        now = service.scheduler.clock.now()
        view = entry_view(BoardEntry(callback, service.holder(callback_id),
                                     callback.due_at < now and callback.status.value in
                                     STATUS_LABELS))
        events = []
        for event in service.events(callback_id):
            detail = {k: v for k, v in event.items()
                      if k not in ("event", "at", "actor", "worker")}
            events.append({**event, "detail": ", ".join(f"{k}={v}" for k, v in detail.items())})
        return access.page(request, "callback.html", title=f"回访 {callback_id}", c=view,
                           events=events, outcome_labels=OUTCOME_LABELS)

    def act(request: Request, callback_id: str, action: Callable[[], object]) -> HTTPResponse:
        if len(callback_id) > MAX_ID:
            return callbacks_page(request, error="没有这个回访", code=404)
        try:
            action()
        except CallbackNotFound as exc:
            return callbacks_page(request, error=error_message(exc), code=404)
        except CallbackHeld as exc:
            return callbacks_page(request, error=error_message(exc), code=409)
        except (TicketError, ValueError) as exc:
            return callbacks_page(request, error=error_message(exc), code=400)
        return response.redirect("/callbacks")

    @app.post("/callbacks/<callback_id>/claim")
    @access.guarded(csrf=True)
    async def callback_claim(request: Request, user: User, callback_id: str) -> HTTPResponse:
        return act(request, callback_id, lambda: callbacks().claim(callback_id, user.name))

    @app.post("/callbacks/<callback_id>/release")
    @access.guarded(csrf=True)
    async def callback_release(request: Request, user: User, callback_id: str) -> HTTPResponse:
        return act(request, callback_id, lambda: callbacks().release(callback_id, user.name))

    @app.post("/callbacks/<callback_id>/outcome")
    @access.guarded(csrf=True)
    async def callback_outcome(request: Request, user: User, callback_id: str) -> HTTPResponse:
        outcome, note = request.form.get("outcome", ""), request.form.get("note", "")
        return act(request, callback_id, lambda: callbacks().record_outcome(
            callback_id, user.name, outcome, note))

    @app.post("/callbacks/<callback_id>/reschedule")
    @access.guarded(csrf=True)
    async def callback_reschedule(request: Request, user: User,
                                  callback_id: str) -> HTTPResponse:
        raw, note = request.form.get("due_at", "").strip(), request.form.get("note", "")

        def move() -> None:
            try:
                when = datetime.fromisoformat(raw[:40])
            except ValueError as exc:
                raise ValidationFailed([FieldError("due_at", "invalid")]) from exc
            callbacks().reschedule(callback_id, user.name, when, note)

        return act(request, callback_id, move)
