"""Callbacks: a promise to call a customer back by the promised time, and its attempts.

Life cycle:  pending --claim--> claimed --place--> placed --outcome--> done | failed | exhausted
                ^                  |  lease expired / dialer error       |
                +------------------+<------------- no_answer, attempts left
`cancelled` can be reached from pending/claimed/placed. `attempts` counts placed calls;
`attempt_key` (id + next attempt number) is the idempotency key a dialer must honour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class Outcome(str, Enum):
    REACHED_RESOLVED = "reached_resolved"
    REACHED_UNRESOLVED = "reached_unresolved"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    REFUSED = "refused"


class CallbackStatus(str, Enum):
    PENDING = "pending"  # waiting for its due time
    CLAIMED = "claimed"  # a worker holds a lease and is placing it
    PLACED = "placed"  # handed to the dialer (agents' queue / outbound call); awaiting outcome
    DONE = "done"  # reached (resolved or not) or refused
    FAILED = "failed"  # wrong number
    EXHAUSTED = "exhausted"  # no answer after max_attempts
    CANCELLED = "cancelled"


TERMINAL = frozenset(
    {CallbackStatus.DONE, CallbackStatus.FAILED, CallbackStatus.EXHAUSTED, CallbackStatus.CANCELLED}
)


@dataclass(frozen=True)
class Callback:
    id: str
    ticket_number: str
    phone: str
    kind: str
    reason: str
    due_at: datetime
    created_at: datetime
    status: CallbackStatus
    attempts: int
    max_attempts: int
    claims: int = 0
    lease_expiries: int = 0
    worker: str = ""
    last_outcome: str | None = None
    last_outcome_attempt: int | None = None
    last_outcome_actor: str = ""
    last_outcome_note: str = ""
    last_outcome_at: datetime | None = None

    @property
    def next_attempt(self) -> int:
        return self.attempts + 1

    @property
    def attempt_key(self) -> str:
        """Idempotency key of the next placement: the same after a lease expiry."""
        return f"{self.id}:{self.next_attempt}"


@dataclass(frozen=True)
class Claim:
    """A callback leased to one worker; only the lease holder (token) may move it on."""

    callback: Callback
    token: str
    worker_id: str

    @property
    def attempt(self) -> int:
        return self.callback.next_attempt


@dataclass(frozen=True)
class Placement:
    """What a worker did with one claim, for logs and tests."""

    callback_id: str
    attempt: int
    placed: bool
    outcome: str | None = None
    error: str | None = None
