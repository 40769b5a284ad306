"""What route modules get from the console app (bot/console/app.py) to register pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

from bot.handoffs import HandoffQueue


@dataclass(frozen=True)
class ConsoleContext:
    client: redis.Redis[bytes]
    guarded: Callable[..., Any]  # guarded(roles=(), csrf=False) -> decorator
    page: Callable[..., Any]  # page(request, template, code=200, **context) -> HTTPResponse
    audit: Callable[..., None]  # audit(user, action, conversation_id)
    tickets: Callable[[], Any]  # the TicketService (built on first use)
    transcript: Callable[[str, bool], dict[str, Any] | None]
    ticket_page: Callable[..., Any]  # ticket_page(request, number, error="", status=200)
    handoffs: HandoffQueue
