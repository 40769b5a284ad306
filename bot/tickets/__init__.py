"""Tickets: model, validation, severity/SLA, storage and the service.

Public entry points: `build_ticket_service()` (bot.wiring) and `TicketService`.
See docs/TICKETS.md.
"""

from __future__ import annotations

from bot.tickets.errors import (
    FieldError,
    InvalidTransition,
    NotRecorded,
    StoreError,
    StoreUnavailable,
    TicketError,
    TicketNotFound,
    ValidationFailed,
)
from bot.tickets.model import (
    Channel,
    CreateOutcome,
    CreateResult,
    Feedback,
    FeedbackKind,
    FeedbackRequest,
    FeedbackResult,
    Severity,
    Ticket,
    TicketRequest,
    TicketStatus,
)

__all__ = [
    "Channel",
    "CreateOutcome",
    "CreateResult",
    "Feedback",
    "FeedbackKind",
    "FeedbackRequest",
    "FeedbackResult",
    "FieldError",
    "InvalidTransition",
    "NotRecorded",
    "Severity",
    "StoreError",
    "StoreUnavailable",
    "Ticket",
    "TicketError",
    "TicketNotFound",
    "TicketRequest",
    "TicketStatus",
    "ValidationFailed",
]
