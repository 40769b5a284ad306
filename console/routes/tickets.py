"""Tickets: the filtered, paginated list (and its CSV export), one ticket, and its changes
(status, closing, owner, severity, notes); each change is a note with the actor.

| Route | What |
|---|---|
| `GET /tickets` | tickets by status, severity, due, phone or number (paginated) |
| `GET /tickets/export.csv` | the same list as CSV (labels and company time, like the page) |
| `GET /tickets/<n>` | detail with status history and notes |
| `POST /tickets/<n>/status`, `/close`, `/owner`, `/severity`, `/notes` | changes |
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.masking import mask_number, mask_sensitive
from bot.tickets.errors import FieldError, TicketError, ValidationFailed
from bot.tickets.model import ALLOWED_TRANSITIONS, Ticket, TicketStatus
from console.context import ConsoleContext
from console.messages import error_message
from console.pager import paginate
from console.ticket_filters import DUE_FILTERS, SEVERITIES, escalations, filter_tickets
from console.users import User

OPEN_STATUSES = [TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.ESCALATED,
                 TicketStatus.RESOLVED]
LIST_LIMIT = 500  # per status


def register(app: Sanic, ctx: ConsoleContext) -> None:
    access, tickets, labels = ctx.access, ctx.services.tickets, ctx.config.labels
    fmt = access.renderer.fmt

    def ticket_view(ticket: Ticket) -> dict[str, Any]:
        data = ticket.to_dict()
        now = datetime.now(timezone.utc)
        data["overdue"] = bool(ticket.is_unhandled and ticket.due_at and ticket.due_at < now)
        data["phone"] = mask_number(ticket.caller.phone) if ticket.caller.phone else ""
        data["surname"] = ticket.caller.surname
        data["title_word"] = ticket.caller.title
        data["description"] = mask_sensitive(ticket.description)
        data.pop("caller", None)
        policy = tickets().policy
        data["escalations"] = escalations(ticket)
        data["tier_position"] = (list(policy.sla.tiers).index(ticket.tier) + 1
                                 if ticket.tier in policy.sla.tiers else 0)
        data["tier_count"] = len(policy.sla.tiers)
        return data

    def find(request: Request) -> tuple[list[Ticket], dict[str, str], str]:
        args = {k: request.args.get(k, "").strip() for k in
                ("status", "phone", "number", "severity", "due")}
        status, phone, number = args["status"], args["phone"], args["number"]
        error = ""
        found: list[Ticket] = []
        try:
            if number:
                ticket = tickets().get_ticket(number)
                found = [ticket] if ticket else []
            elif phone:
                found = tickets().find_by_phone(phone, limit=LIST_LIMIT)
            else:
                wanted = [TicketStatus(status)] if status else OPEN_STATUSES
                for each in wanted:
                    found.extend(tickets().list_by_status(each, limit=LIST_LIMIT))
        except (TicketError, ValueError) as exc:
            error = error_message(exc, labels)
        if status and (number or phone):
            found = [t for t in found if t.status.value == status]
        found = filter_tickets(
            found, severity=args["severity"] if args["severity"] in SEVERITIES else "",
            due=args["due"] if args["due"] in DUE_FILTERS else "",
            now=datetime.now(timezone.utc), tz=tickets().policy.hours.tz)
        found.sort(key=lambda t: (not (t.is_unhandled and t.due_at is not None
                                       and t.due_at < datetime.now(timezone.utc)),
                                  -t.severity.rank, -t.created_at.timestamp()))
        return found, {k: v for k, v in args.items() if v}, error

    @app.get("/tickets")
    @access.guarded()
    async def ticket_list(request: Request, user: User) -> HTTPResponse:
        found, args, error = find(request)
        page = paginate(found, request.args.get("page"), ctx.config.page_size)
        return access.page(request, "tickets.html", title="工单", error=error,
                           tickets=[ticket_view(t) for t in page.items], pager=page, args=args,
                           statuses=[s.value for s in TicketStatus], severities=SEVERITIES,
                           due_filters=DUE_FILTERS, **{k: args.get(k, "") for k in
                                                       ("status", "phone", "number",
                                                        "severity", "due")})

    @app.get("/tickets/export.csv")
    @access.guarded()
    async def ticket_csv(request: Request, user: User) -> HTTPResponse:
        found, _, _ = find(request)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["工单号", "创建时间", "渠道", "类别", "状态", "严重度", "处理层级",
                         "负责人", "客户电话", "升级期限", "是否超时", "满意度", "会话编号"])
        for ticket in found:
            view = ticket_view(ticket)
            writer.writerow([
                ticket.number, fmt.when(ticket.created_at),
                labels.of("channel", ticket.channel.value),
                labels.of("category", ticket.category),
                labels.of("ticket_status", ticket.status.value),
                labels.of("severity", ticket.severity.value), labels.of("tier", ticket.tier),
                labels.actor(ticket.owner), view["phone"], fmt.when(ticket.due_at),
                "是" if view["overdue"] else "否",
                ticket.satisfaction if ticket.satisfaction is not None else "",
                ticket.conversation_id])
        headers = {"Content-Disposition": 'attachment; filename="tickets.csv"',
                   "Cache-Control": "no-store"}
        return response.text("\ufeff" + out.getvalue(),  # the BOM: Excel reads it as UTF-8
                             content_type="text/csv; charset=utf-8", headers=headers)

    def ticket_page(request: Request, number: str, error: str = "",
                    status: int = 200) -> HTTPResponse:
        ticket = tickets().get_ticket(number)
        if ticket is None:
            return access.page(request, "base.html", code=404, title="没有这个工单",
                               error=f"没有找到工单 {number[:64]}")
        transitions = [s.value for s in ALLOWED_TRANSITIONS[ticket.status]
                       if s is not TicketStatus.CLOSED]
        return access.page(request, "ticket.html", code=status, title=f"工单 {ticket.number}",
                           t=ticket_view(ticket), transitions=transitions, error=error,
                           severities=SEVERITIES,
                           close_min=tickets().policy.sla.close_min_satisfaction)

    @app.get("/tickets/<number>")
    @access.guarded()
    async def ticket_detail(request: Request, user: User, number: str) -> HTTPResponse:
        return ticket_page(request, number)

    def edit(request: Request, number: str, change: Callable[[], object]) -> HTTPResponse:
        """Apply `change`; on a refusal the ticket page with the reason (400)."""
        try:
            change()
        except (TicketError, ValueError) as exc:
            return ticket_page(request, number, error=error_message(exc, labels), status=400)
        return response.redirect(f"/tickets/{quote(number)}")

    @app.post("/tickets/<number>/status")
    @access.guarded(csrf=True)
    async def ticket_status(request: Request, user: User, number: str) -> HTTPResponse:
        form = request.form
        return edit(request, number, lambda: tickets().change_status(
            number, form.get("to", ""), user.name, form.get("note", "")))

    @app.post("/tickets/<number>/close")
    @access.guarded(csrf=True)
    async def ticket_close(request: Request, user: User, number: str) -> HTTPResponse:
        form = request.form
        return edit(request, number, lambda: tickets().close(
            number, user.name, int(form.get("satisfaction", "0")), form.get("note", "")))

    @app.post("/tickets/<number>/owner")
    @access.guarded(csrf=True)
    async def ticket_owner(request: Request, user: User, number: str) -> HTTPResponse:
        owner = request.form.get("owner", "")
        return edit(request, number, lambda: tickets().assign_owner(number, owner, user.name))

    @app.post("/tickets/<number>/severity")
    @access.guarded(csrf=True)
    async def ticket_severity(request: Request, user: User, number: str) -> HTTPResponse:
        severity, note = request.form.get("severity", ""), request.form.get("note", "")
        return edit(request, number, lambda: tickets().change_severity(
            number, severity, user.name, note[:200]))

    @app.post("/tickets/<number>/notes")
    @access.guarded(csrf=True)
    async def ticket_note(request: Request, user: User, number: str) -> HTTPResponse:
        text = request.form.get("text", "").strip()

        def add() -> None:
            if len(text) > 2000:
                raise ValidationFailed([FieldError("text", "too_long")])
            tickets().add_note(number, user.name, text)

        return edit(request, number, add)
