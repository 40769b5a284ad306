"""The callback scheduler: plans callbacks, places due ones, records outcomes and retries.

Business rules (values from hotline.yml `callbacks`):
- a due time inside quiet hours moves to the end of the quiet period, and nothing is
  placed while quiet;
- `no_answer` retries after `retry_interval_minutes` until `max_attempts` calls were
  placed (then `exhausted`); `wrong_number` fails; `reached_*` and `refused` finish;
- every outcome is also written to the ticket (idempotent on callback id + attempt).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from bot.callbacks.dialer import CallbackDialer
from bot.callbacks.model import Callback, CallbackStatus, Claim, Outcome, Placement
from bot.callbacks.policy import CallbackPolicy
from bot.callbacks.queue import RedisCallbackQueue
from bot.clock import Clock
from bot.tickets.errors import FieldError, TicketError, ValidationFailed
from bot.tickets.model import CallbackRecord, Ticket
from bot.tickets.phone import mask_phone
from bot.tickets.validation import check_phone

log = logging.getLogger(__name__)

FIRST_CALLBACK = "first"
FLAG_WRONG_NUMBER = "wrong_number"
FLAG_EXHAUSTED = "callback_exhausted"
FLAG_REFUSED = "callback_refused"


class CallbackNotFound(TicketError, LookupError):
    def __init__(self, callback_id: str) -> None:
        self.callback_id = callback_id
        super().__init__(f"no callback {callback_id}")


class CallbackStateError(TicketError):
    """An outcome for a callback that is not waiting for one (or for an older attempt)."""


class TicketUpdates(Protocol):
    """The part of the ticket service the scheduler writes outcomes through."""

    def record_callback(
        self,
        number: str,
        record: CallbackRecord,
        *,
        resolve: bool = False,
        start_work: bool = False,
        flags: tuple[str, ...] = (),
    ) -> object: ...


class CallbackScheduler:
    def __init__(
        self,
        queue: RedisCallbackQueue,
        *,
        policy: CallbackPolicy,
        clock: Clock,
        dialer: CallbackDialer,
        tickets: TicketUpdates | None = None,
    ) -> None:
        self.queue = queue
        self.policy = policy
        self.clock = clock
        self.dialer = dialer
        self.tickets = tickets

    # -- planning ---------------------------------------------------------------------------
    def allowed_time(self, moment: datetime) -> datetime:
        """`moment`, moved out of quiet hours."""
        return self.policy.quiet.next_allowed(moment)

    def plan_for(self, ticket: Ticket) -> Callback | None:
        """The ticket's first callback (idempotent: one per ticket), due at the preferred
        time or the first-response deadline."""
        if not ticket.caller.phone:
            return None
        due = ticket.first_response_at or ticket.promised_at or ticket.created_at
        return self.schedule(
            ticket.number,
            ticket.caller.phone,
            due,
            kind="complaint",
            key=FIRST_CALLBACK,
            reason="first response",
        )

    def schedule(
        self,
        ticket_number: str,
        phone: str,
        due_at: datetime,
        *,
        kind: str = "follow_up",
        key: str = "",
        reason: str = "",
    ) -> Callback:
        """Plan a callback (repair follow-up, periodic visit...). With `key`, idempotent:
        the same ticket + key returns the callback planned first."""
        digits = check_phone(phone)
        if not ticket_number:
            raise ValidationFailed([FieldError("ticket_number", "required")])
        now = self.clock.now()
        callback_id = f"{ticket_number}-{key}" if key else f"{ticket_number}-{now:%Y%m%d%H%M%S%f}"
        due = self.allowed_time(due_at)
        created = self.queue.add(
            callback_id,
            ticket_number=ticket_number,
            phone=digits,
            kind=kind,
            reason=reason,
            due_at=due,
            max_attempts=self.policy.max_attempts,
            now=now,
        )
        if created:
            log.info(
                "callback %s planned for %s (%s)", callback_id, due.isoformat(), mask_phone(digits)
            )
        callback = self.queue.get(callback_id)
        assert callback is not None
        return callback

    def get(self, callback_id: str) -> Callback | None:
        return self.queue.get(callback_id)

    def for_ticket(self, ticket_number: str) -> list[Callback]:
        return self.queue.for_ticket(ticket_number)

    def cancel(self, callback_id: str, actor: str) -> bool:
        return self.queue.cancel(callback_id, actor, self.clock.now())

    # -- placing ----------------------------------------------------------------------------
    def claim_due(self, worker_id: str, limit: int | None = None) -> list[Claim]:
        """Lease due callbacks (none during quiet hours)."""
        now = self.clock.now()
        if self.policy.quiet.contains(now):
            return []
        return self.queue.claim(now, self.policy.lease, worker_id, limit or self.policy.batch_size)

    def place(self, claim: Claim) -> Placement:
        """Hand one claimed callback to the dialer and record the placement."""
        cid, attempt = claim.callback.id, claim.attempt
        try:
            result = self.dialer.place(claim.callback)
        except Exception as exc:  # noqa: BLE001 - any dialer failure: put it back, retry later
            log.exception("dialer failed for callback %s", cid)
            now = self.clock.now()
            self.queue.release(
                claim,
                self.allowed_time(now + self.policy.dialer_retry),
                now,
                f"dialer error: {type(exc).__name__}",
            )
            return Placement(cid, attempt, placed=False, error=str(exc))
        if not self.queue.mark_placed(claim, self.clock.now()):
            log.warning("callback %s: lease lost before the placement was recorded", cid)
            return Placement(cid, attempt, placed=False, error="lease lost")
        outcome = None
        if result is not None:
            outcome = Outcome(result).value
            self.record_outcome(cid, outcome, actor=f"dialer:{claim.worker_id}", attempt=attempt)
        return Placement(cid, attempt, placed=True, outcome=outcome)

    def run_due(self, worker_id: str, limit: int | None = None) -> list[Placement]:
        return [self.place(claim) for claim in self.claim_due(worker_id, limit)]

    # -- outcomes ---------------------------------------------------------------------------
    def record_outcome(
        self,
        callback_id: str,
        outcome: Outcome | str,
        actor: str,
        *,
        attempt: int | None = None,
        note: str = "",
    ) -> Callback:
        """Record how a placed callback went; schedules the retry or finishes it, and writes
        the result to the ticket. Recording the same attempt again is a no-op."""
        code = self._outcome(outcome)
        callback = self.queue.get(callback_id)
        if callback is None:
            raise CallbackNotFound(callback_id)
        attempt = attempt or callback.attempts
        now = self.clock.now()
        status, due = self._next_state(callback, code, now)
        result = self.queue.apply_outcome(
            callback_id,
            attempt=attempt,
            new_status=status,
            due_at=due,
            outcome=code.value,
            actor=actor,
            note=note,
            now=now,
        )
        if result == "missing":
            raise CallbackNotFound(callback_id)
        if result not in ("ok", "recorded"):
            state = callback.status.value
            raise CallbackStateError(
                f"callback {callback_id} attempt {attempt}: {result} ({state})"
            )
        current = self.queue.get(callback_id)
        assert current is not None
        self._write_to_ticket(current)
        return current

    def _outcome(self, outcome: Outcome | str) -> Outcome:
        value = outcome.value if isinstance(outcome, Outcome) else str(outcome)
        if value not in self.policy.outcome_codes:
            raise ValidationFailed([FieldError("outcome", "invalid_outcome", value)])
        return Outcome(value)

    def _next_state(
        self, callback: Callback, outcome: Outcome, now: datetime
    ) -> tuple[CallbackStatus, datetime | None]:
        if outcome is Outcome.NO_ANSWER:
            if callback.attempts < callback.max_attempts:
                return CallbackStatus.PENDING, self.allowed_time(now + self.policy.retry_interval)
            return CallbackStatus.EXHAUSTED, None
        if outcome is Outcome.WRONG_NUMBER:
            return CallbackStatus.FAILED, None
        return CallbackStatus.DONE, None

    def _write_to_ticket(self, callback: Callback) -> None:
        """Mirror the recorded outcome onto the ticket (uses the stored outcome, so a retry
        after a crash writes exactly what the callback says)."""
        if self.tickets is None or not callback.last_outcome or not callback.last_outcome_attempt:
            return
        outcome = Outcome(callback.last_outcome)
        flags: tuple[str, ...] = ()
        if outcome is Outcome.WRONG_NUMBER:
            flags = (FLAG_WRONG_NUMBER,)
        elif outcome is Outcome.REFUSED:
            flags = (FLAG_REFUSED,)
        elif callback.status is CallbackStatus.EXHAUSTED:
            flags = (FLAG_EXHAUSTED,)
        record = CallbackRecord(
            at=callback.last_outcome_at or self.clock.now(),
            callback_id=callback.id,
            attempt=callback.last_outcome_attempt,
            outcome=outcome.value,
            actor=callback.last_outcome_actor,
            note=callback.last_outcome_note,
        )
        self.tickets.record_callback(
            callback.ticket_number,
            record,
            resolve=outcome is Outcome.REACHED_RESOLVED,
            start_work=outcome is Outcome.REACHED_UNRESOLVED,
            flags=flags,
        )
