"""What "placing" a callback means: the `CallbackDialer` interface and the default dialer.

A dialer MUST be idempotent on `callback.attempt_key`: after a worker dies between
`place()` and recording the placement, the callback is claimed again and placed again
with the same key, and the dialer must not call the customer twice. It should return
quickly (within the lease); if it learns the outcome synchronously it may return it,
otherwise outcomes are reported later through `CallbackScheduler.record_outcome`.

`HumanQueueDialer` (default) puts the callback on the agents' queue, a Redis stream
(`hotline:agent_queue`, consumer group `agents`) that agents claim from with `AgentQueue`.
An outbound-call dialer plugs in through hotline.yml `callbacks.dialer` or the worker's
`--dialer module:factory`; the factory receives a `DialerContext`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import redis

from bot.callbacks.model import Callback, Outcome
from bot.callbacks.policy import CallbackPolicy
from bot.clock import Clock
from bot.redis_client import KEY_PREFIX, RedisClient, register_lua, text
from bot.tickets.errors import guarded

LUA = Path(__file__).resolve().parent / "lua"  # this package's Redis scripts

AGENT_GROUP = "agents"
DEDUPE_TTL_SECONDS = 30 * 24 * 3600


@runtime_checkable
class CallbackDialer(Protocol):
    def place(self, callback: Callback) -> Outcome | None:
        """Start the callback (idempotent on `callback.attempt_key`)."""
        ...


@dataclass(frozen=True)
class DialerContext:
    """What a dialer factory gets: shared Redis, key prefix, clock and callback policy."""

    redis: RedisClient
    prefix: str
    clock: Clock
    policy: CallbackPolicy




class HumanQueueDialer:
    """Places a callback by queueing it for the agents (once per attempt)."""

    def __init__(self, client: RedisClient, prefix: str = KEY_PREFIX) -> None:
        self._r = client
        self.stream = f"{prefix}:agent_queue"
        self._prefix = prefix
        self._place = register_lua(client, LUA / "place.lua")

    @classmethod
    def from_context(cls, context: DialerContext) -> HumanQueueDialer:
        return cls(context.redis, context.prefix)

    @guarded
    def place(self, callback: Callback) -> None:
        fields = {
            "callback_id": callback.id,
            "attempt": str(callback.next_attempt),
            "attempt_key": callback.attempt_key,
            "ticket": callback.ticket_number,
            "phone": callback.phone,
            "kind": callback.kind,
            "due_at": callback.due_at.isoformat(),
        }
        flat = [v for pair in fields.items() for v in pair]
        self._place(
            keys=[f"{self._prefix}:agent_queue:placed:{callback.attempt_key}", self.stream],
            args=[DEDUPE_TTL_SECONDS, *flat],
        )
        return None


@dataclass(frozen=True)
class AgentTask:
    entry_id: str
    callback_id: str
    attempt: int
    ticket_number: str
    phone: str
    kind: str
    due_at: str


class AgentQueue:
    """The agents' side of the human queue: claim a task, call, record, acknowledge.

    An agent that crashes keeps its tasks pending in the group; after `reclaim_idle_ms`
    another agent's `claim` takes them over (XAUTOCLAIM)."""

    def __init__(self, client: RedisClient, prefix: str = KEY_PREFIX) -> None:
        self._r = client
        self.stream = f"{prefix}:agent_queue"
        self._group_ready = False

    def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            self._r.xgroup_create(self.stream, AGENT_GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    @guarded
    def claim(
        self, agent_id: str, count: int = 1, reclaim_idle_ms: int = 600_000
    ) -> list[AgentTask]:
        self._ensure_group()
        reclaimed = self._r.xautoclaim(
            self.stream, AGENT_GROUP, agent_id, min_idle_time=reclaim_idle_ms, count=count
        )
        entries = list(reclaimed[1]) if reclaimed else []
        if len(entries) < count:
            fresh = self._r.xreadgroup(
                AGENT_GROUP, agent_id, {self.stream: ">"}, count=count - len(entries)
            )
            for _, stream_entries in fresh or []:
                entries.extend(stream_entries)
        return [self._task(entry_id, fields) for entry_id, fields in entries if fields]

    @staticmethod
    def _task(entry_id: Any, fields: dict[Any, Any]) -> AgentTask:
        data = {text(k): text(v) for k, v in fields.items()}
        return AgentTask(
            entry_id=text(entry_id),
            callback_id=data["callback_id"],
            attempt=int(data["attempt"]),
            ticket_number=data["ticket"],
            phone=data["phone"],
            kind=data.get("kind", ""),
            due_at=data.get("due_at", ""),
        )

    @guarded
    def ack(self, entry_id: str) -> None:
        self._ensure_group()
        self._r.xack(self.stream, AGENT_GROUP, entry_id)

    @guarded
    def length(self) -> int:
        return int(self._r.xlen(self.stream))


DialerFactory = Callable[[DialerContext], CallbackDialer]


def load_dialer(spec: str, context: DialerContext) -> CallbackDialer:
    """Build the dialer named `module:attribute` (a class with `from_context`, or a
    callable taking the context). Empty spec: the default HumanQueueDialer."""
    if not spec:
        return HumanQueueDialer.from_context(context)
    module_name, _, attribute = spec.partition(":")
    if not attribute:
        raise ValueError(f"dialer spec must be 'module:attribute', got {spec!r}")
    target = getattr(importlib.import_module(module_name), attribute)
    factory = getattr(target, "from_context", target)
    dialer = factory(context)
    if not isinstance(dialer, CallbackDialer):
        raise TypeError(f"{spec} did not produce a CallbackDialer")
    return dialer
