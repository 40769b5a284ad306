"""Call records and the duplicate-delivery cache, in Redis.

Key layout (all under `hotline:call:{CallSid}`):

- `hotline:call:{sid}` (hash): direction, caller (masked), to, started_at,
  turns, last_input, end_reason, ended_at, status, duration_s, hung_up_by
  (caller | bot | none), handoff_* fields, callback_id, callback_outcome.
  Expires after the retention period (hotline.yml privacy.retention_days).
- `hotline:call:{sid}:req:{digest}` (string): the TwiML answered to one
  webhook request, so a provider's retry of the same request gets the same
  answer without a second dialogue turn. A placeholder marks a request being
  processed; it expires after `dedupe.ttl_s`.
- `hotline:calls` (sorted set): CallSids by start time, for reports.
- `hotline:callbacks:outcomes` (stream): one entry per outbound callback call
  when its outcome is known (callback_id, call_sid, ticket_id, outcome, at);
  the outcome is also the call record's `callback_outcome` field.

Redis trouble never fails a call: every operation logs and degrades (no
duplicate detection, no record) instead of raising.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Optional, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from channels.voice.text import masked

logger = logging.getLogger(__name__)

T = TypeVar("T")
CALL_KEY = "hotline:call:{sid}"
REQUEST_KEY = "hotline:call:{sid}:req:{digest}"
CALLS_INDEX = "hotline:calls"
OUTCOMES_STREAM = "hotline:callbacks:outcomes"
PENDING = "\x00pending"
PROCESSING_TTL_S = 30


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a webhook request for processing."""

    state: str  # new | done | pending | unavailable
    twiml: str = ""


