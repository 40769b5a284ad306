"""The bot/ services the actions use, built once per action-server process on first use."""

from __future__ import annotations

from functools import lru_cache

import redis

from bot.config import settings
from bot.handoffs import HandoffQueue
from bot.outcomes import ConversationOutcomes
from bot.tickets.service import TicketService
from bot.wiring import build_ticket_service


@lru_cache(maxsize=1)
def redis_connection() -> redis.Redis[bytes]:
    return redis.Redis.from_url(
        settings().redis_url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
    )


def handoffs() -> HandoffQueue:
    return HandoffQueue(redis_connection())


def outcomes() -> ConversationOutcomes:
    return ConversationOutcomes(redis_connection())


@lru_cache(maxsize=1)
def tickets() -> TicketService:
    """Tickets with their first callback planned on creation (bot/callbacks)."""
    return build_ticket_service()
