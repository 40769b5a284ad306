"""Praise and suggestions: recorded idempotently, queued when the store is down."""

from __future__ import annotations

from dataclasses import replace

from bot.tickets.context import TicketContext, require_key
from bot.tickets.errors import StoreUnavailable
from bot.tickets.model import (
    Channel,
    CreateOutcome,
    Feedback,
    FeedbackRequest,
    FeedbackResult,
)
from bot.tickets.validation import validate_feedback


class FeedbackDesk:
    def __init__(self, context: TicketContext) -> None:
        self._ctx = context

    def record_feedback(self, request: FeedbackRequest, idempotency_key: str) -> FeedbackResult:
        """Record praise or a suggestion (idempotent; queued when the store is down)."""
        key = require_key(idempotency_key)
        if request.received_at is None:
            request = replace(request, received_at=self._ctx.clock.now())
        validate_feedback(request, self._ctx.policy.limits)
        try:
            feedback, created = self.store_feedback(request, key)
        except StoreUnavailable as exc:
            queued = self._ctx.queue("feedback", key, request, exc)
            return FeedbackResult(queued.outcome, key)
        outcome = CreateOutcome.CREATED if created else CreateOutcome.EXISTING
        return FeedbackResult(outcome, key, feedback)

    def store_feedback(self, request: FeedbackRequest, key: str) -> tuple[Feedback, bool]:
        policy = self._ctx.policy
        kind = validate_feedback(request, policy.limits)
        received = policy.hours.local(request.received_at or self._ctx.clock.now())
        feedback = Feedback(
            id="",
            kind=kind,
            text=request.text.strip(),
            conversation_id=request.conversation_id,
            channel=Channel(request.channel),
            created_at=received,
            idempotency_key=key,
            staff_name=request.staff_name.strip(),
            branch=request.branch.strip(),
        )
        return self._ctx.store.create_feedback(feedback, key)
