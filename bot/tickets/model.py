"""The ticket data model (number, times, channel, caller, category and severity, the
caller's own description, promised time, owner and tier, history, callbacks,
satisfaction) and its JSON form.

Everything here is immutable; the service produces changed copies with
`dataclasses.replace`. Datetimes are timezone-aware and serialised as ISO 8601
with their offset. Texts are stored as the caller said them; nothing here is
shown to a caller.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

TICKET_NUMBER_PREFIX = "T"
FEEDBACK_ID_PREFIX = "F"
TICKET_NUMBER_RE = re.compile(r"^T\d{8}\d{4,}$")


class Channel(str, Enum):
    REST = "rest"
    WEBCHAT = "webchat"
    PHONE = "phone"


class Severity(str, Enum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"

    @property
    def rank(self) -> int:
        """Higher is more severe."""
        return {"normal": 0, "high": 1, "urgent": 2}[self.value]


class TicketStatus(str, Enum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CLOSED = "closed"
    INCOMPLETE = "incomplete"


# Statuses in which the promised time still binds us (escalation watches these).
UNHANDLED_STATUSES = frozenset(
    {TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.ESCALATED}
)

# Which status changes the workflow allows (closed is final; a new contact opens a new ticket).
ALLOWED_TRANSITIONS: Mapping[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.INCOMPLETE: frozenset({TicketStatus.OPEN, TicketStatus.CLOSED}),
    TicketStatus.OPEN: frozenset(
        {TicketStatus.IN_PROGRESS, TicketStatus.ESCALATED, TicketStatus.RESOLVED}
    ),
    TicketStatus.IN_PROGRESS: frozenset({TicketStatus.ESCALATED, TicketStatus.RESOLVED}),
    TicketStatus.ESCALATED: frozenset(
        {TicketStatus.ESCALATED, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED}
    ),
    TicketStatus.RESOLVED: frozenset({TicketStatus.CLOSED, TicketStatus.IN_PROGRESS}),
    TicketStatus.CLOSED: frozenset(),
}


class FeedbackKind(str, Enum):
    PRAISE = "praise"
    SUGGESTION = "suggestion"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _dt(value: Any) -> datetime | None:
    return None if value in (None, "") else datetime.fromisoformat(str(value))


def normalize_ticket_number(value: str) -> str:
    """'t2026 1123-0001' (as typed or transcribed) -> 'T202611230001'."""
    cleaned = unicodedata.normalize("NFKC", value or "")
    return re.sub(r"[\s\-_.]", "", cleaned).upper()


def format_ticket_number(day: date, sequence: int) -> str:
    """`T` + YYYYMMDD + the day's sequence, at least 4 digits: T202611230001."""
    return f"{TICKET_NUMBER_PREFIX}{day:%Y%m%d}{sequence:04d}"


@dataclass(frozen=True)
class Caller:
    surname: str = ""
    title: str = ""
    phone: str = ""
    address: str = ""


@dataclass(frozen=True)
class PreferredTime:
    """The caller's preferred callback slot: their words, and a datetime when we could read it."""

    text: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    actor: str
    from_status: TicketStatus | None
    to_status: TicketStatus
    note: str = ""
    tier: str | None = None


@dataclass(frozen=True)
class CallbackRecord:
    """One callback attempt's result, as recorded on the ticket."""

    at: datetime
    callback_id: str
    attempt: int
    outcome: str
    actor: str
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.callback_id}:{self.attempt}"


@dataclass(frozen=True)
class Note:
    at: datetime
    author: str
    text: str


