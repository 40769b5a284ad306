"""Replaying the outbox: requests queued while the store was down are written once it is
back, under their original keys (so a replay run twice, or a request also filed directly,
is one record)."""

from __future__ import annotations

from bot.outbox import OutboxEntry, ReplayReport
from bot.tickets.context import TicketContext
from bot.tickets.errors import FieldError, ValidationFailed
from bot.tickets.feedback import FeedbackDesk
from bot.tickets.intake import TicketIntake
from bot.tickets.model import FeedbackRequest, TicketRequest


class OutboxReplay:
    def __init__(
        self, context: TicketContext, intake: TicketIntake, feedback: FeedbackDesk
    ) -> None:
        self._ctx = context
        self._intake = intake
        self._feedback = feedback

    def replay_outbox(self) -> ReplayReport:
        """Write queued requests to the store (idempotent). Safe to call from several places."""
        if self._ctx.outbox is None:
            return ReplayReport()
        return self._ctx.outbox.replay(self.apply, permanent=(ValidationFailed,))

    def apply(self, entry: OutboxEntry) -> None:
        """Write one queued request to the store (one step of the replay)."""
        try:
            if entry.kind == "feedback":
                feedback = FeedbackRequest.from_dict(entry.payload)
            else:
                request = TicketRequest.from_dict(entry.payload)
        except (TypeError, ValueError, KeyError) as exc:
            raise ValidationFailed([FieldError("outbox", "unreadable", str(exc))]) from exc
        if entry.kind == "feedback":
            self._feedback.store_feedback(feedback, entry.key)
        elif entry.kind in ("ticket", "incomplete"):
            complete = entry.kind == "ticket"
            clean = self._intake.validate(request, complete=complete)
            ticket, _ = self._intake.store_ticket(clean, entry.key, complete=complete)
            self._ctx.plan(ticket)
        else:
            raise ValidationFailed([FieldError("outbox", "unknown_kind", entry.kind)])
