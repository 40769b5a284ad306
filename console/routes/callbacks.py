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
from console.labels import Labels
from console.messages import error_message
from console.timefmt import TimeFormat
from console.users import User

MAX_ID = 200  # longer ids cannot exist; refused before touching Redis
OPEN_STATUSES = ("pending", "claimed", "placed")
SHOWN_DETAILS = ("due_at", "previous_due_at", "attempt", "outcome", "status", "note")


def entry_view(entry: BoardEntry, labels: Labels, fmt: TimeFormat) -> dict[str, Any]:
    c = entry.callback
    return {"id": c.id, "ticket": c.ticket_number, "phone": mask_phone(c.phone),
            "due_at": c.due_at.isoformat(), "due_text": fmt.when(c.due_at),
            "attempts": c.attempts, "max_attempts": c.max_attempts, "status": c.status.value,
            "status_label": labels.of("callback_status", c.status.value),
            "holder": entry.holder, "overdue": entry.overdue, "kind": c.kind,
            "kind_label": labels.of("callback_kind", c.kind), "last_outcome": c.last_outcome,
            "last_outcome_label": labels.of("callback_outcome", c.last_outcome)}


def board_view(board: Board, labels: Labels, fmt: TimeFormat) -> dict[str, list[dict[str, Any]]]:
    return {"overdue": [entry_view(e, labels, fmt) for e in board.overdue],
            "due": [entry_view(e, labels, fmt) for e in board.due]}


def event_view(event: dict[str, Any], labels: Labels, fmt: TimeFormat) -> dict[str, Any]:
    """One line of a callback's log for people: what, who, and the details that matter."""
    actor, worker = str(event.get("actor") or ""), str(event.get("worker") or "")
    if actor:
        who = labels.actor(actor)
    elif worker.startswith("agent:"):
        who = labels.actor(worker)
    else:
        who = labels.actor("system") if worker else ""
    details = []
    for key in SHOWN_DETAILS:
        value = event.get(key)
        if value in (None, ""):
            continue
        if key == "due_at":
            details.append(f"应回访 {fmt.when(value)}")
        elif key == "previous_due_at":
            details.append(f"原定 {fmt.when(value)}")
        elif key == "attempt":
            details.append(f"第 {value} 次拨打")
        elif key == "outcome":
            details.append(labels.of("callback_outcome", value))
        elif key == "status":
            details.append(f"状态:{labels.of('callback_status', value)}")
        else:
            details.append(f"备注:{value}")
    return {"at": event.get("at"), "event": event.get("event"),
            "event_label": labels.of("callback_event", event.get("event")), "who": who,
            "detail": ";".join(details)}


def _outcome_order(labels: Labels) -> Any:
    order = list(labels.table("callback_outcome"))
    return lambda code: order.index(code) if code in order else len(order)


def register(app: Sanic, ctx: ConsoleContext) -> None:
    access, callbacks, labels = ctx.access, ctx.services.callbacks, ctx.config.labels
    fmt = access.renderer.fmt

    def callbacks_page(request: Request, error: str = "", code: int = 200) -> HTTPResponse:
        service = callbacks()
        hours = service.hours
        return access.page(request, "callbacks.html", code=code, title="回访", error=error,
                           **board_view(service.board(), labels, fmt),
                           outcome_codes=sorted(service.scheduler.policy.outcome_codes,
                                                key=_outcome_order(labels)),
                           hours=f"{hours.open:%H:%M}–{hours.close:%H:%M}",
                           hold_minutes=int(service.hold.total_seconds() // 60))

    @app.get("/callbacks")
    @access.guarded()
    async def callback_list(request: Request, user: User) -> HTTPResponse:
        return callbacks_page(request)

    @app.get("/api/callbacks")
    @access.guarded()
    async def callback_json(request: Request, user: User) -> HTTPResponse:
        return response.json(board_view(callbacks().board(), labels, fmt), ensure_ascii=False)

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
                                     OPEN_STATUSES), labels, fmt)
        events = [event_view(e, labels, fmt) for e in service.events(callback_id)]
        return access.page(request, "callback.html", title="回访详情", c=view,
                           events=events)

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
            return callbacks_page(request, error=error_message(exc, labels), code=400)
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