@dataclass(frozen=True)
class Ticket:
    number: str
    created_at: datetime
    channel: Channel
    caller: Caller
    category: str
    severity: Severity
    description: str
    status: TicketStatus
    owner: str
    tier: str
    conversation_id: str
    idempotency_key: str
    promised_at: datetime | None = None
    # When the escalation sweep next looks at this ticket (starts at promised_at).
    due_at: datetime | None = None
    # When the first callback attempt is due (first-response SLA or the preferred time).
    first_response_at: datetime | None = None
    order_number: str = ""
    complaint_target: str = ""
    preferred_time: PreferredTime | None = None
    severity_reasons: tuple[str, ...] = ()
    history: tuple[StatusChange, ...] = ()
    callbacks: tuple[CallbackRecord, ...] = ()
    notes: tuple[Note, ...] = ()
    satisfaction: int | None = None
    flags: tuple[str, ...] = ()
    updated_at: datetime | None = None
    version: int = 0

    @property
    def is_unhandled(self) -> bool:
        return self.status in UNHANDLED_STATUSES

    def has_flag(self, flag: str) -> bool:
        return flag in self.flags

    def with_flag(self, flag: str) -> tuple[str, ...]:
        return self.flags if flag in self.flags else (*self.flags, flag)

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "created_at": _iso(self.created_at),
            "channel": self.channel.value,
            "caller": asdict(self.caller),
            "category": self.category,
            "severity": self.severity.value,
            "severity_reasons": list(self.severity_reasons),
            "description": self.description,
            "status": self.status.value,
            "owner": self.owner,
            "tier": self.tier,
            "conversation_id": self.conversation_id,
            "idempotency_key": self.idempotency_key,
            "promised_at": _iso(self.promised_at),
            "due_at": _iso(self.due_at),
            "first_response_at": _iso(self.first_response_at),
            "order_number": self.order_number,
            "complaint_target": self.complaint_target,
            "preferred_time": None
            if self.preferred_time is None
            else {"text": self.preferred_time.text, "at": _iso(self.preferred_time.at)},
            "history": [
                {
                    "at": _iso(h.at),
                    "actor": h.actor,
                    "from": None if h.from_status is None else h.from_status.value,
                    "to": h.to_status.value,
                    "note": h.note,
                    "tier": h.tier,
                }
                for h in self.history
            ],
            "callbacks": [
                {
                    "at": _iso(c.at),
                    "callback_id": c.callback_id,
                    "attempt": c.attempt,
                    "outcome": c.outcome,
                    "actor": c.actor,
                    "note": c.note,
                }
                for c in self.callbacks
            ],
            "notes": [{"at": _iso(n.at), "author": n.author, "text": n.text} for n in self.notes],
            "satisfaction": self.satisfaction,
            "flags": list(self.flags),
            "updated_at": _iso(self.updated_at),
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ticket:
        preferred = data.get("preferred_time")
        created = _dt(data["created_at"])
        assert created is not None
        return cls(
            number=str(data.get("number") or ""),
            created_at=created,
            channel=Channel(data["channel"]),
            caller=Caller(
                **{
                    k: str(v or "")
                    for k, v in (data.get("caller") or {}).items()
                    if k in Caller.__dataclass_fields__
                }
            ),
            category=str(data.get("category") or ""),
            severity=Severity(data["severity"]),
            severity_reasons=tuple(data.get("severity_reasons") or ()),
            description=str(data.get("description") or ""),
            status=TicketStatus(data["status"]),
            owner=str(data.get("owner") or ""),
            tier=str(data.get("tier") or ""),
            conversation_id=str(data.get("conversation_id") or ""),
            idempotency_key=str(data.get("idempotency_key") or ""),
            promised_at=_dt(data.get("promised_at")),
            due_at=_dt(data.get("due_at")),
            first_response_at=_dt(data.get("first_response_at")),
            order_number=str(data.get("order_number") or ""),
            complaint_target=str(data.get("complaint_target") or ""),
            preferred_time=None
            if not preferred
            else PreferredTime(text=str(preferred.get("text") or ""), at=_dt(preferred.get("at"))),
            history=tuple(
                StatusChange(
                    at=_dt(h["at"]) or created,
                    actor=str(h.get("actor") or ""),
                    from_status=None if h.get("from") is None else TicketStatus(h["from"]),
                    to_status=TicketStatus(h["to"]),
                    note=str(h.get("note") or ""),
                    tier=h.get("tier"),
                )
                for h in data.get("history") or ()
            ),
            callbacks=tuple(
                CallbackRecord(
                    at=_dt(c["at"]) or created,
                    callback_id=str(c["callback_id"]),
                    attempt=int(c["attempt"]),
                    outcome=str(c["outcome"]),
                    actor=str(c.get("actor") or ""),
                    note=str(c.get("note") or ""),
                )
                for c in data.get("callbacks") or ()
            ),
            notes=tuple(
                Note(at=_dt(n["at"]) or created, author=str(n["author"]), text=str(n["text"]))
                for n in data.get("notes") or ()
            ),
            satisfaction=None if data.get("satisfaction") is None else int(data["satisfaction"]),
            flags=tuple(data.get("flags") or ()),
            updated_at=_dt(data.get("updated_at")),
            version=int(data.get("version") or 0),
        )


