"""The ticket service on a real Redis: creation, idempotency, lookups, workflow, durability."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from bot.clock import ManualClock
from bot.tickets.errors import InvalidTransition, ValidationFailed
from bot.tickets.model import (
    CreateOutcome,
    FeedbackKind,
    FeedbackRequest,
    Severity,
    TicketStatus,
)
from bot.tickets.redis_store import RedisTicketStore
from bot.tickets.service import ESCALATION_ACTOR, verify_identity
from tests.support.processes import RedisServer
from tests.test_tickets_fixtures import MONDAY_10, Services, at, build_services, complaint


@pytest.fixture()
def services(redis_client: redis.Redis[bytes], tmp_path: Path) -> Services:
    return build_services(redis_client, ManualClock(MONDAY_10), tmp_path / "outbox")


def test_create_assigns_a_readable_number_deadlines_and_history(services: Services) -> None:
    result = services.tickets.create_ticket(complaint(), "conv-1:3")
    assert result.outcome is CreateOutcome.CREATED and not result.queued
    ticket = result.ticket
    assert ticket is not None
    assert ticket.number == "T202611230001"
    assert ticket.created_at == MONDAY_10
    assert (ticket.status, ticket.tier, ticket.severity) == (
        TicketStatus.OPEN,
        "agent",
        Severity.NORMAL,
    )
    assert ticket.caller.phone == "13812345678"
    assert ticket.promised_at == at(24, 21) and ticket.due_at == ticket.promised_at
    assert ticket.first_response_at == at(23, 18)
    assert [(h.from_status, h.to_status) for h in ticket.history] == [(None, TicketStatus.OPEN)]
    assert services.tickets.get_ticket("t2026 1123 0001") == ticket


def test_retry_with_the_same_key_returns_the_same_ticket(services: Services) -> None:
    first = services.tickets.create_ticket(complaint(), "conv-1:3")
    services.clock.advance(minutes=1)
    again = services.tickets.create_ticket(complaint(description="changed words"), "conv-1:3")
    assert again.outcome is CreateOutcome.EXISTING
    assert again.ticket == first.ticket
    other = services.tickets.create_ticket(complaint(), "conv-1:4")
    assert other.number == "T202611230002"


def test_concurrent_duplicate_creates_make_one_ticket(services: Services) -> None:
    barrier = threading.Barrier(8)

    def create(_: int) -> str | None:
        barrier.wait()
        return services.tickets.create_ticket(complaint(), "conv-race:1").number

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = set(pool.map(create, range(8)))
    assert len(numbers) == 1
    assert services.redis.zcard("hotline:tickets:created") == 1
    assert len(services.scheduler.for_ticket(numbers.pop() or "")) == 1


def test_concurrent_distinct_creates_get_distinct_numbers(services: Services) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(
            pool.map(
                lambda i: services.tickets.create_ticket(complaint(), f"conv-{i}:1").number,
                range(20),
            )
        )
    assert sorted(numbers) == [f"T20261123{i:04d}" for i in range(1, 21)]


def test_the_sequence_restarts_each_day(services: Services) -> None:
    services.tickets.create_ticket(complaint(), "a:1")
    services.clock.set(at(24, 9, 30))
    assert services.tickets.create_ticket(complaint(), "b:1").number == "T202611240001"


def test_invalid_input_is_rejected_before_anything_is_stored(services: Services) -> None:
    with pytest.raises(ValidationFailed) as failure:
        services.tickets.create_ticket(complaint(phone="12345"), "conv-1:1")
    assert failure.value.fields == ["phone"]
    with pytest.raises(ValidationFailed):
        services.tickets.create_ticket(complaint(), "  ")
    assert services.redis.dbsize() == 0


def test_lookup_by_phone_is_newest_first_and_identity_checked(services: Services) -> None:
    first = services.tickets.create_ticket(complaint(), "c1:1").ticket
    services.clock.advance(hours=100)  # outside the repeat window
    second = services.tickets.create_ticket(complaint(phone="138 1234 5678"), "c2:1").ticket
    services.tickets.create_ticket(complaint(phone="13900000000", surname="Li"), "c3:1")
    assert first is not None and second is not None
    found = services.tickets.find_by_phone("+86 13812345678")
    assert [t.number for t in found] == [second.number, first.number]
    assert services.tickets.find_for_caller("Wang", phone="13812345678") == found
    assert services.tickets.find_for_caller("WangMr", ticket_number=first.number) == [first]
    assert services.tickets.find_for_caller("Li", phone="13812345678") == []
    assert services.tickets.find_for_caller("", ticket_number=first.number) == []
    assert verify_identity(first, " Wang ") and not verify_identity(first, "Wan")
    assert services.tickets.get_ticket("T209901010001") is None
    assert services.tickets.get_ticket("not a number") is None


def test_repeat_complaints_raise_severity(services: Services) -> None:
    severities = []
    for turn in range(3):
        ticket = services.tickets.create_ticket(complaint(), f"repeat:{turn}").ticket
        assert ticket is not None
        severities.append((ticket.severity, ticket.severity_reasons))
        services.clock.advance(hours=2)
    assert severities == [
        (Severity.NORMAL, ()),
        (Severity.HIGH, ("repeat:2",)),
        (Severity.URGENT, ("repeat:3",)),
    ]


def test_caller_state_and_category_route_the_ticket(services: Services) -> None:
    urgent = services.tickets.create_ticket(
        complaint(description="I will report you to 12315"), "u:1"
    ).ticket
    assert urgent is not None
    assert urgent.severity is Severity.URGENT
    assert urgent.promised_at == MONDAY_10 + timedelta(minutes=120)
    rude = services.tickets.create_ticket(
        complaint(category="staff_attitude", phone="13900000001"), "r:1"
    ).ticket
    assert rude is not None
    assert (rude.severity, rude.tier) == (Severity.HIGH, "manager")
    angry = services.tickets.create_ticket(
        complaint(latest_intent="angry", phone="13900000002"), "a:1"
    ).ticket
    assert angry is not None and angry.severity is Severity.HIGH


def test_preferred_time_words_are_read_and_checked(services: Services) -> None:
    ticket = services.tickets.create_ticket(
        complaint(preferred_time_text="明天下午三点"), "p:1"
    ).ticket
    assert ticket is not None and ticket.preferred_time is not None
    assert ticket.preferred_time.at == at(24, 15)
    assert ticket.first_response_at == at(24, 15)
    unread = services.tickets.create_ticket(
        complaint(preferred_time_text="whenever", phone="13900000003"), "p:2"
    ).ticket
    assert unread is not None and unread.preferred_time is not None
    assert (unread.preferred_time.text, unread.preferred_time.at) == ("whenever", None)
    assert services.tickets.check_preferred_time("明天上午") == at(24, 9)
    with pytest.raises(ValidationFailed) as failure:
        services.tickets.check_preferred_time(at=MONDAY_10 + timedelta(days=40))
    assert failure.value.code_for("preferred_time") == "time_too_far"


def test_incomplete_ticket_keeps_what_was_said(services: Services) -> None:
    result = services.tickets.create_ticket(
        complaint(surname="", category="", phone="138123", incomplete=True), "h:1"
    )
    ticket = result.ticket
    assert ticket is not None
    assert ticket.status is TicketStatus.INCOMPLETE
    assert ticket.flags == ("incomplete", "dropped:phone", "dropped:category")
    assert ticket.promised_at is None and ticket.due_at is None
    assert services.scheduler.for_ticket(ticket.number) == []
    completed = services.tickets.change_status(ticket.number, "open", "agent:7", "called back")
    assert completed.status is TicketStatus.OPEN and completed.due_at is not None


def test_workflow_transitions_and_closure_rules(services: Services) -> None:
    number = services.tickets.create_ticket(complaint(), "w:1").number or ""
    tickets = services.tickets
    tickets.change_status(number, TicketStatus.IN_PROGRESS, "agent:7")
    with pytest.raises(InvalidTransition):
        tickets.change_status(number, TicketStatus.OPEN, "agent:7")
    with pytest.raises(InvalidTransition):
        tickets.close(number, "agent:7", satisfaction=5)  # not resolved yet
    tickets.resolve(number, "agent:7", "replaced the fridge")
    with pytest.raises(InvalidTransition):
        tickets.close(number, "agent:7", satisfaction=2)  # the caller is not satisfied
    with pytest.raises(ValidationFailed):
        tickets.close(number, "agent:7", satisfaction=9)
    tickets.add_note(number, "agent:7", "customer happy")
    closed = tickets.close(number, "agent:7", satisfaction=5)
    assert closed.status is TicketStatus.CLOSED and closed.satisfaction == 5
    assert [h.to_status for h in closed.history] == [
        TicketStatus.OPEN,
        TicketStatus.IN_PROGRESS,
        TicketStatus.RESOLVED,
        TicketStatus.CLOSED,
    ]
    assert closed.due_at is None
    assert services.redis.zscore("hotline:tickets:due", number) is None
    assert [t.number for t in tickets.list_by_status("closed")] == [number]
    assert tickets.list_by_status(TicketStatus.OPEN) == []


def test_escalation_goes_up_one_tier_per_missed_deadline(services: Services) -> None:
    ticket = services.tickets.create_ticket(complaint(), "e:1").ticket
    assert ticket is not None and ticket.promised_at is not None
    services.clock.set(ticket.promised_at - timedelta(minutes=1))
    assert services.tickets.escalate_overdue() == []
    services.clock.set(ticket.promised_at + timedelta(minutes=1))
    assert services.tickets.escalate_overdue() == [ticket.number]
    assert services.tickets.escalate_overdue() == []  # the new tier has a new deadline
    escalated = services.tickets.get_ticket(ticket.number)
    assert escalated is not None
    change = escalated.history[-1]
    assert (change.actor, change.from_status, change.to_status, change.tier) == (
        ESCALATION_ACTOR,
        TicketStatus.OPEN,
        TicketStatus.ESCALATED,
        "supervisor",
    )
    assert change.at == ticket.promised_at + timedelta(minutes=1)
    assert escalated.promised_at == ticket.promised_at  # what the caller was told stays
    assert escalated.due_at is not None and escalated.due_at > change.at
    services.clock.set(escalated.due_at + timedelta(minutes=1))
    assert services.tickets.escalate_overdue() == [ticket.number]
    top = services.tickets.get_ticket(ticket.number)
    assert top is not None and top.tier == "manager"
    services.clock.set((top.due_at or MONDAY_10) + timedelta(minutes=1))
    assert services.tickets.escalate_overdue() == [ticket.number]
    final = services.tickets.get_ticket(ticket.number)
    assert final is not None and final.tier == "manager"
    assert "overdue_at_top_tier" in final.flags and final.due_at is None


def test_concurrent_sweeps_escalate_once(services: Services) -> None:
    ticket = services.tickets.create_ticket(complaint(), "e:2").ticket
    assert ticket is not None and ticket.promised_at is not None
    services.clock.set(ticket.promised_at + timedelta(minutes=5))
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: services.tickets.escalate_overdue(), range(4)))
    assert sum(len(r) for r in results) == 1
    final = services.tickets.get_ticket(ticket.number)
    assert final is not None and final.tier == "supervisor"
    assert sum(1 for h in final.history if h.actor == ESCALATION_ACTOR) == 1


def test_resolved_tickets_are_not_escalated(services: Services) -> None:
    ticket = services.tickets.create_ticket(complaint(), "e:3").ticket
    assert ticket is not None and ticket.promised_at is not None
    services.tickets.resolve(ticket.number, "agent:7")
    services.clock.set(ticket.promised_at + timedelta(days=1))
    assert services.tickets.escalate_overdue() == []


def test_agent_escalation_and_the_top_tier(services: Services) -> None:
    number = services.tickets.create_ticket(complaint(), "e:4").number or ""
    services.tickets.escalate(number, "assistant", "caller insists")
    top = services.tickets.escalate(number, "agent:7")
    assert top.tier == "manager" and top.history[-2].note == "caller insists"
    with pytest.raises(InvalidTransition):
        services.tickets.escalate(number, "agent:7")


def test_feedback_is_recorded_once_and_indexed(services: Services) -> None:
    request = FeedbackRequest(
        kind="praise",
        text="Xiao Li was very patient",
        conversation_id="f",
        channel="phone",
        staff_name="Xiao Li",
        branch="Pudong",
    )
    first = services.tickets.record_feedback(request, "f:1")
    again = services.tickets.record_feedback(request, "f:1")
    assert first.feedback is not None and again.feedback == first.feedback
    assert again.outcome is CreateOutcome.EXISTING
    assert first.feedback.id == "F202611230001" and first.feedback.kind is FeedbackKind.PRAISE
    store = services.tickets.store
    assert isinstance(store, RedisTicketStore)
    assert store.list_feedback("praise") == [first.feedback]
    assert store.list_feedback("suggestion") == []
    with pytest.raises(ValidationFailed):
        services.tickets.record_feedback(FeedbackRequest("gossip", "", "f", "phone"), "f:2")


def test_tickets_survive_a_redis_crash(private_redis: RedisServer, tmp_path: Path) -> None:
    clock = ManualClock(MONDAY_10)
    before = build_services(private_redis.client(), clock, tmp_path / "outbox")
    ticket = before.tickets.create_ticket(complaint(), "crash:1").ticket
    assert ticket is not None
    private_redis.restart(hard=True)  # SIGKILL: only what the AOF holds survives
    after = build_services(private_redis.client(), clock, tmp_path / "outbox")
    assert after.tickets.get_ticket(ticket.number) == ticket
    assert len(after.scheduler.for_ticket(ticket.number)) == 1
    again = after.tickets.create_ticket(complaint(), "crash:1")
    assert again.outcome is CreateOutcome.EXISTING and again.ticket == ticket
    # the old client reconnects by itself and its Lua scripts are reloaded
    assert before.tickets.create_ticket(complaint(), "crash:2").number == "T202611230002"
