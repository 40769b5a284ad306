"""Hand-offs to people and flagged callers, kept in Redis for the agent tools.

A hand-off is recorded once per conversation and reason (a retried action
does not queue it twice) and announced on a stream the console follows live.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Optional

import redis

from bot.clock import Clock, SystemClock
from bot.masking import mask_number

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


class HandoffQueue:
    def __init__(self, client: redis.Redis[bytes], clock: Clock | None = None) -> None:
        self._redis = client
        self._clock = clock or SystemClock()

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
        existing = json.loads(self._redis.get(key) or record)
        return Handoff(**existing)

    def get(self, conversation_id: str) -> Optional[Handoff]:
        raw = self._redis.get(HANDOFF_KEY.format(conversation_id=conversation_id))
        return Handoff(**json.loads(raw)) if raw else None

    def waiting(self) -> list[Handoff]:
        ids = self._redis.zrange(WAITING_INDEX, 0, -1)
        found = [self.get(i.decode() if isinstance(i, bytes) else i) for i in ids]
        return [h for h in found if h is not None]

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
