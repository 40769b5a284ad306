"""Escalation: one tier up on an agent's decision, or automatically when an unhandled
ticket's deadline passes (agent → supervisor → manager, `sla.escalation_tiers`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.tickets.context import TicketContext
from bot.tickets.errors import InvalidTransition, TicketNotFound
from bot.tickets.model import Note, Ticket, TicketStatus
from bot.tickets.sla import next_deadline_after_escalation
from bot.tickets.workflow import TicketWorkflow

ESCALATION_ACTOR = "system:escalation"
FLAG_OVERDUE = "overdue"
FLAG_OVERDUE_AT_TOP = "overdue_at_top_tier"


class Escalation:
    def __init__(self, context: TicketContext, workflow: TicketWorkflow) -> None:
        self._ctx = context
        self._workflow = workflow

    def escalate(self, number: str, actor: str, note: str = "") -> Ticket:
        """Move a ticket one tier up now (an agent's decision)."""
        return self._ctx.change(
            number, lambda t, now: self._escalated(t, now, actor, note, False))

    def escalate_overdue(self, limit: int = 100) -> list[str]:
        """Escalate every unhandled ticket whose deadline has passed, one tier each.
        Safe with several workers: the deadline is re-checked inside the atomic update."""
        now = self._ctx.clock.now()
        escalated: list[str] = []
        for number in self._ctx.store.due_before(now, limit=limit):
            try:
                if self._escalate_if_overdue(number, now):
                    escalated.append(number)
            except TicketNotFound:
                continue
        return escalated

    def _escalate_if_overdue(self, number: str, now: datetime) -> bool:
        changed = False

        def mutate(ticket: Ticket) -> Ticket | None:
            nonlocal changed
            result = self._escalated(ticket, now, ESCALATION_ACTOR, "", True)
            changed = result is not None  # the last call is the one that was committed
            return result

        self._ctx.store.update(number, mutate)
        return changed

    def _escalated(
        self, ticket: Ticket, now: datetime, actor: str, note: str, only_if_overdue: bool
    ) -> Ticket | None:
        if only_if_overdue and (
            not ticket.is_unhandled or ticket.due_at is None or ticket.due_at > now
        ):
            return None
        policy = self._ctx.policy
        deadline = ticket.due_at
        upper = policy.sla.next_tier(ticket.tier)
        reason = note or (
            f"deadline {deadline.isoformat()} passed at tier {ticket.tier}"
            if only_if_overdue and deadline is not None
            else f"escalated from tier {ticket.tier}"
        )
        if upper is None:
            if not only_if_overdue:
                raise InvalidTransition(ticket.number, ticket.status.value, "escalated", "top tier")
            return replace(
                ticket,
                due_at=None,
                flags=ticket.with_flag(FLAG_OVERDUE_AT_TOP),
                notes=(*ticket.notes, Note(now, actor, reason)),
                updated_at=now,
            )
        escalated = self._workflow.with_status(
            ticket, TicketStatus.ESCALATED, actor, reason, now, upper)
        new_due = next_deadline_after_escalation(ticket.severity, now, policy.sla, policy.hours)
        flags = escalated.with_flag(FLAG_OVERDUE) if only_if_overdue else escalated.flags
        return replace(escalated, due_at=new_due, flags=flags)