@dataclass(frozen=True)
class TicketRequest:
    """What the action layer knows when it files a complaint (all raw, validated later).

    `latest_intent`, `anger_streak` and `extra_text` only feed the severity assessment.
    `received_at` is stamped by the service and travels through the outbox, so a
    replayed request gets the deadlines it would have had when the caller spoke.
    """

    conversation_id: str
    channel: str
    description: str = ""
    category: str = ""
    surname: str = ""
    title: str = ""
    phone: str = ""
    address: str = ""
    order_number: str = ""
    complaint_target: str = ""
    preferred_time_text: str = ""
    preferred_time: datetime | None = None
    latest_intent: str | None = None
    anger_streak: int = 0
    extra_text: str = ""
    owner: str = "assistant"
    initial_tier: str | None = None
    severity: str | None = None
    # The caller hung up mid-form: store what we have as an `incomplete` ticket.
    incomplete: bool = False
    received_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["preferred_time"] = _iso(self.preferred_time)
        data["received_at"] = _iso(self.received_at)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TicketRequest:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        values["preferred_time"] = _dt(values.get("preferred_time"))
        values["received_at"] = _dt(values.get("received_at"))
        return cls(**values)


@dataclass(frozen=True)
class FeedbackRequest:
    """Praise or a suggestion: recorded (with the staff member or branch named), no workflow."""

    kind: str
    text: str
    conversation_id: str
    channel: str
    staff_name: str = ""
    branch: str = ""
    received_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["received_at"] = _iso(self.received_at)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeedbackRequest:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        values["received_at"] = _dt(values.get("received_at"))
        return cls(**values)


@dataclass(frozen=True)
class Feedback:
    id: str
    kind: FeedbackKind
    text: str
    conversation_id: str
    channel: Channel
    created_at: datetime
    idempotency_key: str
    staff_name: str = ""
    branch: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "text": self.text,
            "conversation_id": self.conversation_id,
            "channel": self.channel.value,
            "created_at": _iso(self.created_at),
            "idempotency_key": self.idempotency_key,
            "staff_name": self.staff_name,
            "branch": self.branch,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Feedback:
        created = _dt(data["created_at"])
        assert created is not None
        return cls(
            id=str(data.get("id") or ""),
            kind=FeedbackKind(data["kind"]),
            text=str(data.get("text") or ""),
            conversation_id=str(data.get("conversation_id") or ""),
            channel=Channel(data["channel"]),
            created_at=created,
            idempotency_key=str(data.get("idempotency_key") or ""),
            staff_name=str(data.get("staff_name") or ""),
            branch=str(data.get("branch") or ""),
        )


class CreateOutcome(str, Enum):
    CREATED = "created"  # a new ticket was stored
    EXISTING = "existing"  # a retry: the ticket stored under this idempotency key
    QUEUED = "queued"  # store unavailable: kept in the local outbox, replayed later


@dataclass(frozen=True)
class CreateResult:
    """What `create_ticket` did. When `queued`, there is no ticket number yet: the action
    says the scripted "we will call you back" line instead of reading a number."""

    outcome: CreateOutcome
    idempotency_key: str
    ticket: Ticket | None = None

    @property
    def queued(self) -> bool:
        return self.outcome is CreateOutcome.QUEUED

    @property
    def number(self) -> str | None:
        return None if self.ticket is None else self.ticket.number


@dataclass(frozen=True)
class FeedbackResult:
    outcome: CreateOutcome
    idempotency_key: str
    feedback: Feedback | None = None

    @property
    def queued(self) -> bool:
        return self.outcome is CreateOutcome.QUEUED
