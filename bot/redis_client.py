"""The Redis connection used by tickets, callbacks and the outbox replay.

Short timeouts on purpose: a caller is waiting on the line, and a Redis outage must
turn into "queued to the outbox" within about a second, not hang the turn.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, Union

import redis

from bot.config import settings
from bot.tickets.errors import StoreUnavailable

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


@contextmanager
def unavailable_as_store_error() -> Iterator[None]:
    """Turn "Redis is down" into `StoreUnavailable` (what the services know how to handle)."""
    try:
        yield
    except UNAVAILABLE_ERRORS as exc:
        raise StoreUnavailable(f"redis unavailable: {exc}") from exc


F = TypeVar("F", bound=Callable[..., Any])


def guarded(method: F) -> F:
    """Decorator form of `unavailable_as_store_error`."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with unavailable_as_store_error():
            return method(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
