"""Ticket list filters and the plain-language deadline/tier fields of the ticket pages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.tickets.model import Severity, Ticket
from bot.tickets.service import ESCALATION_ACTOR

DUE_FILTERS = {"overdue": "已超时", "today": "今天到期"}
SEVERITIES = [s.value for s in Severity]


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


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


def deadline_fields(ticket: Ticket, tz: ZoneInfo, tiers: list[str]) -> dict[str, Any]:
    """The deadline, promise and tier written for people (company time, tier path)."""
    escalations = sum(1 for h in ticket.history if h.actor == ESCALATION_ACTOR)
    position = tiers.index(ticket.tier) + 1 if ticket.tier in tiers else 0
    return {
        "due_text": _local(ticket.due_at, tz),
        "promised_text": _local(ticket.promised_at, tz),
        "created_text": _local(ticket.created_at, tz),
        "escalations": escalations,
        "tier_text": f"{ticket.tier}(第 {position}/{len(tiers)} 级)" if position else ticket.tier,
    }
