"""Pure rules: business time, severity, deadlines, quiet hours, phone and input validation."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.callbacks.policy import QuietHours, callback_policy_from_config
from bot.config import ConfigError, HotlineConfig, hotline_config, parse_hotline_config
from bot.tickets.business_time import BusinessHours
from bot.tickets.errors import ValidationFailed
from bot.tickets.model import Severity, Ticket, format_ticket_number, normalize_ticket_number
from bot.tickets.phone import PhoneKind, mask_phone, parse_phone
from bot.tickets.policy import (
    SeverityPolicy,
    sla_policy_from_config,
    ticket_policy_from_config,
)
from bot.tickets.severity import SeveritySignals, assess_severity, normalize_text
from bot.tickets.sla import compute_deadlines
from bot.tickets.validation import (
    ValidationLimits,
    check_callback_time,
    check_phone,
    validate_ticket_request,
)
from tests.test_tickets_fixtures import SHANGHAI, at, complaint

POLICY = ticket_policy_from_config(hotline_config())
HOURS = POLICY.hours
SLA = POLICY.sla


def config_with(**sections: Any) -> HotlineConfig:
    base = hotline_config()
    raw = copy.deepcopy(dict(base.raw))
    for name, value in sections.items():
        raw[name] = {**raw.get(name, {}), **value}
    return parse_hotline_config(raw)


# -- business time --------------------------------------------------------------------------


def test_business_time_stays_inside_the_day_when_it_fits() -> None:
    assert HOURS.add(at(23, 10), timedelta(minutes=30)) == at(23, 10, 30)


def test_business_time_carries_over_to_the_next_opening() -> None:
    # 20:30 + 120 business minutes: 30 today, 90 from 09:00 tomorrow
    assert HOURS.add(at(23, 20, 30), timedelta(minutes=120)) == at(24, 10, 30)


def test_business_time_starts_at_opening_when_begun_at_night() -> None:
    assert HOURS.add(at(23, 3, 0), timedelta(minutes=60)) == at(23, 10, 0)
    assert HOURS.add(at(23, 22, 0), timedelta(minutes=60)) == at(24, 10, 0)


def test_business_time_skips_non_working_days_and_holidays() -> None:
    weekdays = BusinessHours(
        tz=SHANGHAI,
        open=time(9),
        close=time(18),
        working_days=frozenset({1, 2, 3, 4, 5}),
        holidays=frozenset({date(2026, 11, 30)}),
    )
    friday_17 = at(27, 17)
    # 1 h left on Friday, weekend skipped, Monday the 30th is a holiday -> Tuesday
    assert weekdays.add(friday_17, timedelta(hours=2)) == datetime(
        2026, 12, 1, 10, 0, tzinfo=SHANGHAI
    )
    assert weekdays.next_working_day(date(2026, 11, 27)) == date(2026, 12, 1)


def test_business_hours_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        BusinessHours(tz=SHANGHAI, open=time(18), close=time(9))
    with pytest.raises(ValueError):
        BusinessHours(tz=SHANGHAI, open=time(9), close=time(18), working_days=frozenset())


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(SHANGHAI)
)


@settings(max_examples=200, deadline=None, database=None)
@given(start=moments, first=st.integers(0, 5000), second=st.integers(1, 5000))
def test_business_time_properties(start: datetime, first: int, second: int) -> None:
    a, b = timedelta(minutes=first), timedelta(minutes=second)
    end = HOURS.add(start, a + b)
    assert end >= start
    opening, closing = HOURS.window(end.date())
    assert opening <= end <= closing
    assert HOURS.add(HOURS.add(start, a), b) == end


# -- severity -------------------------------------------------------------------------------

SEVERITY = POLICY.severity


@pytest.mark.parametrize(
    "text",
    [
        "I will call 12315 about this",
        "I will call １２３１５",
        "1 2 3 1 5",
        "我要找媒体曝光",
        "请律师",
    ],
)
def test_threats_and_safety_words_are_urgent(text: str) -> None:
    result = assess_severity(SeveritySignals(text=text), SEVERITY)
    assert result.severity is Severity.URGENT
    assert any(r.startswith("keyword:") for r in result.reasons)


def test_safety_word_is_urgent() -> None:
    assert assess_severity(SeveritySignals(text="插座冒烟了"), SEVERITY).severity is Severity.URGENT


@pytest.mark.parametrize(
    ("signals", "reason"),
    [
        (SeveritySignals(text="", latest_intent="angry"), "intent:angry"),
        (SeveritySignals(text="", category="staff_attitude"), "category:staff_attitude"),
        (SeveritySignals(text="", anger_streak=1), "anger:1"),
        (SeveritySignals(text="", prior_complaints=1), "repeat:2"),
        (SeveritySignals(text="问题还没解决"), "keyword:还没解决"),
    ],
)
def test_high_signals(signals: SeveritySignals, reason: str) -> None:
    result = assess_severity(signals, SEVERITY)
    assert result.severity is Severity.HIGH
    assert reason in result.reasons


def test_third_complaint_is_urgent_and_plain_one_is_normal() -> None:
    third = assess_severity(SeveritySignals(text="", prior_complaints=2), SEVERITY)
    assert (third.severity, third.reasons) == (Severity.URGENT, ("repeat:3",))
    plain = assess_severity(SeveritySignals(text="the box was dented"), SEVERITY)
    assert (plain.severity, plain.reasons) == (Severity.NORMAL, ())


def test_severity_policy_is_configuration() -> None:
    policy = SeverityPolicy(
        urgent_keywords=("gas",), intent_severity={"complaint": Severity.URGENT}
    )
    assert assess_severity(SeveritySignals(text="GAS smell"), policy).severity is Severity.URGENT
    signals = SeveritySignals(text="", latest_intent="complaint")
    assert assess_severity(signals, policy).severity is Severity.URGENT


def test_normalize_text_drops_spaces_punctuation_and_width() -> None:
    assert normalize_text(" １２ ３，１５！") == "12315"


# -- deadlines ------------------------------------------------------------------------------


def test_deadlines_per_severity_on_a_monday_morning() -> None:
    start = at(23, 10)
    urgent = compute_deadlines(Severity.URGENT, start, SLA, HOURS)
    assert (urgent.first_response, urgent.promised) == (at(23, 10, 30), at(23, 12))
    high = compute_deadlines(Severity.HIGH, start, SLA, HOURS)
    assert (high.first_response, high.promised) == (at(23, 12), at(23, 14))
    normal = compute_deadlines(Severity.NORMAL, start, SLA, HOURS)
    # first response 480 business minutes; promise: close of the next working day
    assert (normal.first_response, normal.promised) == (at(23, 18), at(24, 21))


def test_urgent_late_in_the_evening_uses_the_business_clock() -> None:
    late = compute_deadlines(Severity.URGENT, at(23, 20, 30), SLA, HOURS)
    assert late.first_response == at(23, 21)  # the last minute of the day
    assert late.promised == at(24, 10, 30)


def test_wall_clock_sla_when_configured() -> None:
    sla = replace(SLA, business_clock=False)
    late = compute_deadlines(Severity.URGENT, at(23, 20, 30), sla, HOURS)
    assert (late.first_response, late.promised) == (at(23, 21), at(23, 22, 30))


def test_normal_promise_skips_to_the_next_working_day() -> None:
    weekdays = replace(HOURS, working_days=frozenset({1, 2, 3, 4, 5}))
    friday = compute_deadlines(Severity.NORMAL, at(27, 15), SLA, weekdays)
    assert friday.promised == at(30, 21)  # Monday


def test_preferred_time_sets_the_first_call_and_can_extend_the_promise() -> None:
    early = compute_deadlines(Severity.HIGH, at(23, 10), SLA, HOURS, preferred=at(23, 11))
    assert (early.first_response, early.promised) == (at(23, 11), at(23, 14))
    later = compute_deadlines(Severity.HIGH, at(23, 10), SLA, HOURS, preferred=at(25, 15))
    assert (later.first_response, later.promised) == (at(25, 15), at(25, 15))


def test_sla_config_is_checked() -> None:
    with pytest.raises(ConfigError):
        sla_policy_from_config(config_with(sla={"high": {"first_response_minutes": 10}}))
    with pytest.raises(ConfigError):
        sla_policy_from_config(config_with(sla={"initial_tier_by_category": {"x": "boss"}}))
    bigger = sla_policy_from_config(
        config_with(sla={"urgent": {"first_response_minutes": 15, "callback_minutes": 60}})
    )
    assert bigger.level(Severity.URGENT).callback == timedelta(minutes=60)


# -- quiet hours ----------------------------------------------------------------------------

QUIET = callback_policy_from_config(hotline_config()).quiet


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (at(23, 21), True),
        (at(23, 23, 59), True),
        (at(24, 8, 59), True),
        (at(24, 9), False),
        (at(23, 20, 59), False),
        (at(23, 13), False),
    ],
)
def test_quiet_hours_wrap_around_midnight(moment: datetime, quiet: bool) -> None:
    assert QUIET.contains(moment) is quiet


def test_due_times_inside_quiet_hours_move_to_the_next_allowed_time() -> None:
    assert QUIET.next_allowed(at(23, 22)) == at(24, 9)
    assert QUIET.next_allowed(at(24, 3)) == at(24, 9)
    assert QUIET.next_allowed(at(24, 15)) == at(24, 15)
    lunch = QuietHours(time(12), time(13, 30), SHANGHAI)
    assert lunch.next_allowed(at(24, 12, 10)) == at(24, 13, 30)
    never = QuietHours(time(0), time(0), SHANGHAI)
    assert not never.contains(at(24, 3))


def test_callback_config_is_checked() -> None:
    with pytest.raises(ConfigError):
        callback_policy_from_config(config_with(callbacks={"outcome_codes": ["hung_up"]}))
    with pytest.raises(ConfigError):
        callback_policy_from_config(config_with(callbacks={"max_attempts": 0}))


# -- phone numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "digits", "kind"),
    [
        ("13812345678", "13812345678", PhoneKind.MOBILE),
        ("+86 138 1234 5678", "13812345678", PhoneKind.MOBILE),
        ("0086-199-1234-5678", "19912345678", PhoneKind.MOBILE),
        ("１３８１２３４５６７８", "13812345678", PhoneKind.MOBILE),
        ("010-12345678", "01012345678", PhoneKind.LANDLINE),
        ("0755 1234567", "07551234567", PhoneKind.LANDLINE),
        ("400-800-1234", "4008001234", PhoneKind.SERVICE),
        ("8008001234", "8008001234", PhoneKind.SERVICE),
    ],
)
def test_valid_phone_numbers(raw: str, digits: str, kind: PhoneKind) -> None:
    parsed = parse_phone(raw)
    assert parsed is not None and (parsed.digits, parsed.kind) == (digits, kind)
    assert check_phone(raw) == digits


@pytest.mark.parametrize(
    "raw",
    ["12812345678", "1381234567", "138123456789", "12345", "abc", "10-12345678", "500-800-1234"],
)
def test_invalid_phone_numbers(raw: str) -> None:
    assert parse_phone(raw) is None
    with pytest.raises(ValidationFailed) as failure:
        check_phone(raw)
    assert failure.value.code_for("phone") == "invalid_phone"


def test_missing_phone_and_masking() -> None:
    with pytest.raises(ValidationFailed) as failure:
        check_phone("  ")
    assert failure.value.code_for("phone") == "required"
    assert mask_phone("13812345678") == "*******5678"


# -- request validation ---------------------------------------------------------------------

LIMITS = ValidationLimits()


def validate(**overrides: Any) -> Any:
    return validate_ticket_request(
        complaint(**overrides),
        at(23, 10),
        categories=POLICY.categories,
        tiers=SLA.tiers,
        limits=LIMITS,
    )


def test_missing_required_fields_are_all_reported() -> None:
    with pytest.raises(ValidationFailed) as failure:
        validate(description=" ", surname="", phone="", category="")
    assert set(failure.value.fields) == {"description", "surname", "phone", "category"}


def test_unknown_category_channel_and_tier_are_rejected() -> None:
    with pytest.raises(ValidationFailed) as failure:
        validate(category="weather", channel="fax", initial_tier="president")
    codes = {e.field: e.code for e in failure.value.errors}
    assert codes == {
        "category": "invalid_category",
        "channel": "invalid_channel",
        "initial_tier": "invalid_tier",
    }


def test_category_may_be_given_by_its_label() -> None:
    label = POLICY.categories["delivery_delay"]
    assert validate(category=label).category == "delivery_delay"


@pytest.mark.parametrize(
    ("moment", "code"),
    [(at(23, 8), "time_in_past"), (at(23, 10) + timedelta(days=31), "time_too_far")],
)
def test_absurd_callback_times_are_rejected(moment: datetime, code: str) -> None:
    with pytest.raises(ValidationFailed) as failure:
        validate(preferred_time=moment)
    assert failure.value.code_for("preferred_time") == code
    with pytest.raises(ValidationFailed):
        check_callback_time(moment, at(23, 10), LIMITS)


def test_a_slot_that_just_began_means_now() -> None:
    assert validate(preferred_time=at(23, 9, 30)).preferred_at == at(23, 10)


def test_incomplete_requests_drop_what_is_unusable() -> None:
    clean = validate_ticket_request(
        complaint(phone="123", category="", description="", surname=""),
        at(23, 10),
        categories=POLICY.categories,
        tiers=SLA.tiers,
        limits=LIMITS,
        complete=False,
    )
    assert clean.phone == "" and clean.category == "other"
    assert {e.field for e in clean.dropped} == {"phone", "category", "description"}


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValidationFailed) as failure:
        validate(preferred_time=datetime(2026, 11, 23, 15, 0))
    assert failure.value.code_for("preferred_time") == "invalid_time"


# -- numbers and JSON -----------------------------------------------------------------------


def test_ticket_numbers_are_readable_and_normalised() -> None:
    assert format_ticket_number(date(2026, 11, 23), 1) == "T202611230001"
    assert format_ticket_number(date(2026, 11, 23), 12345) == "T2026112312345"
    assert normalize_ticket_number(" t2026 1123-0001 ") == "T202611230001"


def test_ticket_json_round_trip(ticket_example: Ticket) -> None:
    assert Ticket.from_dict(ticket_example.to_dict()) == ticket_example


@pytest.fixture()
def ticket_example() -> Ticket:
    from bot.tickets.model import (
        CallbackRecord,
        Caller,
        Channel,
        Note,
        PreferredTime,
        StatusChange,
        TicketStatus,
    )

    start = at(23, 10)
    return Ticket(
        number="T202611230001",
        created_at=start,
        channel=Channel.PHONE,
        caller=Caller("Wang", "Mr", "13812345678", "road"),
        category="repair",
        severity=Severity.HIGH,
        description="words",
        status=TicketStatus.ESCALATED,
        owner="assistant",
        tier="supervisor",
        conversation_id="c",
        idempotency_key="c:1",
        promised_at=at(23, 14),
        due_at=at(23, 16),
        first_response_at=at(23, 12),
        preferred_time=PreferredTime("tomorrow", at(24, 9)),
        severity_reasons=("anger:2",),
        history=(StatusChange(start, "assistant", None, TicketStatus.OPEN, "created", "agent"),),
        callbacks=(CallbackRecord(start, "cb", 1, "no_answer", "agent:7"),),
        notes=(Note(start, "agent:7", "called"),),
        satisfaction=4,
        flags=("overdue",),
        updated_at=start,
        version=3,
    )
