"""Tickets (HOTLINE_SPEC §3): model, validation, severity/SLA, storage and the service.

Public entry points: `build_ticket_service()` (bot.tickets.factory) and `TicketService`.
See docs/TICKETS.md.
"""

from __future__ import annotations

from typing import Any

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
    "TicketService",
    "TicketStatus",
    "ValidationFailed",
    "build_ticket_service",
]


def __getattr__(name: str) -> Any:
    # Imported lazily: the service and factory pull in the callback package.
    if name == "TicketService":
        from bot.tickets.service import TicketService

        return TicketService
    if name == "build_ticket_service":
        from bot.tickets.factory import build_ticket_service

        return build_ticket_service
    raise AttributeError(name)
