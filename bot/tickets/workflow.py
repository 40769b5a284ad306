"""A ticket's life after filing: status changes along the workflow, closing with the
caller's satisfaction, notes, the owner, the severity, and callback attempts' outcomes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.tickets.context import TicketContext
from bot.tickets.errors import FieldError, InvalidTransition, ValidationFailed
from bot.tickets.model import (
    ALLOWED_TRANSITIONS,
    CallbackRecord,
    Note,
    Severity,
    StatusChange,
    Ticket,
    TicketStatus,
)
from bot.tickets.sla import next_deadline_after_escalation
from bot.tickets.validation import check_satisfaction


class TicketWorkflow:
    def __init__(self, context: TicketContext) -> None:
        self._ctx = context

    def with_status(
        self,
        ticket: Ticket,
        to: TicketStatus,
        actor: str,
        note: str,
        now: datetime,
        tier: str | None = None,
    ) -> Ticket:
        """`ticket` moved to `to` (checked against the workflow), with its history entry."""
        if to not in ALLOWED_TRANSITIONS[ticket.status]:
            raise InvalidTransition(ticket.number, ticket.status.value, to.value)
        policy = self._ctx.policy
        change = StatusChange(now, actor, ticket.status, to, note, tier or ticket.tier)
        due = ticket.due_at
        if to in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            due = None
        elif ticket.status is TicketStatus.RESOLVED or due is None:
            # reopened (or completed from incomplete): a fresh window from now
            due = next_deadline_after_escalation(ticket.severity, now, policy.sla, policy.hours)
        return replace(
            ticket,
            status=to,
            tier=tier or ticket.tier,
            due_at=due,
            promised_at=ticket.promised_at or due,
            history=(*ticket.history, change),
            updated_at=now,
        )

    def change_status(
        self, number: str, to: TicketStatus | str, actor: str, note: str = ""
    ) -> Ticket:
        """Move a ticket along the workflow (see model.ALLOWED_TRANSITIONS)."""
        target = TicketStatus(to)
        if target is TicketStatus.CLOSED:
            raise InvalidTransition(number, "?", "closed", "use close() with the satisfaction")
        return self._ctx.change(
            number, lambda t, now: self.with_status(t, target, actor, note, now))

    def resolve(self, number: str, actor: str, note: str = "") -> Ticket:
        return self.change_status(number, TicketStatus.RESOLVED, actor, note)

    def close(self, number: str, actor: str, satisfaction: int, note: str = "") -> Ticket:
        """Close a resolved ticket; only when the caller is satisfied (no half solutions:
        `sla.close_min_satisfaction`)."""
        score = check_satisfaction(satisfaction)
        minimum = self._ctx.policy.sla.close_min_satisfaction

        def mutate(ticket: Ticket, now: datetime) -> Ticket:
            if score < minimum:
                raise InvalidTransition(
                    ticket.number,
                    ticket.status.value,
                    "closed",
                    f"satisfaction {score} below {minimum}",
                )
            closed = self.with_status(ticket, TicketStatus.CLOSED, actor, note, now)
            return replace(closed, satisfaction=score)

        return self._ctx.change(number, mutate)

    def record_satisfaction(self, number: str, score: int, actor: str) -> Ticket:
        value = check_satisfaction(score)

        def mutate(ticket: Ticket, now: datetime) -> Ticket:
            note = Note(now, actor, f"satisfaction {value}")
            return replace(ticket, satisfaction=value, notes=(*ticket.notes, note), updated_at=now)

        return self._ctx.change(number, mutate)

    def add_note(self, number: str, author: str, text: str) -> Ticket:
        if not text.strip():
            raise ValidationFailed([FieldError("note", "required")])
        return self._ctx.change(
            number,
            lambda t, now: replace(t, notes=(*t.notes, Note(now, author, text)), updated_at=now),
        )

    def assign_owner(self, number: str, owner: str, actor: str) -> Ticket:
        """Give the ticket to `owner` (an agent or a team); the change is noted with the actor."""
        name = " ".join((owner or "").split())
        if not name:
            raise ValidationFailed([FieldError("owner", "required")])
        if len(name) > self._ctx.policy.limits.max_field_chars:
            raise ValidationFailed([FieldError("owner", "too_long", str(len(name)))])

        def mutate(ticket: Ticket, now: datetime) -> Ticket | None:
            if ticket.owner == name:
                return None
            note = Note(now, actor, f"owner: {ticket.owner} -> {name}")
            return replace(ticket, owner=name, notes=(*ticket.notes, note), updated_at=now)

        return self._ctx.change(number, mutate)

    def change_severity(
        self, number: str, severity: Severity | str, actor: str, note: str = ""
    ) -> Ticket:
        """Set the severity by hand (a person's judgement overrides the assessment). While the
        ticket is unhandled, a higher severity tightens the escalation deadline to the new
        severity's window from now; it never moves a deadline later, and the time promised
        to the caller stays as it was."""
        try:
            target = Severity(severity)
        except ValueError as exc:
            raise ValidationFailed([FieldError("severity", "invalid", str(severity)[:50])]) from exc
        policy = self._ctx.policy

        def mutate(ticket: Ticket, now: datetime) -> Ticket | None:
            if ticket.severity is target:
                return None
            due = ticket.due_at
            if ticket.is_unhandled and due is not None and target.rank > ticket.severity.rank:
                due = min(due, next_deadline_after_escalation(
                    target, now, policy.sla, policy.hours))
            text = f"severity: {ticket.severity.value} -> {target.value}"
            entry = Note(now, actor, f"{text} ({note.strip()})" if note.strip() else text)
            return replace(
                ticket,
                severity=target,
                severity_reasons=(*ticket.severity_reasons, f"manual:{actor}"),
                due_at=due,
                notes=(*ticket.notes, entry),
                updated_at=now,
            )

        return self._ctx.change(number, mutate)

    # -- callback results (called by the callback scheduler) --------------------------------
    def record_callback(
        self,
        number: str,
        record: CallbackRecord,
        *,
        resolve: bool = False,
        start_work: bool = False,
        flags: tuple[str, ...] = (),
    ) -> Ticket:
        """Attach one callback attempt's outcome (idempotent on callback id + attempt)."""

        def mutate(ticket: Ticket, now: datetime) -> Ticket | None:
            if any(c.key == record.key for c in ticket.callbacks):
                return None
            updated = replace(ticket, callbacks=(*ticket.callbacks, record), updated_at=now)
            for flag in flags:
                updated = replace(updated, flags=updated.with_flag(flag))
            note = f"callback {record.key}: {record.outcome}"
            if resolve and ticket.is_unhandled:
                updated = self.with_status(updated, TicketStatus.RESOLVED, record.actor, note, now)
            elif start_work and ticket.status is TicketStatus.OPEN:
                updated = self.with_status(
                    updated, TicketStatus.IN_PROGRESS, record.actor, note, now
                )
            return updated

        return self._ctx.change(number, mutate)
