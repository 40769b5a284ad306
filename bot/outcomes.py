"""How each conversation ended: reason, satisfaction, hand-off. Feeds the figures (§8)."""

from __future__ import annotations

from typing import Optional

import redis

from bot.clock import Clock, SystemClock

OUTCOME_KEY = "hotline:outcome:{conversation_id}"
ENDED_INDEX = "hotline:outcomes:ended"


class ConversationOutcomes:
    def __init__(self, client: redis.Redis[bytes], clock: Clock | None = None) -> None:
        self._redis = client
        self._clock = clock or SystemClock()

    def record_end(
        self, conversation_id: str, reason: str, channel: str, served: bool, handed_off: bool
    ) -> None:
        now = self._clock.now()
        key = OUTCOME_KEY.format(conversation_id=conversation_id)
        pipe = self._redis.pipeline()
        pipe.hset(key, mapping={
            "end_reason": reason, "channel": channel, "served": int(served),
            "handed_off": int(handed_off), "ended_at": now.isoformat(),
        })
        pipe.zadd(ENDED_INDEX, {conversation_id: now.timestamp()})
        pipe.execute()

    def record_satisfaction(self, conversation_id: str, score: int) -> None:
        if not 1 <= score <= 5:
            raise ValueError(f"satisfaction must be 1-5, got {score}")
        key = OUTCOME_KEY.format(conversation_id=conversation_id)
        self._redis.hset(key, mapping={
            "satisfaction": score, "rated_at": self._clock.now().isoformat(),
        })

    def get(self, conversation_id: str) -> dict[str, str]:
        raw = self._redis.hgetall(OUTCOME_KEY.format(conversation_id=conversation_id))
        return {k.decode(): v.decode() for k, v in raw.items()}

    def satisfaction(self, conversation_id: str) -> Optional[int]:
        value = self.get(conversation_id).get("satisfaction")
        return int(value) if value else None
