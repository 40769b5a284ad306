"""What every part of the ticket service shares: the store, the clock, the policy, the
outbox that keeps requests while the store is down, and the planner of first callbacks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.clock import Clock
from bot.outbox import Outbox
from bot.tickets.errors import FieldError, NotRecorded, ValidationFailed
from bot.tickets.model import (
    CreateOutcome,
    CreateResult,
    FeedbackRequest,
    Ticket,
    TicketRequest,
    normalize_ticket_number,
)
from bot.tickets.policy import TicketPolicy
from bot.tickets.store import TicketStore

log = logging.getLogger(__name__)


class FollowUpPlanner(Protocol):
    """Plans the first callback of a new ticket (idempotent). Implemented by the scheduler."""

    def plan_for(self, ticket: Ticket) -> object: ...


@dataclass
class TicketContext:
    store: TicketStore
    clock: Clock
    policy: TicketPolicy
    outbox: Outbox | None = None
    followups: FollowUpPlanner | None = None  # attached after construction (bot/wiring.py)

    def queue(
        self, kind: str, key: str, request: TicketRequest | FeedbackRequest, cause: Exception
    ) -> CreateResult:
        """Keep a request in the outbox for `replay_outbox`; re-raise `cause` without one."""
        if self.outbox is None:
            raise cause
        try:
            self.outbox.append(kind, key, request.to_dict())
        except OSError as exc:
            raise NotRecorded(f"store unavailable ({cause}) and outbox failed ({exc})") from exc
        log.warning("%s %s queued to the outbox: %s", kind, key, cause)
        return CreateResult(CreateOutcome.QUEUED, key)

    def plan(self, ticket: Ticket) -> None:
        if self.followups is not None and ticket.caller.phone:
            self.followups.plan_for(ticket)

    def change(
        self, number: str, mutate: Callable[[Ticket, datetime], Ticket | None]
    ) -> Ticket:
        """Apply `mutate(ticket, now)` atomically (None: no change)."""
        now = self.clock.now()
        return self.store.update(normalize_ticket_number(number), lambda t: mutate(t, now))


def require_key(idempotency_key: str) -> str:
    key = (idempotency_key or "").strip()
    if not key:
        raise ValidationFailed([FieldError("idempotency_key", "required")])
    return key
