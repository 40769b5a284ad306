"""Tickets and feedback in Redis: one JSON document per record plus sorted-set indexes.

Keys (prefix `hotline`):
  hotline:ticket:{number}              JSON of the ticket
  hotline:ticket:seq:{YYYYMMDD}        INCR counter of the day's ticket numbers
  hotline:ticket:idem:{key}            idempotency key -> ticket number (TTL 30 days)
  hotline:tickets:created              zset number -> created (epoch s)
  hotline:tickets:status:{status}      zset number -> created, one per status
  hotline:tickets:phone:{digits}       zset number -> created, per caller phone
  hotline:tickets:due                  zset number -> escalation deadline (unhandled only)
  hotline:feedback:{id} / :seq:{day} / :idem:{key}, hotline:feedbacks:created,
  hotline:feedbacks:kind:{kind}        the same shape for praise and suggestions
A new record, its idempotency key and its index entries are written by one Lua script
(all or nothing); updates use WATCH/MULTI on the ticket key.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import redis

from bot.redis_client import (
    KEY_PREFIX,
    RedisClient,
    optional_text,
    register_lua,
    text,
)
from bot.tickets.errors import StoreError, TicketNotFound, unavailable_as_store_error
from bot.tickets.model import (
    FEEDBACK_ID_PREFIX,
    Feedback,
    Ticket,
    TicketStatus,
    format_ticket_number,
)
from bot.tickets.store import Mutation, key_digest

LUA = Path(__file__).resolve().parent / "lua"  # this package's Redis scripts

IDEMPOTENCY_TTL_SECONDS = 30 * 24 * 3600
SEQUENCE_TTL_SECONDS = 400 * 24 * 3600
_TAKEN = "!TAKEN"
_MAX_NUMBER_ATTEMPTS = 20
_MAX_UPDATE_ATTEMPTS = 50



def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def score(moment: datetime) -> float:
    return moment.timestamp()


class RedisTicketStore:
    def __init__(self, client: RedisClient, prefix: str = KEY_PREFIX) -> None:
        self._r = client
        self._p = prefix
        self._insert = register_lua(client, LUA / "insert.lua")

    # -- keys -------------------------------------------------------------------------------
    def ticket_key(self, number: str) -> str:
        return f"{self._p}:ticket:{number}"

    def _status_key(self, status: TicketStatus) -> str:
        return f"{self._p}:tickets:status:{status.value}"

    def _phone_key(self, phone: str) -> str:
        return f"{self._p}:tickets:phone:{phone}"

    @property
    def _due_key(self) -> str:
        return f"{self._p}:tickets:due"

    # -- create -----------------------------------------------------------------------------
    def create(self, ticket: Ticket, idempotency_key: str) -> tuple[Ticket, bool]:
        idem = f"{self._p}:ticket:idem:{key_digest(idempotency_key)}"
        with unavailable_as_store_error():
            existing = optional_text(self._r.get(idem))
            if existing:
                return self._require(existing), False
            day = ticket.created_at.date()
            for _ in range(_MAX_NUMBER_ATTEMPTS):
                number = format_ticket_number(day, self._next_sequence("ticket", day))
                stored = replace(ticket, number=number, idempotency_key=idempotency_key)
                stored = replace(
                    stored, version=1, updated_at=stored.updated_at or stored.created_at
                )
                indexes = self._index_entries(stored)
                result = text(
                    self._insert(
                        keys=[idem, self.ticket_key(number), *indexes.keys()],
                        args=[
                            number,
                            dumps(stored.to_dict()),
                            IDEMPOTENCY_TTL_SECONDS,
                            *indexes.values(),
                        ],
                    )
                )
                if result == number:
                    return stored, True
                if result != _TAKEN:
                    return self._require(result), False
        raise StoreError(f"could not allocate a ticket number for {day}")

    def _next_sequence(self, kind: str, day: date) -> int:
        key = f"{self._p}:{kind}:seq:{day:%Y%m%d}"
        pipe = self._r.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, SEQUENCE_TTL_SECONDS)
        sequence, _ = pipe.execute()
        return int(sequence)

    def _index_entries(self, ticket: Ticket) -> dict[str, float]:
        created = score(ticket.created_at)
        entries = {
            f"{self._p}:tickets:created": created,
            self._status_key(ticket.status): created,
        }
        if ticket.caller.phone:
            entries[self._phone_key(ticket.caller.phone)] = created
        if ticket.due_at is not None and ticket.is_unhandled:
            entries[self._due_key] = score(ticket.due_at)
        return entries

    # -- read -------------------------------------------------------------------------------
    def get(self, number: str) -> Ticket | None:
        with unavailable_as_store_error():
            raw = self._r.get(self.ticket_key(number))
        return None if raw is None else Ticket.from_dict(json.loads(text(raw)))

    def _require(self, number: str) -> Ticket:
        ticket = self.get(number)
        if ticket is None:
            raise StoreError(f"idempotency key points at missing ticket {number}")
        return ticket

    def _load_many(self, numbers: list[Any]) -> list[Ticket]:
        if not numbers:
            return []
        with unavailable_as_store_error():
            raws = self._r.mget([self.ticket_key(text(n)) for n in numbers])
        return [Ticket.from_dict(json.loads(text(raw))) for raw in raws if raw is not None]

    def find_by_phone(
        self, phone: str, *, since: datetime | None = None, limit: int = 20
    ) -> list[Ticket]:
        low = "-inf" if since is None else score(since)
        with unavailable_as_store_error():
            numbers = self._r.zrevrangebyscore(
                self._phone_key(phone), "+inf", low, start=0, num=limit
            )
        return self._load_many(list(numbers))

    def list_by_status(self, status: TicketStatus, limit: int = 50) -> list[Ticket]:
        with unavailable_as_store_error():
            numbers = self._r.zrevrange(self._status_key(status), 0, limit - 1)
        return self._load_many(list(numbers))

    def due_before(self, moment: datetime, limit: int = 100) -> list[str]:
        with unavailable_as_store_error():
            numbers = self._r.zrangebyscore(
                self._due_key, "-inf", score(moment), start=0, num=limit
            )
        return [text(n) for n in numbers]

    # -- update -----------------------------------------------------------------------------
    def update(self, number: str, mutate: Mutation) -> Ticket:
        key = self.ticket_key(number)
        with unavailable_as_store_error(), self._r.pipeline(transaction=True) as pipe:
            for _ in range(_MAX_UPDATE_ATTEMPTS):
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    if raw is None:
                        raise TicketNotFound(number)
                    current = Ticket.from_dict(json.loads(text(raw)))
                    changed = mutate(current)
                    if changed is None or changed == current:
                        pipe.unwatch()
                        return current
                    changed = replace(changed, version=current.version + 1)
                    pipe.multi()
                    pipe.set(key, dumps(changed.to_dict()))
                    self._reindex(pipe, current, changed)
                    pipe.execute()
                    return changed
                except redis.WatchError:
                    continue
        raise StoreError(f"ticket {number}: too many concurrent updates")

    def _reindex(self, pipe: Any, old: Ticket, new: Ticket) -> None:
        if old.status != new.status:
            pipe.zrem(self._status_key(old.status), new.number)
        if old.caller.phone and old.caller.phone != new.caller.phone:
            pipe.zrem(self._phone_key(old.caller.phone), new.number)
        entries = self._index_entries(new)
        for index_key, value in entries.items():
            pipe.zadd(index_key, {new.number: value})
        if self._due_key not in entries:
            pipe.zrem(self._due_key, new.number)

    # -- feedback ---------------------------------------------------------------------------
    def feedback_key(self, feedback_id: str) -> str:
        return f"{self._p}:feedback:{feedback_id}"

    def create_feedback(self, feedback: Feedback, idempotency_key: str) -> tuple[Feedback, bool]:
        idem = f"{self._p}:feedback:idem:{key_digest(idempotency_key)}"
        with unavailable_as_store_error():
            existing = optional_text(self._r.get(idem))
            if existing:
                return self._require_feedback(existing), False
            day = feedback.created_at.date()
            for _ in range(_MAX_NUMBER_ATTEMPTS):
                sequence = self._next_sequence("feedback", day)
                feedback_id = f"{FEEDBACK_ID_PREFIX}{day:%Y%m%d}{sequence:04d}"
                stored = replace(feedback, id=feedback_id, idempotency_key=idempotency_key)
                created = score(stored.created_at)
                result = text(
                    self._insert(
                        keys=[
                            idem,
                            self.feedback_key(feedback_id),
                            f"{self._p}:feedbacks:created",
                            f"{self._p}:feedbacks:kind:{stored.kind.value}",
                        ],
                        args=[
                            feedback_id,
                            dumps(stored.to_dict()),
                            IDEMPOTENCY_TTL_SECONDS,
                            created,
                            created,
                        ],
                    )
                )
                if result == feedback_id:
                    return stored, True
                if result != _TAKEN:
                    return self._require_feedback(result), False
        raise StoreError(f"could not allocate a feedback id for {day}")

    def get_feedback(self, feedback_id: str) -> Feedback | None:
        with unavailable_as_store_error():
            raw = self._r.get(self.feedback_key(feedback_id))
        return None if raw is None else Feedback.from_dict(json.loads(text(raw)))

    def _require_feedback(self, feedback_id: str) -> Feedback:
        found = self.get_feedback(feedback_id)
        if found is None:
            raise StoreError(f"idempotency key points at missing feedback {feedback_id}")
        return found

    def list_feedback(self, kind: str | None = None, limit: int = 50) -> list[Feedback]:
        index = f"{self._p}:feedbacks:" + (f"kind:{kind}" if kind else "created")
        with unavailable_as_store_error():
            ids = self._r.zrevrange(index, 0, limit - 1)
            raws = self._r.mget([self.feedback_key(text(i)) for i in ids]) if ids else []
        return [Feedback.from_dict(json.loads(text(raw))) for raw in raws if raw is not None]
