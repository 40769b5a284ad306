"""The Redis connection used by tickets, callbacks and the outbox replay, and the
Lua scripts every Redis user registers (`.lua` files beside their owners).

Short timeouts on purpose: a caller is waiting on the line, and a Redis outage must
turn into "queued to the outbox" within about a second, not hang the turn. This module
knows Redis only; turning an outage into the domain's `StoreUnavailable` is
`bot.tickets.errors.guarded`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Union

import redis
from redis.commands.core import Script

from bot.config import settings

# The key prefix shared by everything this package stores (tickets, callbacks, queues).
KEY_PREFIX = "hotline"

# Errors that mean "Redis is not reachable right now" (as opposed to a bug or bad data).
# BusyLoadingError: Redis restarted and is still replaying its AOF.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.TryAgainError,
)

RedisClient = Union["redis.Redis[bytes]", "redis.Redis[str]"]


def build_redis(
    url: str | None = None,
    *,
    socket_timeout: float = 2.0,
    connect_timeout: float = 1.0,
) -> redis.Redis[str]:
    """A client for `url` (default `settings().redis_url`) that returns `str` values."""
    return redis.Redis.from_url(
        url or settings().redis_url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=connect_timeout,
        health_check_interval=30,
        decode_responses=True,
    )


def text(value: Any) -> str:
    """A Redis reply as `str`, whichever `decode_responses` the client uses."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def optional_text(value: Any) -> str | None:
    return None if value is None else text(value)


@lru_cache(maxsize=64)
def lua_source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def register_lua(client: Any, path: Path) -> Script:
    """The Lua script in `path`, registered with redis-py (EVALSHA; loaded on first use)."""
    return client.register_script(lua_source(path))