class CallStore:
    def __init__(
        self,
        redis_url: str,
        record_ttl_days: int = 180,
        dedupe_ttl_s: int = 600,
        client: Optional[aioredis.Redis] = None,
    ) -> None:
        self._url = redis_url
        self._client = client
        self._record_ttl_s = max(1, record_ttl_days) * 86400
        self._dedupe_ttl_s = max(1, dedupe_ttl_s)

    @property
    def client(self) -> aioredis.Redis:
        if self._client is None:
            self._client = aioredis.from_url(
                self._url, decode_responses=True, socket_timeout=1.0,
                socket_connect_timeout=1.0, health_check_interval=30,
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def _safe(self, what: str, op: Callable[[], Awaitable[T]], default: T) -> T:
        try:
            return await op()
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            logger.warning("voice store: %s failed: %s", what, exc)
            return default

    # --- duplicate deliveries --------------------------------------------

    async def claim(self, sid: str, digest: str) -> Claim:
        key = REQUEST_KEY.format(sid=sid, digest=digest)

        async def op() -> Claim:
            if await self.client.set(key, PENDING, nx=True, ex=PROCESSING_TTL_S):
                return Claim("new")
            value = await self.client.get(key)
            if value is None:  # expired between the two calls: ours now
                await self.client.set(key, PENDING, ex=PROCESSING_TTL_S)
                return Claim("new")
            return Claim("pending") if value == PENDING else Claim("done", value)

        return await self._safe("claim", op, Claim("unavailable"))

    async def wait_for(self, sid: str, digest: str, timeout_s: float) -> Optional[str]:
        """The answer to a request another worker is still processing, if it comes in time."""
        key = REQUEST_KEY.format(sid=sid, digest=digest)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = await self._safe("wait", lambda: self.client.get(key), None)
            if value is not None and value != PENDING:
                return str(value)
            await asyncio.sleep(0.05)
        return None

    async def answer(self, sid: str, digest: str, twiml: str) -> None:
        key = REQUEST_KEY.format(sid=sid, digest=digest)
        await self._safe("answer", lambda: self.client.set(key, twiml, ex=self._dedupe_ttl_s), None)

    # --- call records ------------------------------------------------------

    async def _hset(self, sid: str, fields: Mapping[str, Any]) -> None:
        key = CALL_KEY.format(sid=sid)
        pipe = self.client.pipeline(transaction=False)
        pipe.hset(key, mapping={k: str(v) for k, v in fields.items() if v is not None})
        pipe.expire(key, self._record_ttl_s)
        await pipe.execute()

    async def start_call(self, sid: str, params: Mapping[str, str], **extra: Any) -> bool:
        """Record a call's start; True when the call was not known before."""
        key = CALL_KEY.format(sid=sid)

        async def op() -> bool:
            now = time.time()
            if not await self.client.hsetnx(key, "started_at", f"{now:.3f}"):
                return False
            direction = params.get("Direction") or "inbound"
            party = params.get("To") if direction.startswith("outbound") else params.get("From")
            await self._hset(sid, {
                "direction": direction, "caller": masked(party), "turns": 0, **extra,
            })
            pipe = self.client.pipeline(transaction=False)
            pipe.zadd(CALLS_INDEX, {sid: now})
            pipe.zremrangebyscore(CALLS_INDEX, 0, now - self._record_ttl_s)
            await pipe.execute()
            return True

        return await self._safe("start_call", op, False)

    async def note_turn(self, sid: str, kind: str) -> None:
        key = CALL_KEY.format(sid=sid)

        async def op() -> None:
            pipe = self.client.pipeline(transaction=False)
            pipe.hincrby(key, "turns", 1)
            pipe.hset(key, mapping={"last_input": kind, "last_turn_at": f"{time.time():.3f}"})
            pipe.expire(key, self._record_ttl_s)
            await pipe.execute()

        await self._safe("note_turn", op, None)

    async def update(self, sid: str, **fields: Any) -> None:
        await self._safe("update", lambda: self._hset(sid, fields), None)

    async def mark_bot_hangup(self, sid: str, reason: str) -> None:
        key = CALL_KEY.format(sid=sid)

        async def op() -> None:
            if await self.client.hsetnx(key, "hung_up_by", "bot"):
                await self._hset(sid, {"bot_hangup_at": f"{time.time():.3f}",
                                       "end_reason": reason})

        await self._safe("mark_bot_hangup", op, None)

    async def finish_call(self, sid: str, status: str, duration_s: str) -> Optional[str]:
        """Record the end of a call once: who hung up first (caller | bot | none),
        None if the end was recorded already, "unknown" if Redis is unavailable."""
        key = CALL_KEY.format(sid=sid)

        async def op() -> Optional[str]:
            if not await self.client.hsetnx(key, "ended_at", f"{time.time():.3f}"):
                return None
            first = "caller" if status == "completed" else "none"
            await self.client.hsetnx(key, "hung_up_by", first)
            await self._hset(sid, {"status": status, "duration_s": duration_s or "0"})
            return str(await self.client.hget(key, "hung_up_by"))

        return await self._safe("finish_call", op, "unknown")

    async def call(self, sid: str) -> dict[str, str]:
        key = CALL_KEY.format(sid=sid)
        return await self._safe("call", lambda: self.client.hgetall(key), {})

    async def record_callback_outcome(
        self, sid: str, callback_id: str, outcome: str, ticket_id: str = ""
    ) -> bool:
        """Record a callback call's outcome; the first one recorded stands."""
        key = CALL_KEY.format(sid=sid)

        async def op() -> bool:
            if not await self.client.hsetnx(key, "callback_outcome", outcome):
                return False
            now = f"{time.time():.3f}"
            await self._hset(sid, {"callback_outcome_at": now, "callback_id": callback_id})
            await self.client.xadd(OUTCOMES_STREAM, {
                "callback_id": callback_id, "call_sid": sid, "ticket_id": ticket_id,
                "outcome": outcome, "at": now,
            }, maxlen=10000, approximate=True)
            return True

        return await self._safe("record_callback_outcome", op, False)
