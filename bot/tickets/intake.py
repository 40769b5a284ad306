"""Filing complaints: validate, assess severity, compute deadlines, store idempotently,
plan the first callback; queue to the outbox when the store is down."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bot.tickets.context import TicketContext, require_key
from bot.tickets.errors import FieldError, StoreUnavailable, ValidationFailed
from bot.tickets.model import (
    Caller,
    CreateOutcome,
    CreateResult,
    PreferredTime,
    StatusChange,
    Ticket,
    TicketRequest,
    TicketStatus,
)
from bot.tickets.phone import mask_phone
from bot.tickets.severity import SeveritySignals, assess_severity
from bot.tickets.sla import compute_deadlines
from bot.tickets.validation import (
    CleanTicketRequest,
    check_callback_time,
    check_phone,
    validate_ticket_request,
)

log = logging.getLogger(__name__)

FLAG_INCOMPLETE = "incomplete"

# Parses a caller's words ("tomorrow afternoon") relative to a moment; None if unreadable.
TimeParser = Callable[[str, datetime], "datetime | None"]


class TicketIntake:
    def __init__(self, context: TicketContext, time_parser: TimeParser | None = None) -> None:
        self._ctx = context
        self._parse_time = time_parser

    # -- checks the action layer can run while the form is still open ----------------------
    def check_phone(self, raw: str) -> str:
        """Canonical digits, or `ValidationFailed` (field 'phone') to re-ask."""
        return check_phone(raw)

    def check_preferred_time(self, text: str = "", at: datetime | None = None) -> datetime | None:
        """The preferred callback time as a datetime (None when the words cannot be read);
        `ValidationFailed` (field 'preferred_time') when it is in the past or too far ahead."""
        now = self._ctx.clock.now()
        moment = at if at is not None else self._read_time(text, now)
        if moment is None:
            return None
        try:
            return max(check_callback_time(moment, now, self._ctx.policy.limits), now)
        except ValidationFailed:
            raise
        except ValueError as exc:
            error = FieldError("preferred_time", "invalid_time", str(exc))
            raise ValidationFailed([error]) from exc

    def _read_time(self, text: str, now: datetime) -> datetime | None:
        if not text.strip() or self._parse_time is None:
            return None
        try:
            return self._parse_time(text, now)
        except Exception:  # noqa: BLE001 - unreadable words must not lose the complaint
            log.exception("could not read the preferred time %r", text)
            return None

    # -- creation ---------------------------------------------------------------------------
    def create_ticket(self, request: TicketRequest, idempotency_key: str) -> CreateResult:
        """File a complaint. Idempotent on `idempotency_key` (conversation id + turn).

        Raises `ValidationFailed` (re-ask), `NotRecorded` (store and outbox both failed).
        When the store is down the request is queued: `result.queued` is True and there is
        no number yet; `replay_outbox()` creates the ticket later under the same key."""
        if request.incomplete:
            return self.record_incomplete(request, idempotency_key)
        return self._submit("ticket", request, idempotency_key, complete=True)

    def record_incomplete(self, request: TicketRequest, idempotency_key: str) -> CreateResult:
        """Keep what a caller said before hanging up mid-form (status `incomplete`); only
        the conversation id and channel are required, unusable values are dropped."""
        request = replace(request, incomplete=True)
        return self._submit("incomplete", request, idempotency_key, complete=False)

    def defer_ticket(
        self, request: TicketRequest, idempotency_key: str, reason: str
    ) -> CreateResult:
        """Keep a request in the outbox without trying the store: its usual writer (the
        action server) is unreachable. `replay_outbox()` creates it under the same key, so a
        request deferred twice, or also filed by the action server, is one ticket."""
        key = require_key(idempotency_key)
        request = self._stamp(request)
        kind = "incomplete" if request.incomplete else "ticket"
        return self._ctx.queue(kind, key, request, StoreUnavailable(reason))

    def _submit(
        self, kind: str, request: TicketRequest, idempotency_key: str, *, complete: bool
    ) -> CreateResult:
        key = require_key(idempotency_key)
        request = self._stamp(request)
        clean = self.validate(request, complete=complete)
        try:
            ticket, created = self.store_ticket(clean, key, complete=complete)
        except StoreUnavailable as exc:
            return self._ctx.queue(kind, key, request, exc)
        try:
            self._ctx.plan(ticket)
        except StoreUnavailable as exc:
            # The ticket exists; queue the request so the replay plans the callback.
            self._ctx.queue(kind, key, request, exc)
        outcome = CreateOutcome.CREATED if created else CreateOutcome.EXISTING
        return CreateResult(outcome, key, ticket)

    def _stamp(self, request: TicketRequest) -> TicketRequest:
        """Fix "now" and the parsed callback time once, so a replay sees the same values."""
        received = request.received_at or self._ctx.clock.now()
        preferred = request.preferred_time
        if preferred is None:
            preferred = self._read_time(request.preferred_time_text, received)
        return replace(request, received_at=received, preferred_time=preferred)

    def validate(self, request: TicketRequest, *, complete: bool) -> CleanTicketRequest:
        assert request.received_at is not None
        policy = self._ctx.policy
        return validate_ticket_request(
            request,
            request.received_at,
            categories=policy.categories,
            tiers=policy.sla.tiers,
            limits=policy.limits,
            complete=complete,
        )

    def _prior_complaints(self, phone: str, now: datetime, key: str) -> int:
        if not phone:
            return 0
        since = now - self._ctx.policy.sla.repeat_window
        recent = self._ctx.store.find_by_phone(phone, since=since, limit=50)
        return sum(
            1
            for t in recent
            if t.idempotency_key != key
            and t.status is not TicketStatus.INCOMPLETE
            and t.created_at <= now
        )

    def store_ticket(
        self, clean: CleanTicketRequest, key: str, *, complete: bool
    ) -> tuple[Ticket, bool]:
        """Build the ticket (severity, deadlines, tier) and store it under `key`."""
        policy = self._ctx.policy
        request = clean.request
        now = policy.hours.local(request.received_at or self._ctx.clock.now())
        status = TicketStatus.OPEN if complete else TicketStatus.INCOMPLETE
        signals = SeveritySignals(
            text=" ".join((request.description, request.complaint_target, request.extra_text)),
            latest_intent=request.latest_intent,
            category=clean.category,
            anger_streak=int(request.anger_streak or 0),
            prior_complaints=self._prior_complaints(clean.phone, now, key),
        )
        assessment = assess_severity(signals, policy.severity)
        severity = clean.severity_override or assessment.severity
        deadlines = compute_deadlines(
            severity, now, policy.sla, policy.hours, preferred=clean.preferred_at
        )
        sla = policy.sla
        tier = (
            clean.initial_tier or sla.initial_tier_by_category.get(clean.category) or sla.tiers[0]
        )
        flags = (
            () if complete else (FLAG_INCOMPLETE, *(f"dropped:{e.field}" for e in clean.dropped))
        )
        preferred = None
        if request.preferred_time_text or clean.preferred_at:
            preferred = PreferredTime(text=request.preferred_time_text, at=clean.preferred_at)
        ticket = Ticket(
            number="",
            created_at=now,
            channel=clean.channel,
            caller=Caller(
                surname=request.surname.strip(),
                title=request.title.strip(),
                phone=clean.phone,
                address=request.address.strip(),
            ),
            category=clean.category,
            severity=severity,
            severity_reasons=assessment.reasons,
            description=clean.description,
            status=status,
            owner=request.owner or "assistant",
            tier=tier,
            conversation_id=request.conversation_id,
            idempotency_key=key,
            promised_at=deadlines.promised if complete else None,
            due_at=deadlines.promised if complete else None,
            first_response_at=deadlines.first_response,
            order_number=request.order_number.strip(),
            complaint_target=request.complaint_target.strip(),
            preferred_time=preferred,
            history=(
                StatusChange(now, request.owner or "assistant", None, status, "created", tier),
            ),
            flags=tuple(dict.fromkeys(flags)),
            updated_at=now,
        )
        stored, created = self._ctx.store.create(ticket, key)
        if created:
            log.info(
                "ticket %s created (%s, %s, phone %s)",
                stored.number,
                stored.severity.value,
                stored.status.value,
                mask_phone(stored.caller.phone),
            )
        return stored, created
