"""Tickets: the filtered list, one ticket, and its changes (status, closing, owner,
severity, notes); each change is a note with the actor (bot.tickets).

| Route | What |
|---|---|
| `GET /tickets` | tickets by status, severity, due, phone or number |
| `GET /tickets/<n>` | detail with status history and notes |
| `POST /tickets/<n>/status`, `/close`, `/owner`, `/severity`, `/notes` | changes |
"""

from __future__ import annotations

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
from console.ticket_filters import DUE_FILTERS, SEVERITIES, deadline_fields, filter_tickets
from console.users import User

OPEN_STATUSES = [TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.ESCALATED,
                 TicketStatus.RESOLVED]


def register(app: Sanic, ctx: ConsoleContext) -> None:
    access, tickets = ctx.access, ctx.services.tickets

    def ticket_view(ticket: Ticket) -> dict[str, Any]:
        data = ticket.to_dict()
        now = datetime.now(timezone.utc)
        data["overdue"] = bool(ticket.is_unhandled and ticket.due_at and ticket.due_at < now)
        data["phone"] = mask_number(ticket.caller.phone) if ticket.caller.phone else ""
        data["description"] = mask_sensitive(ticket.description)
        data.pop("caller", None)
        policy = tickets().policy
        data.update(deadline_fields(ticket, policy.hours.tz, list(policy.sla.tiers)))
        return data

    @app.get("/tickets")
    @access.guarded()
    async def ticket_list(request: Request, user: User) -> HTTPResponse:
        status = request.args.get("status", "")
        phone = request.args.get("phone", "").strip()
        number = request.args.get("number", "").strip()
        severity = request.args.get("severity", "")
        due = request.args.get("due", "")
        error = ""
        found: list[Ticket] = []
        try:
            if number:
                ticket = tickets().get_ticket(number)
                found = [ticket] if ticket else []
            elif phone:
                found = tickets().find_by_phone(phone, limit=50)
            else:
                wanted = [TicketStatus(status)] if status else OPEN_STATUSES
                for each in wanted:
                    found.extend(tickets().list_by_status(each, limit=100))
        except (TicketError, ValueError) as exc:
            error = str(exc)
        if status and (number or phone):
            found = [t for t in found if t.status.value == status]
        found = filter_tickets(found, severity=severity if severity in SEVERITIES else "",
                               due=due if due in DUE_FILTERS else "",
                               now=datetime.now(timezone.utc), tz=tickets().policy.hours.tz)
        return access.page(request, "tickets.html", title="工单",
                           tickets=[ticket_view(t) for t in found],
                           statuses=[s.value for s in TicketStatus], status=status, phone=phone,
                           number=number, error=error, severities=SEVERITIES,
                           severity=severity, due_filters=DUE_FILTERS, due=due)

    def ticket_page(request: Request, number: str, error: str = "",
                    status: int = 200) -> HTTPResponse:
        ticket = tickets().get_ticket(number)
        if ticket is None:
            return access.page(request, "base.html", code=404, title="没有这个工单",
                               error=number)
        transitions = [s.value for s in ALLOWED_TRANSITIONS[ticket.status]
                       if s is not TicketStatus.CLOSED]
        return access.page(request, "ticket.html", code=status, title=f"工单 {ticket.number}",
                           t=ticket_view(ticket), transitions=transitions, error=error)

    @app.get("/tickets/<number>")
    @access.guarded()
    async def ticket_detail(request: Request, user: User, number: str) -> HTTPResponse:
        return ticket_page(request, number)

    def edit(request: Request, number: str, change: Callable[[], object],
             plain_errors: bool = False) -> HTTPResponse:
        """Apply `change`; on a refusal the ticket page with the reason (400)."""
        try:
            change()
        except (TicketError, ValueError) as exc:
            if plain_errors:
                message = str(exc)
            else:
                message = error_message(exc) if isinstance(exc, ValidationFailed) \
                    else str(exc)[:300]
            return ticket_page(request, number, error=message, status=400)
        return response.redirect(f"/tickets/{quote(number)}")

    @app.post("/tickets/<number>/status")
    @access.guarded(csrf=True)
    async def ticket_status(request: Request, user: User, number: str) -> HTTPResponse:
        form = request.form
        return edit(request, number, lambda: tickets().change_status(
            number, form.get("to", ""), user.name, form.get("note", "")), plain_errors=True)

    @app.post("/tickets/<number>/close")
    @access.guarded(csrf=True)
    async def ticket_close(request: Request, user: User, number: str) -> HTTPResponse:
        form = request.form
        return edit(request, number, lambda: tickets().close(
            number, user.name, int(form.get("satisfaction", "0")), form.get("note", "")),
            plain_errors=True)

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
