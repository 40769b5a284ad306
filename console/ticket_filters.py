"""Ticket list filters and the escalation count of the ticket pages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.tickets.model import Severity, Ticket
from bot.tickets.service import ESCALATION_ACTOR

DUE_FILTERS = {"overdue": "已超时", "today": "今天到期"}
SEVERITIES = [s.value for s in Severity]


def filter_tickets(
    tickets: Iterable[Ticket], *, severity: str, due: str, now: datetime, tz: ZoneInfo
) -> list[Ticket]:
    """Keep the tickets of `severity` ('' = any) and `due` ('' | overdue | today)."""
    today = now.astimezone(tz).date()
    kept = []
    for ticket in tickets:
        if severity and ticket.severity.value != severity:
            continue
        if due and not (ticket.is_unhandled and ticket.due_at):
            continue
        if due == "overdue" and ticket.due_at and ticket.due_at >= now:
            continue
        if due == "today" and ticket.due_at and ticket.due_at.astimezone(tz).date() != today:
            continue
        kept.append(ticket)
    return kept


def escalations(ticket: Ticket) -> int:
    """How often the ticket was escalated automatically (the sweep's history entries)."""
    return sum(1 for h in ticket.history if h.actor == ESCALATION_ACTOR)
