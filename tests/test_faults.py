"""Faults injected into the real stack: what callers see and what survives."""

from __future__ import annotations

import re
import uuid

import pytest

from bot.config import settings
from bot.tickets.factory import build_ticket_service
from tests.stack import Stack

pytestmark = pytest.mark.stack


def texts(messages: list[dict]) -> str:
    return " ".join(m["text"] for m in messages if m.get("text"))


def test_redis_restart_mid_conversation_keeps_the_conversation_and_the_ticket(
    rasa_stack: Stack,
) -> None:
    sender = f"redis-restart-{uuid.uuid4().hex[:8]}"
    assert "贵姓" in texts(rasa_stack.say(sender, "我要投诉,新买的空调一直漏水"))
    rasa_stack.redis.restart(hard=True)  # SIGKILL: only what AOF kept comes back
    assert "联系电话" in texts(rasa_stack.say(sender, "我姓刘"))
    rasa_stack.say(sender, "13900001234")
    assert "订单号" in texts(rasa_stack.say(sender, "对"))
    rasa_stack.say(sender, "订单号记不清了")
    reply = texts(rasa_stack.say(sender, "明天上午"))
    number = re.search(r"T\d{12}", reply)
    assert number, reply

    rasa_stack.redis.restart(hard=True)
    ticket = build_ticket_service(env=settings(rasa_stack.env)).get_ticket(number.group(0))
    assert ticket is not None and ticket.caller.surname == "刘"
    events = rasa_stack.tracker(sender)["events"]
    assert [e["text"] for e in events if e["event"] == "user"][:2] == [
        "我要投诉,新买的空调一直漏水", "我姓刘",
    ]
