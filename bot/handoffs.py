"""Hand-offs to people and flagged callers, kept in Redis for the agent tools.

A hand-off is recorded once per conversation and reason (a retried action
does not queue it twice) and announced on a stream the console follows live.
An agent takes a waiting one off the queue with `claim` (one Lua script: of two agents
claiming at once exactly one wins), which is announced on the same stream.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import redis

from bot.clock import Clock, SystemClock
from bot.masking import mask_number
from bot.redis_client import register_lua

LUA = Path(__file__).resolve().parent / "lua"  # bot/lua: Redis scripts of bot/ modules

HANDOFF_KEY = "hotline:handoff:{conversation_id}"
WAITING_INDEX = "hotline:handoffs:waiting"
EVENTS_STREAM = "hotline:handoffs:events"
FLAGGED_CALLERS = "hotline:flagged_callers"


@dataclass(frozen=True)
class Handoff:
    conversation_id: str
    reason: str
    channel: str
    caller_masked: str
    ticket_id: Optional[str]
    priority: bool
    created_at: str
    claimed_by: Optional[str] = None
    claimed_at: Optional[str] = None


@dataclass(frozen=True)
class ClaimResult:
    """`won`: this agent took it; else `handoff` shows who has it (None: no such hand-off)."""

    won: bool
    handoff: Optional[Handoff]




class HandoffQueue:
    def __init__(self, client: redis.Redis[bytes], clock: Clock | None = None) -> None:
        self._redis = client
        self._clock = clock or SystemClock()
        self._claim = register_lua(client, LUA / "handoffs_claim.lua")

    def hand_off(
        self,
        conversation_id: str,
        reason: str,
        channel: str,
        caller_phone: Optional[str] = None,
        ticket_id: Optional[str] = None,
        priority: bool = False,
    ) -> Handoff:
        now = self._clock.now()
        handoff = Handoff(
            conversation_id=conversation_id,
            reason=reason,
            channel=channel,
            caller_masked=mask_number(caller_phone) if caller_phone else "",
            ticket_id=ticket_id,
            priority=priority,
            created_at=now.isoformat(),
        )
        key = HANDOFF_KEY.format(conversation_id=conversation_id)
        record = json.dumps(asdict(handoff), ensure_ascii=False)
        # NX: the first hand-off of a conversation wins; retries change nothing.
        if self._redis.set(key, record, nx=True):
            pipe = self._redis.pipeline()
            pipe.zadd(WAITING_INDEX, {conversation_id: now.timestamp()})
            pipe.xadd(EVENTS_STREAM, {"type": "handoff", "data": record}, maxlen=10000)
            pipe.execute()
            return handoff
        return _parse(self._redis.get(key) or record)

    def get(self, conversation_id: str) -> Optional[Handoff]:
        raw = self._redis.get(HANDOFF_KEY.format(conversation_id=conversation_id))
        return _parse(raw) if raw else None

    def waiting(self) -> list[Handoff]:
        ids = self._redis.zrange(WAITING_INDEX, 0, -1)
        found = [self.get(i.decode() if isinstance(i, bytes) else i) for i in ids]
        return [h for h in found if h is not None]

    def claim(self, conversation_id: str, agent: str) -> ClaimResult:
        """Take a waiting hand-off for `agent`; atomic, announced as a `claimed` event."""
        if not agent:
            raise ValueError("an agent name is needed to claim a hand-off")
        reply = self._claim(
            keys=[HANDOFF_KEY.format(conversation_id=conversation_id), WAITING_INDEX,
                  EVENTS_STREAM],
            args=[conversation_id, agent, self._clock.now().isoformat(), 10000],
        )
        handoff = _parse(reply[1]) if len(reply) > 1 else None
        return ClaimResult(bool(reply[0]), handoff)

    def flag_caller(self, caller_key: str, conversation_id: str, reason: str) -> None:
        """Flag a caller (phone number or conversation) for supervisors; no auto-block."""
        entry = json.dumps(
            {"conversation_id": conversation_id, "reason": reason,
             "at": self._clock.now().isoformat()},
            ensure_ascii=False,
        )
        self._redis.hset(FLAGGED_CALLERS, caller_key, entry)

    def is_flagged(self, caller_key: str) -> bool:
        return bool(self._redis.hexists(FLAGGED_CALLERS, caller_key))


def _parse(raw: bytes | str) -> Handoff:
    """A stored record; fields this version does not know are ignored, and Lua's cjson
    turns a missing ticket (JSON null) into null again, so the record round-trips."""
    data = json.loads(raw)
    known = {k: data[k] for k in Handoff.__dataclass_fields__ if k in data}
    return Handoff(**known)
