"""The ticket service: what the actions, the callback worker and the agent console call.

It validates input, assesses severity, computes deadlines, stores the ticket idempotently,
plans its first callback, and falls back to the durable outbox when the store is down.
It knows nothing about Rasa or HTTP frameworks; every "now" comes from the injected clock.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from bot.clock import Clock
from bot.outbox import Outbox, OutboxEntry, ReplayReport
from bot.tickets.errors import (
    FieldError,
    InvalidTransition,
    NotRecorded,
    StoreUnavailable,
    TicketNotFound,
    ValidationFailed,
)
from bot.tickets.model import (
    ALLOWED_TRANSITIONS,
    CallbackRecord,
    Caller,
    Channel,
    CreateOutcome,
    CreateResult,
    Feedback,
    FeedbackRequest,
    FeedbackResult,
    Note,
    PreferredTime,
    Severity,
    StatusChange,
    Ticket,
    TicketRequest,
    TicketStatus,
    normalize_ticket_number,
)
from bot.tickets.phone import mask_phone
from bot.tickets.policy import TicketPolicy
from bot.tickets.severity import SeveritySignals, assess_severity
from bot.tickets.sla import compute_deadlines, next_deadline_after_escalation
from bot.tickets.store import TicketStore
from bot.tickets.validation import (
    CleanTicketRequest,
    check_callback_time,
    check_phone,
    check_satisfaction,
    validate_feedback,
    validate_ticket_request,
)

log = logging.getLogger(__name__)

ESCALATION_ACTOR = "system:escalation"
FLAG_INCOMPLETE = "incomplete"
FLAG_OVERDUE = "overdue"
FLAG_OVERDUE_AT_TOP = "overdue_at_top_tier"

# Parses a caller's words ("tomorrow afternoon") relative to a moment; None if unreadable.
TimeParser = Callable[[str, datetime], "datetime | None"]


class FollowUpPlanner(Protocol):
    """Plans the first callback of a new ticket (idempotent). Implemented by the scheduler."""

    def plan_for(self, ticket: Ticket) -> object: ...


def _fold(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value or "").split())


def verify_identity(ticket: Ticket, surname: str) -> bool:
    """True when `surname` (e.g. 'Wang', or surname + title as said) matches the ticket."""
    given, stored = _fold(surname), _fold(ticket.caller.surname)
    if not given or not stored:
        return False
    title = _fold(ticket.caller.title)
    return given == stored or (bool(title) and given == stored + title)


class TicketService:
    def __init__(
        self,
        store: TicketStore,
        *,
        clock: Clock,
        policy: TicketPolicy,
        outbox: Outbox | None = None,
        followups: FollowUpPlanner | None = None,
        time_parser: TimeParser | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy
        self.outbox = outbox
        self.followups = followups
        self._parse_time = time_parser

    def attach_followups(self, planner: FollowUpPlanner) -> None:
        self.followups = planner

    # -- checks the action layer can run while the form is still open ----------------------
    def check_phone(self, raw: str) -> str:
        """Canonical digits, or `ValidationFailed` (field 'phone') to re-ask."""
        return check_phone(raw)

    def check_preferred_time(self, text: str = "", at: datetime | None = None) -> datetime | None:
        """The preferred callback time as a datetime (None when the words cannot be read);
        `ValidationFailed` (field 'preferred_time') when it is in the past or too far ahead."""
        now = self.clock.now()
        moment = at if at is not None else self._read_time(text, now)
        if moment is None:
            return None
        try:
            return max(check_callback_time(moment, now, self.policy.limits), now)
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
        key = _require_key(idempotency_key)
        request = self._stamp(request)
        kind = "incomplete" if request.incomplete else "ticket"
        return self._queue(kind, key, request, StoreUnavailable(reason))

    def _submit(
        self, kind: str, request: TicketRequest, idempotency_key: str, *, complete: bool
    ) -> CreateResult:
        key = _require_key(idempotency_key)
        request = self._stamp(request)
        clean = self._validate(request, complete=complete)
        try:
            ticket, created = self._store_ticket(clean, key, complete=complete)
        except StoreUnavailable as exc:
            return self._queue(kind, key, request, exc)
        try:
            self._plan(ticket)
        except StoreUnavailable as exc:
            # The ticket exists; queue the request so the replay plans the callback.
            self._queue(kind, key, request, exc)
        outcome = CreateOutcome.CREATED if created else CreateOutcome.EXISTING
        return CreateResult(outcome, key, ticket)

    def _stamp(self, request: TicketRequest) -> TicketRequest:
        """Fix "now" and the parsed callback time once, so a replay sees the same values."""
        received = request.received_at or self.clock.now()
        preferred = request.preferred_time
        if preferred is None:
            preferred = self._read_time(request.preferred_time_text, received)
        return replace(request, received_at=received, preferred_time=preferred)

    def _validate(self, request: TicketRequest, *, complete: bool) -> CleanTicketRequest:
        assert request.received_at is not None
        return validate_ticket_request(
            request,
            request.received_at,
            categories=self.policy.categories,
            tiers=self.policy.sla.tiers,
            limits=self.policy.limits,
            complete=complete,
        )

    def _queue(
        self, kind: str, key: str, request: TicketRequest | FeedbackRequest, cause: Exception
    ) -> CreateResult:
        if self.outbox is None:
            raise cause
        try:
            self.outbox.append(kind, key, request.to_dict())
        except OSError as exc:
            raise NotRecorded(f"store unavailable ({cause}) and outbox failed ({exc})") from exc
        log.warning("%s %s queued to the outbox: %s", kind, key, cause)
        return CreateResult(CreateOutcome.QUEUED, key)

    def _prior_complaints(self, phone: str, now: datetime, key: str) -> int:
        if not phone:
            return 0
        since = now - self.policy.sla.repeat_window
        recent = self.store.find_by_phone(phone, since=since, limit=50)
        return sum(
            1
            for t in recent
            if t.idempotency_key != key
            and t.status is not TicketStatus.INCOMPLETE
            and t.created_at <= now
        )

    def _store_ticket(
        self, clean: CleanTicketRequest, key: str, *, complete: bool
    ) -> tuple[Ticket, bool]:
        request = clean.request
        now = self.policy.hours.local(request.received_at or self.clock.now())
        status = TicketStatus.OPEN if complete else TicketStatus.INCOMPLETE
        signals = SeveritySignals(
            text=" ".join((request.description, request.complaint_target, request.extra_text)),
            latest_intent=request.latest_intent,
            category=clean.category,
            anger_streak=int(request.anger_streak or 0),
            prior_complaints=self._prior_complaints(clean.phone, now, key),
        )
        assessment = assess_severity(signals, self.policy.severity)
        severity = clean.severity_override or assessment.severity
        deadlines = compute_deadlines(
            severity, now, self.policy.sla, self.policy.hours, preferred=clean.preferred_at
        )
        sla = self.policy.sla
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
        stored, created = self.store.create(ticket, key)
        if created:
            log.info(
                "ticket %s created (%s, %s, phone %s)",
                stored.number,
                stored.severity.value,
                stored.status.value,
                mask_phone(stored.caller.phone),
            )
        return stored, created

    def _plan(self, ticket: Ticket) -> None:
        if self.followups is not None and ticket.caller.phone:
            self.followups.plan_for(ticket)

    # -- feedback ---------------------------------------------------------------------------
    def record_feedback(self, request: FeedbackRequest, idempotency_key: str) -> FeedbackResult:
        """Record praise or a suggestion (idempotent; queued when the store is down)."""
        key = _require_key(idempotency_key)
        if request.received_at is None:
            request = replace(request, received_at=self.clock.now())
        validate_feedback(request, self.policy.limits)
        try:
            feedback, created = self._store_feedback(request, key)
        except StoreUnavailable as exc:
            queued = self._queue("feedback", key, request, exc)
            return FeedbackResult(queued.outcome, key)
        outcome = CreateOutcome.CREATED if created else CreateOutcome.EXISTING
        return FeedbackResult(outcome, key, feedback)

    def _store_feedback(self, request: FeedbackRequest, key: str) -> tuple[Feedback, bool]:
        kind = validate_feedback(request, self.policy.limits)
        received = self.policy.hours.local(request.received_at or self.clock.now())
        feedback = Feedback(
            id="",
            kind=kind,
            text=request.text.strip(),
            conversation_id=request.conversation_id,
            channel=Channel(request.channel),
            created_at=received,
            idempotency_key=key,
            staff_name=request.staff_name.strip(),
            branch=request.branch.strip(),
        )
        return self.store.create_feedback(feedback, key)

    # -- outbox -----------------------------------------------------------------------------
    def replay_outbox(self) -> ReplayReport:
        """Write queued requests to the store (idempotent). Safe to call from several places."""
        if self.outbox is None:
            return ReplayReport()
        return self.outbox.replay(self._apply_entry, permanent=(ValidationFailed,))

    def _apply_entry(self, entry: OutboxEntry) -> None:
        try:
            if entry.kind == "feedback":
                feedback = FeedbackRequest.from_dict(entry.payload)
            else:
                request = TicketRequest.from_dict(entry.payload)
        except (TypeError, ValueError, KeyError) as exc:
            raise ValidationFailed([FieldError("outbox", "unreadable", str(exc))]) from exc
        if entry.kind == "feedback":
            self._store_feedback(feedback, entry.key)
        elif entry.kind in ("ticket", "incomplete"):
            complete = entry.kind == "ticket"
            clean = self._validate(request, complete=complete)
            ticket, _ = self._store_ticket(clean, entry.key, complete=complete)
            self._plan(ticket)
        else:
            raise ValidationFailed([FieldError("outbox", "unknown_kind", entry.kind)])

    # -- lookups ----------------------------------------------------------------------------
    def get_ticket(self, number: str) -> Ticket | None:
        """The ticket under a number as typed or transcribed ('t2026 1123 0001'), or None."""
        normalized = normalize_ticket_number(number)
        if not normalized or len(normalized) > 64:
            return None
        return self.store.get(normalized)

    def find_by_phone(self, phone: str, limit: int = 10) -> list[Ticket]:
        """A caller's tickets, newest first. `ValidationFailed` for an invalid number."""
        return self.store.find_by_phone(check_phone(phone), limit=limit)

    def find_for_caller(
        self, surname: str, *, ticket_number: str = "", phone: str = "", limit: int = 10
    ) -> list[Ticket]:
        """Tickets the caller may hear about: found by number or phone AND the surname
        matches (HOTLINE_SPEC §7 "verify identity before disclosing")."""
        found: list[Ticket] = []
        if ticket_number:
            ticket = self.get_ticket(ticket_number)
            found = [ticket] if ticket is not None else []
        elif phone:
            found = self.find_by_phone(phone, limit=limit)
        return [t for t in found if verify_identity(t, surname)]

    verify_identity = staticmethod(verify_identity)

    def list_by_status(self, status: TicketStatus | str, limit: int = 50) -> list[Ticket]:
        return self.store.list_by_status(TicketStatus(status), limit=limit)

    # -- workflow ---------------------------------------------------------------------------
    def _change(self, number: str, mutate: Callable[[Ticket, datetime], Ticket | None]) -> Ticket:
        now = self.clock.now()
        return self.store.update(normalize_ticket_number(number), lambda t: mutate(t, now))

    def _with_status(
        self,
        ticket: Ticket,
        to: TicketStatus,
        actor: str,
        note: str,
        now: datetime,
        tier: str | None = None,
    ) -> Ticket:
        if to not in ALLOWED_TRANSITIONS[ticket.status]:
            raise InvalidTransition(ticket.number, ticket.status.value, to.value)
        change = StatusChange(now, actor, ticket.status, to, note, tier or ticket.tier)
        due = ticket.due_at
        if to in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            due = None
        elif ticket.status is TicketStatus.RESOLVED or due is None:
            # reopened (or completed from incomplete): a fresh window from now
            due = next_deadline_after_escalation(
                ticket.severity, now, self.policy.sla, self.policy.hours
            )
        return replace(
            ticket,
            status=to,
            tier=tier or ticket.tier,
            due_at=due,
            promised_at=ticket.promised_at or due,
            history=(*ticket.history, change),
            updated_at=now,
        )

    def change_status(
        self, number: str, to: TicketStatus | str, actor: str, note: str = ""
    ) -> Ticket:
        """Move a ticket along the workflow (see model.ALLOWED_TRANSITIONS)."""
        target = TicketStatus(to)
        if target is TicketStatus.CLOSED:
            raise InvalidTransition(number, "?", "closed", "use close() with the satisfaction")
        return self._change(number, lambda t, now: self._with_status(t, target, actor, note, now))

    def resolve(self, number: str, actor: str, note: str = "") -> Ticket:
        return self.change_status(number, TicketStatus.RESOLVED, actor, note)

    def close(self, number: str, actor: str, satisfaction: int, note: str = "") -> Ticket:
        """Close a resolved ticket; only when the caller is satisfied (HOTLINE_SPEC §3)."""
        score = check_satisfaction(satisfaction)
        minimum = self.policy.sla.close_min_satisfaction

        def mutate(ticket: Ticket, now: datetime) -> Ticket:
            if score < minimum:
                raise InvalidTransition(
                    ticket.number,
                    ticket.status.value,
                    "closed",
                    f"satisfaction {score} below {minimum}",
                )
            closed = self._with_status(ticket, TicketStatus.CLOSED, actor, note, now)
            return replace(closed, satisfaction=score)

        return self._change(number, mutate)

    def record_satisfaction(self, number: str, score: int, actor: str) -> Ticket:
        value = check_satisfaction(score)

        def mutate(ticket: Ticket, now: datetime) -> Ticket:
            note = Note(now, actor, f"satisfaction {value}")
            return replace(ticket, satisfaction=value, notes=(*ticket.notes, note), updated_at=now)

        return self._change(number, mutate)

    def add_note(self, number: str, author: str, text: str) -> Ticket:
        if not text.strip():
            raise ValidationFailed([FieldError("note", "required")])
        return self._change(
            number,
            lambda t, now: replace(t, notes=(*t.notes, Note(now, author, text)), updated_at=now),
        )

    def assign_owner(self, number: str, owner: str, actor: str) -> Ticket:
        """Give the ticket to `owner` (an agent or a team); the change is noted with the actor."""
        name = " ".join((owner or "").split())
        if not name:
            raise ValidationFailed([FieldError("owner", "required")])
        if len(name) > self.policy.limits.max_field_chars:
            raise ValidationFailed([FieldError("owner", "too_long", str(len(name)))])

        def mutate(ticket: Ticket, now: datetime) -> Ticket | None:
            if ticket.owner == name:
                return None
            note = Note(now, actor, f"owner: {ticket.owner} -> {name}")
            return replace(ticket, owner=name, notes=(*ticket.notes, note), updated_at=now)

        return self._change(number, mutate)

    def change_severity(
        self, number: str, severity: Severity | str, actor: str, note: str = ""
    ) -> Ticket:
        """Set the severity by hand (a person's judgement overrides the assessment). While the
        ticket is unhandled, a higher severity tightens the escalation deadline to the new
        severity's window from now; it never moves a deadline later, and the time promised
        to the caller stays as it was."""
        try:
            target = Severity(severity)
        except ValueError as exc:
            raise ValidationFailed([FieldError("severity", "invalid", str(severity)[:50])]) from exc

        def mutate(ticket: Ticket, now: datetime) -> Ticket | None:
            if ticket.severity is target:
                return None
            due = ticket.due_at
            if ticket.is_unhandled and due is not None and target.rank > ticket.severity.rank:
                due = min(due, next_deadline_after_escalation(
                    target, now, self.policy.sla, self.policy.hours))
            text = f"severity: {ticket.severity.value} -> {target.value}"
            entry = Note(now, actor, f"{text} ({note.strip()})" if note.strip() else text)
            return replace(
                ticket,
                severity=target,
                severity_reasons=(*ticket.severity_reasons, f"manual:{actor}"),
                due_at=due,
                notes=(*ticket.notes, entry),
                updated_at=now,
            )

        return self._change(number, mutate)

    # -- escalation -------------------------------------------------------------------------
    def escalate(self, number: str, actor: str, note: str = "") -> Ticket:
        """Move a ticket one tier up now (an agent's decision)."""
        return self._change(number, lambda t, now: self._escalated(t, now, actor, note, False))

    def escalate_overdue(self, limit: int = 100) -> list[str]:
        """Escalate every unhandled ticket whose deadline has passed, one tier each.
        Safe with several workers: the deadline is re-checked inside the atomic update."""
        now = self.clock.now()
        escalated: list[str] = []
        for number in self.store.due_before(now, limit=limit):
            try:
                if self._escalate_if_overdue(number, now):
                    escalated.append(number)
            except TicketNotFound:
                continue
        return escalated

    def _escalate_if_overdue(self, number: str, now: datetime) -> bool:
        changed = False

        def mutate(ticket: Ticket) -> Ticket | None:
            nonlocal changed
            result = self._escalated(ticket, now, ESCALATION_ACTOR, "", True)
            changed = result is not None  # the last call is the one that was committed
            return result

        self.store.update(number, mutate)
        return changed

    def _escalated(
        self, ticket: Ticket, now: datetime, actor: str, note: str, only_if_overdue: bool
    ) -> Ticket | None:
        if only_if_overdue and (
            not ticket.is_unhandled or ticket.due_at is None or ticket.due_at > now
        ):
            return None
        deadline = ticket.due_at
        upper = self.policy.sla.next_tier(ticket.tier)
        reason = note or (
            f"deadline {deadline.isoformat()} passed at tier {ticket.tier}"
            if only_if_overdue and deadline is not None
            else f"escalated from tier {ticket.tier}"
        )
        if upper is None:
            if not only_if_overdue:
                raise InvalidTransition(ticket.number, ticket.status.value, "escalated", "top tier")
            return replace(
                ticket,
                due_at=None,
                flags=ticket.with_flag(FLAG_OVERDUE_AT_TOP),
                notes=(*ticket.notes, Note(now, actor, reason)),
                updated_at=now,
            )
        escalated = self._with_status(ticket, TicketStatus.ESCALATED, actor, reason, now, upper)
        new_due = next_deadline_after_escalation(
            ticket.severity, now, self.policy.sla, self.policy.hours
        )
        flags = escalated.with_flag(FLAG_OVERDUE) if only_if_overdue else escalated.flags
        return replace(escalated, due_at=new_due, flags=flags)

    # -- callback results (called by the callback scheduler) --------------------------------
    def record_callback(
        self,
        number: str,
        record: CallbackRecord,
        *,
        resolve: bool = False,
        start_work: bool = False,
        flags: tuple[str, ...] = (),
    ) -> Ticket:
        """Attach one callback attempt's outcome (idempotent on callback id + attempt)."""

        def mutate(ticket: Ticket, now: datetime) -> Ticket | None:
            if any(c.key == record.key for c in ticket.callbacks):
                return None
            updated = replace(ticket, callbacks=(*ticket.callbacks, record), updated_at=now)
            for flag in flags:
                updated = replace(updated, flags=updated.with_flag(flag))
            note = f"callback {record.key}: {record.outcome}"
            if resolve and ticket.is_unhandled:
                updated = self._with_status(updated, TicketStatus.RESOLVED, record.actor, note, now)
            elif start_work and ticket.status is TicketStatus.OPEN:
                updated = self._with_status(
                    updated, TicketStatus.IN_PROGRESS, record.actor, note, now
                )
            return updated

        return self._change(number, mutate)


def _require_key(idempotency_key: str) -> str:
    key = (idempotency_key or "").strip()
    if not key:
        raise ValidationFailed([FieldError("idempotency_key", "required")])
    return key
