"""Exceptions of the ticket domain, shaped so the action layer can map each to a reply.

- `ValidationFailed`: the caller gave something unusable; `.fields` names what to re-ask.
- `TicketNotFound`: no ticket under that number.
- `InvalidTransition`: a status change the workflow does not allow.
- `StoreUnavailable`: the ticket store (Redis / external system) cannot be reached now.
- `StoreError`: the store answered, but refused (bad request, auth, conflict).
- `NotRecorded`: neither the store nor the local outbox could take the request.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.redis_client import UNAVAILABLE_ERRORS


class TicketError(Exception):
    """Base class of everything this package raises on purpose."""


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field. `code` is stable; `detail` is for logs only."""

    field: str
    code: str
    detail: str = ""


class ValidationFailed(TicketError, ValueError):
    """Input rejected; the action re-asks for `fields` (e.g. 'phone', 'preferred_time')."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = list(errors)
        summary = "; ".join(f"{e.field}: {e.code}" for e in self.errors)
        super().__init__(f"invalid ticket input ({summary})")

    @property
    def fields(self) -> list[str]:
        return [e.field for e in self.errors]

    def code_for(self, field: str) -> str | None:
        return next((e.code for e in self.errors if e.field == field), None)


class TicketNotFound(TicketError, LookupError):
    def __init__(self, number: str) -> None:
        self.number = number
        super().__init__(f"no ticket {number}")


class InvalidTransition(TicketError):
    def __init__(self, number: str, from_status: str, to_status: str, reason: str = "") -> None:
        self.number = number
        self.from_status = from_status
        self.to_status = to_status
        extra = f": {reason}" if reason else ""
        super().__init__(f"ticket {number}: {from_status} -> {to_status} not allowed{extra}")


class StoreUnavailable(TicketError):
    """The backing store could not be reached (connection refused, timeout, loading)."""


class StoreError(TicketError):
    """The backing store answered with a refusal that retrying will not fix."""


class NotRecorded(TicketError):
    """The store was down and the outbox could not be written either."""


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
