"""Builders shared by the ticket / callback / outbox tests (no tests here).

Everything runs against the real Redis of the `redis_client` fixture (db 1, flushed per
test) with a `ManualClock`, so deadlines days ahead are reached by moving the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import redis

from bot.callbacks.dialer import AgentQueue, CallbackDialer
from bot.callbacks.policy import CallbackPolicy, callback_policy_from_config
from bot.callbacks.scheduler import CallbackScheduler
from bot.clock import ManualClock
from bot.config import hotline_config, settings
from bot.tickets.model import TicketRequest
from bot.tickets.service import TicketService
from bot.wiring import attach_scheduler, build_ticket_service

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday morning inside business hours (09:00-21:00) and outside quiet hours.
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026, Shanghai time (the 23rd is a Monday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def complaint(**overrides: Any) -> TicketRequest:
    values: dict[str, Any] = {
        "conversation_id": "conv-1",
        "channel": "webchat",
        "description": "the fridge I bought stopped cooling after two days",
        "category": "product_fault",
        "surname": "Wang",
        "title": "Mr",
        "phone": "13812345678",
        "address": "1 Example Road",
        "order_number": "SO123456",
        "complaint_target": "the fridge",
    }
    values.update(overrides)
    return TicketRequest(**values)


@dataclass
class Services:
    tickets: TicketService
    scheduler: CallbackScheduler
    clock: ManualClock
    redis: redis.Redis[bytes]
    outbox_dir: Path

    @property
    def agents(self) -> AgentQueue:
        return AgentQueue(self.redis)


def build_services(
    client: redis.Redis[Any],
    clock: ManualClock,
    outbox_dir: Path,
    callback_policy: CallbackPolicy | None = None,
    dialer: CallbackDialer | None = None,
) -> Services:
    tickets = build_ticket_service(
        env=settings({}),
        clock=clock,
        redis_client=client,
        outbox_dir=outbox_dir,
        plan_callbacks=False,
    )
    scheduler = attach_scheduler(
        tickets,
        redis_client=client,
        policy=callback_policy or callback_policy_from_config(hotline_config()),
        dialer=dialer,
    )
    return Services(tickets, scheduler, clock, client, outbox_dir)


def minutes(value: float) -> timedelta:
    return timedelta(minutes=value)
