"""The storage interface of tickets and feedback. Implementations: `RedisTicketStore`
(the default) and `HttpTicketStore` (an external ticket system).

Contract every implementation keeps:
- `create` is idempotent on `idempotency_key`: a second call with the same key returns
  the ticket stored the first time (and `created=False`), never a second ticket; the
  store assigns the ticket number.
- `update` applies `mutate` to the current version atomically (optimistic concurrency:
  on a concurrent change it re-reads and re-applies). `mutate` returns None for "no change".
- Connection problems raise `StoreUnavailable`; refusals raise `StoreError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from bot.tickets.model import Feedback, Ticket, TicketStatus

Mutation = Callable[[Ticket], "Ticket | None"]


class TicketStore(Protocol):
    def create(self, ticket: Ticket, idempotency_key: str) -> tuple[Ticket, bool]: ...

    def get(self, number: str) -> Ticket | None: ...

    def find_by_phone(
        self, phone: str, *, since: datetime | None = None, limit: int = 20
    ) -> list[Ticket]:
        """Tickets of a caller's phone (canonical digits), newest first."""
        ...

    def list_by_status(self, status: TicketStatus, limit: int = 50) -> list[Ticket]:
        """Tickets in a status, newest first."""
        ...

    def due_before(self, moment: datetime, limit: int = 100) -> list[str]:
        """Numbers of unhandled tickets whose escalation deadline is at or before `moment`."""
        ...

    def update(self, number: str, mutate: Mutation) -> Ticket: ...

    def create_feedback(
        self, feedback: Feedback, idempotency_key: str
    ) -> tuple[Feedback, bool]: ...


def key_digest(idempotency_key: str, max_len: int = 200) -> str:
    """The idempotency key as used in storage keys: as is when short, else its SHA-256."""
    if len(idempotency_key) <= max_len:
        return idempotency_key
    return "sha256:" + hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()
