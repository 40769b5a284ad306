"""Input validation: everything a caller said is checked here before it becomes a ticket.

Failures raise `ValidationFailed` with one `FieldError` per problem; the action layer maps
the field to a re-ask (e.g. `phone` -> utter_invalid_phone, `preferred_time` ->
utter_invalid_callback_time). Field codes: required, invalid_phone, invalid_category,
invalid_channel, invalid_severity, invalid_tier, time_in_past, time_too_far, too_long,
invalid_satisfaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.clock import require_aware
from bot.tickets.errors import FieldError, ValidationFailed
from bot.tickets.model import Channel, FeedbackKind, FeedbackRequest, Severity, TicketRequest
from bot.tickets.phone import normalize_phone


@dataclass(frozen=True)
class ValidationLimits:
    max_days_ahead: int = 30
    # a slot that began a little while ago ("this afternoon", said at 15:00) means "soon"
    past_tolerance: timedelta = timedelta(hours=1)
    max_description_chars: int = 4000
    max_field_chars: int = 200
    max_surname_chars: int = 10


@dataclass(frozen=True)
class CleanTicketRequest:
    """A validated request: canonical phone, known category/channel, checked times."""

    request: TicketRequest
    channel: Channel
    phone: str
    category: str
    preferred_at: datetime | None
    severity_override: Severity | None
    initial_tier: str | None
    description: str
    # soft problems of an incomplete ticket (the value was dropped, not rejected)
    dropped: tuple[FieldError, ...] = field(default_factory=tuple)


def check_phone(raw: str) -> str:
    """Canonical digits of a valid mainland mobile / landline / 400-800 number."""
    if not (raw or "").strip():
        raise ValidationFailed([FieldError("phone", "required")])
    digits = normalize_phone(raw)
    if digits is None:
        raise ValidationFailed([FieldError("phone", "invalid_phone", "not a Chinese number")])
    return digits


def check_callback_time(
    at: datetime, now: datetime, limits: ValidationLimits, field_name: str = "preferred_time"
) -> datetime:
    """Reject times in the past or more than `max_days_ahead` days ahead."""
    require_aware(at, field_name)
    if at < now - limits.past_tolerance:
        raise ValidationFailed([FieldError(field_name, "time_in_past", at.isoformat())])
    if at > now + timedelta(days=limits.max_days_ahead):
        raise ValidationFailed([FieldError(field_name, "time_too_far", at.isoformat())])
    return at


def _category_key(value: str, categories: Mapping[str, str]) -> str | None:
    value = (value or "").strip()
    if value in categories:
        return value
    return next((key for key, label in categories.items() if label == value), None)


def validate_ticket_request(
    request: TicketRequest,
    now: datetime,
    *,
    categories: Mapping[str, str],
    tiers: Sequence[str],
    limits: ValidationLimits,
    complete: bool = True,
) -> CleanTicketRequest:
    """Check a complaint. With `complete=False` (caller hung up mid-form) only the
    conversation and channel are required; unusable values are dropped, not rejected."""
    hard: list[FieldError] = []
    soft: list[FieldError] = []
    optional_problems = soft if not complete else hard

    if not request.conversation_id.strip():
        hard.append(FieldError("conversation_id", "required"))
    try:
        channel = Channel(request.channel)
    except ValueError:
        hard.append(FieldError("channel", "invalid_channel", str(request.channel)))
        channel = Channel.REST

    phone = ""
    try:
        phone = check_phone(request.phone)
    except ValidationFailed as exc:
        if complete or request.phone.strip():
            optional_problems.extend(exc.errors)

    category = _category_key(request.category, categories) or ""
    if not category:
        code = "invalid_category" if request.category.strip() else "required"
        optional_problems.append(FieldError("category", code, request.category))

    description = request.description.strip()
    if not description:
        optional_problems.append(FieldError("description", "required"))
    description = description[: limits.max_description_chars]

    surname = request.surname.strip()
    if complete and not surname:
        hard.append(FieldError("surname", "required"))
    if len(surname) > limits.max_surname_chars:
        optional_problems.append(FieldError("surname", "too_long"))
    for name in ("title", "address", "order_number", "complaint_target", "preferred_time_text"):
        if len(str(getattr(request, name) or "")) > limits.max_field_chars:
            optional_problems.append(FieldError(name, "too_long"))

    preferred_at = None
    if request.preferred_time is not None:
        try:
            preferred_at = max(check_callback_time(request.preferred_time, now, limits), now)
        except ValidationFailed as exc:
            optional_problems.extend(exc.errors)
        except ValueError as exc:
            optional_problems.append(FieldError("preferred_time", "invalid_time", str(exc)))

    severity = None
    if request.severity:
        try:
            severity = Severity(request.severity)
        except ValueError:
            hard.append(FieldError("severity", "invalid_severity", request.severity))
    tier = request.initial_tier or None
    if tier is not None and tier not in tiers:
        hard.append(FieldError("initial_tier", "invalid_tier", tier))

    if hard:
        raise ValidationFailed(hard)
    dropped = {e.field for e in soft}
    return CleanTicketRequest(
        request=request,
        channel=channel,
        phone="" if "phone" in dropped else phone,
        category=category or "other",
        preferred_at=None if "preferred_time" in dropped else preferred_at,
        severity_override=severity,
        initial_tier=tier,
        description=description,
        dropped=tuple(soft),
    )


def validate_feedback(request: FeedbackRequest, limits: ValidationLimits) -> FeedbackKind:
    errors: list[FieldError] = []
    kind = None
    try:
        kind = FeedbackKind(request.kind)
    except ValueError:
        errors.append(FieldError("kind", "invalid_kind", str(request.kind)))
    if not request.text.strip():
        errors.append(FieldError("text", "required"))
    if not request.conversation_id.strip():
        errors.append(FieldError("conversation_id", "required"))
    if request.channel not in {c.value for c in Channel}:
        errors.append(FieldError("channel", "invalid_channel", str(request.channel)))
    for name in ("staff_name", "branch"):
        if len(getattr(request, name) or "") > limits.max_field_chars:
            errors.append(FieldError(name, "too_long"))
    if errors or kind is None:
        raise ValidationFailed(errors)
    return kind


def check_satisfaction(score: int) -> int:
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise ValidationFailed([FieldError("satisfaction", "invalid_satisfaction", str(score))])
    return score
