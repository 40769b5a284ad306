"""The agents' side of callbacks (the console): the due/overdue board, holding a callback,
recording its outcome, and moving it to another time. Every change goes through one Lua
script of the queue and lands in the callback's event log with the agent's name.

A held callback is out of the worker's reach (queue.agent_claim); the outcome goes through
the scheduler's `record_outcome`, so retries, ticket updates and flags are the same as
for the dialer's outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.callbacks.model import Callback, CallbackStatus
from bot.callbacks.scheduler import CallbackNotFound, CallbackScheduler, CallbackStateError
from bot.tickets.business_time import BusinessHours
from bot.tickets.errors import FieldError, TicketError, ValidationFailed
from bot.tickets.validation import ValidationLimits, check_callback_time

AGENT_ACTOR = "agent:{name}"
OPEN = frozenset({CallbackStatus.PENDING, CallbackStatus.CLAIMED, CallbackStatus.PLACED})


class CallbackHeld(TicketError):
    """Another agent holds the callback, or a worker is placing it right now."""

    def __init__(self, callback_id: str, holder: str) -> None:
        self.callback_id = callback_id
        self.holder = holder
        super().__init__(f"callback {callback_id} is held by {holder}")


@dataclass(frozen=True)
class BoardEntry:
    callback: Callback
    holder: str  # the agent holding it now, or ""
    overdue: bool


@dataclass(frozen=True)
class Board:
    overdue: list[BoardEntry]
    due: list[BoardEntry]


class AgentCallbacks:
    def __init__(
        self,
        scheduler: CallbackScheduler,
        *,
        hold: timedelta,
        hours: BusinessHours,
        limits: ValidationLimits,
    ) -> None:
        self.scheduler = scheduler
        self.queue = scheduler.queue
        self.hold = hold
        self.hours = hours
        self.limits = limits

    # -- reading ----------------------------------------------------------------------------
    def board(self, until: datetime | None = None, limit: int = 200) -> Board:
        """Open callbacks due before `until` (default: the end of today, company time):
        overdue ones (due time passed, no outcome yet) and the rest, earliest first."""
        now = self.scheduler.clock.now()
        local = self.hours.local(now)
        end = until or datetime.combine(local.date() + timedelta(days=1), datetime.min.time(),
                                        tzinfo=self.hours.tz)
        ids = self.queue.open_ids(end, limit)
        found = [c for c in (self.queue.get(i) for i in ids) if c is not None and c.status in OPEN]
        holders = self.queue.holders([c.id for c in found])
        entries = sorted(
            (BoardEntry(c, holders.get(c.id, ""), c.due_at < now) for c in found),
            key=lambda e: e.callback.due_at,
        )
        return Board([e for e in entries if e.overdue], [e for e in entries if not e.overdue])

    def get(self, callback_id: str) -> Callback | None:
        """The callback, or None for an unknown id (including the queue's own index keys,
        which share the key prefix: an id such as 'due' names a sorted set, not a callback)."""
        if not self._is_callback(callback_id):
            return None
        return self.queue.get(callback_id)

    def _is_callback(self, callback_id: str) -> bool:
        return bool(callback_id) and self.queue.client.type(self.queue.key(callback_id)) in (
            b"hash", "hash")

    def _require(self, callback_id: str) -> str:
        if not self._is_callback(callback_id):
            raise CallbackNotFound(callback_id)
        return callback_id

    def events(self, callback_id: str) -> list[dict[str, Any]]:
        return self.queue.events(self._require(callback_id))

    def holder(self, callback_id: str) -> str:
        return self.queue.holders([callback_id]).get(callback_id, "")

    # -- changes ----------------------------------------------------------------------------
    def claim(self, callback_id: str, agent: str) -> Callback:
        """Hold the callback for `agent`; `CallbackHeld` when someone else has it."""
        result, detail = self.queue.agent_claim(
            self._require(callback_id), _name(agent), self.hold, self.scheduler.clock.now()
        )
        return self._checked(callback_id, result, detail)

    def release(self, callback_id: str, agent: str) -> bool:
        return self.queue.agent_release(
            self._require(callback_id), _name(agent), self.scheduler.clock.now()
        )

    def record_outcome(
        self, callback_id: str, agent: str, outcome: str, note: str = ""
    ) -> Callback:
        """The holder called: count the attempt (unless the worker placed it already) and
        record the outcome through the scheduler (retry, ticket record, flags)."""
        name = _name(agent)
        if outcome not in self.scheduler.policy.outcome_codes:  # refused before any change
            raise ValidationFailed([FieldError("outcome", "invalid_outcome", str(outcome)[:50])])
        result, attempt = self.queue.agent_attempt(
            self._require(callback_id), name, self.scheduler.clock.now()
        )
        if result == "not_held":
            raise CallbackStateError(f"callback {callback_id} is not held by {name}")
        self._checked(callback_id, result, "")
        callback = self.scheduler.record_outcome(
            callback_id, outcome, AGENT_ACTOR.format(name=name), attempt=attempt,
            note=note.strip()[: self.limits.max_field_chars],
        )
        self.queue.agent_release(callback_id, name, self.scheduler.clock.now())
        return self.queue.get(callback_id) or callback

    def check_time(self, when: datetime) -> datetime:
        """A new due time: in the future, not too far ahead, inside business hours and
        outside the callbacks' quiet hours. `ValidationFailed` (field 'due_at') otherwise."""
        now = self.scheduler.clock.now()
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.hours.tz)
        if when <= now:
            raise ValidationFailed([FieldError("due_at", "time_in_past", when.isoformat())])
        check_callback_time(when, now, self.limits, "due_at")
        if not self.hours.is_open(when):
            raise ValidationFailed([FieldError("due_at", "outside_business_hours",
                                               when.isoformat())])
        if self.scheduler.policy.quiet.contains(when):
            raise ValidationFailed([FieldError("due_at", "quiet_hours", when.isoformat())])
        return self.hours.local(when)

    def reschedule(self, callback_id: str, agent: str, when: datetime, note: str = "") -> Callback:
        due = self.check_time(when)
        self._require(callback_id)
        result = self.queue.reschedule(
            callback_id, _name(agent), due, self.scheduler.clock.now(),
            note.strip()[: self.limits.max_field_chars],
        )
        return self._checked(callback_id, result, self.holder(callback_id))

    def _checked(self, callback_id: str, result: str, detail: str) -> Callback:
        if result == "missing":
            raise CallbackNotFound(callback_id)
        if result in ("taken", "busy"):
            raise CallbackHeld(callback_id, detail or "a worker")
        if result != "ok":
            raise CallbackStateError(f"callback {callback_id}: {result} {detail}".strip())
        callback = self.queue.get(callback_id)
        if callback is None:
            raise CallbackNotFound(callback_id)
        return callback


def _name(agent: str) -> str:
    name = (agent or "").strip()
    if not name:
        raise ValidationFailed([FieldError("agent", "required")])
    return name


class NoDialer:
    """For processes that record outcomes but never place calls (the console)."""

    def place(self, callback: Callback) -> None:
        raise RuntimeError("this process does not place callbacks")
