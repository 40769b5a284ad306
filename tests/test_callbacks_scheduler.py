"""Callbacks on a real Redis: due times, quiet hours, exactly-once claims, leases, retries,
outcomes written to the ticket, and escalation through the worker round."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from bot.callbacks.dialer import AgentQueue, HumanQueueDialer
from bot.callbacks.model import Callback, CallbackStatus, Outcome
from bot.callbacks.policy import callback_policy_from_config
from bot.callbacks.scheduler import CallbackStateError
from bot.callbacks.worker import CallbackWorker
from bot.clock import ManualClock
from bot.config import hotline_config
from bot.tickets.errors import ValidationFailed
from bot.tickets.model import Ticket, TicketStatus
from bot.tickets.service import ESCALATION_ACTOR
from tests.support.processes import RedisServer, wait_until
from tests.test_tickets_fixtures import MONDAY_10, Services, at, build_services, complaint

POLICY = callback_policy_from_config(hotline_config())


@pytest.fixture()
def services(redis_client: redis.Redis[bytes], tmp_path: Path) -> Services:
    return build_services(redis_client, ManualClock(MONDAY_10), tmp_path / "outbox")


def file_ticket(services: Services, key: str = "c:1", **overrides: object) -> Ticket:
    ticket = services.tickets.create_ticket(complaint(**overrides), key).ticket
    assert ticket is not None
    return ticket


def first_callback(services: Services, ticket: Ticket) -> Callback:
    (callback,) = services.scheduler.for_ticket(ticket.number)
    return callback


def queued_attempts(services: Services) -> list[tuple[str, int]]:
    return [(t.callback_id, t.attempt) for t in services.agents.claim("agent:7", count=100)]


def test_a_new_ticket_plans_one_callback_at_its_first_response_time(services: Services) -> None:
    ticket = file_ticket(services)
    callback = first_callback(services, ticket)
    assert callback.id == f"{ticket.number}-first"
    assert callback.due_at == ticket.first_response_at == at(23, 18)
    assert (callback.status, callback.attempts, callback.phone) == (
        CallbackStatus.PENDING,
        0,
        "13812345678",
    )
    services.scheduler.plan_for(ticket)  # idempotent
    assert services.scheduler.for_ticket(ticket.number) == [callback]


def test_due_times_inside_quiet_hours_move_to_the_morning(services: Services) -> None:
    services.clock.set(at(23, 20, 30))
    ticket = file_ticket(services, description="the socket is smoking, 冒烟")  # urgent: 30 min
    assert ticket.first_response_at == at(23, 21)
    assert first_callback(services, ticket).due_at == at(24, 9)


def test_a_callback_is_placed_once_when_it_becomes_due(services: Services) -> None:
    ticket = file_ticket(services)
    assert services.scheduler.run_due("w1") == []
    services.clock.set(at(23, 17, 59))
    assert services.scheduler.run_due("w1") == []
    services.clock.set(at(23, 18))
    (placement,) = services.scheduler.run_due("w1")
    assert (placement.placed, placement.attempt) == (True, 1)
    assert services.scheduler.run_due("w1") == []
    callback = first_callback(services, ticket)
    assert (callback.status, callback.attempts, callback.claims) == (CallbackStatus.PLACED, 1, 1)
    tasks = services.agents.claim("agent:7")
    assert [(t.callback_id, t.attempt, t.ticket_number, t.phone) for t in tasks] == [
        (callback.id, 1, ticket.number, "13812345678")
    ]


def test_nothing_is_placed_during_quiet_hours(services: Services) -> None:
    ticket = file_ticket(services)
    services.clock.set(at(23, 22))  # due at 18:00, but nobody ran the worker until 22:00
    assert services.scheduler.run_due("w1") == []
    services.clock.set(at(24, 9))
    assert [p.callback_id for p in services.scheduler.run_due("w1")] == [
        first_callback(services, ticket).id
    ]


def test_competing_workers_claim_each_callback_exactly_once(services: Services) -> None:
    for i in range(40):
        services.scheduler.schedule(f"T2026112399{i:02d}", "13812345678", at(23, 11), key="x")
    services.clock.set(at(23, 12))
    placed: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def work(worker: str) -> None:
        start.wait()
        while True:
            done = services.scheduler.run_due(worker, limit=3)
            if not done:
                return
            with lock:
                placed.extend(p.callback_id for p in done if p.placed)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(placed) == 40 and len(set(placed)) == 40
    assert services.agents.length() == 40
    assert all(
        (c.claims, c.attempts) == (1, 1)
        for i in range(40)
        for c in services.scheduler.for_ticket(f"T2026112399{i:02d}")
    )


def test_no_answer_is_retried_then_exhausted(services: Services) -> None:
    ticket = file_ticket(services)
    callback_id = first_callback(services, ticket).id
    services.clock.set(at(23, 18))
    for attempt in (1, 2, 3):
        (placement,) = services.scheduler.run_due("w1")
        assert placement.attempt == attempt
        after = services.scheduler.record_outcome(callback_id, "no_answer", "agent:7")
        if attempt < 3:
            assert after.status is CallbackStatus.PENDING
            assert after.due_at == services.clock.now() + POLICY.retry_interval
            services.clock.advance(POLICY.retry_interval - timedelta(minutes=1))
            assert services.scheduler.run_due("w1") == []
            services.clock.advance(minutes=1)
    assert after.status is CallbackStatus.EXHAUSTED and after.attempts == 3
    assert queued_attempts(services) == [(callback_id, 1), (callback_id, 2), (callback_id, 3)]
    final = services.tickets.get_ticket(ticket.number)
    assert final is not None
    assert [(c.attempt, c.outcome) for c in final.callbacks] == [
        (1, "no_answer"),
        (2, "no_answer"),
        (3, "no_answer"),
    ]
    assert "callback_exhausted" in final.flags and final.status is TicketStatus.OPEN


def test_a_retry_that_would_fall_in_quiet_hours_waits_for_the_morning(services: Services) -> None:
    ticket = file_ticket(services)
    callback_id = first_callback(services, ticket).id
    services.clock.set(at(23, 20, 45))
    services.scheduler.run_due("w1")
    after = services.scheduler.record_outcome(callback_id, Outcome.NO_ANSWER, "agent:7")
    assert after.due_at == at(24, 9)


def test_reached_and_resolved_resolves_the_ticket_once(services: Services) -> None:
    ticket = file_ticket(services)
    callback_id = first_callback(services, ticket).id
    services.clock.set(at(23, 18))
    services.scheduler.run_due("w1")
    services.clock.advance(minutes=5)
    done = services.scheduler.record_outcome(callback_id, "reached_resolved", "agent:7", note="ok")
    again = services.scheduler.record_outcome(callback_id, "reached_resolved", "agent:7")
    assert done.status is CallbackStatus.DONE and again == done
    resolved = services.tickets.get_ticket(ticket.number)
    assert resolved is not None and resolved.status is TicketStatus.RESOLVED
    assert len(resolved.callbacks) == 1 and resolved.callbacks[0].note == "ok"
    assert (resolved.history[-1].actor, resolved.history[-1].at) == ("agent:7", at(23, 18, 5))
    assert services.tickets.escalate_overdue() == []


@pytest.mark.parametrize(
    ("outcome", "status", "flag", "ticket_status"),
    [
        ("wrong_number", CallbackStatus.FAILED, "wrong_number", TicketStatus.OPEN),
        ("refused", CallbackStatus.DONE, "callback_refused", TicketStatus.OPEN),
        ("reached_unresolved", CallbackStatus.DONE, None, TicketStatus.IN_PROGRESS),
    ],
)
def test_other_outcomes(
    services: Services,
    outcome: str,
    status: CallbackStatus,
    flag: str | None,
    ticket_status: TicketStatus,
) -> None:
    ticket = file_ticket(services)
    callback_id = first_callback(services, ticket).id
    services.clock.set(at(23, 18))
    services.scheduler.run_due("w1")
    assert services.scheduler.record_outcome(callback_id, outcome, "agent:7").status is status
    after = services.tickets.get_ticket(ticket.number)
    assert after is not None and after.status is ticket_status
    # exactly the outcome's flag is added (none for an unresolved reach)
    assert set(after.flags) - set(ticket.flags) == ({flag} if flag else set())


def test_outcomes_are_checked(services: Services) -> None:
    ticket = file_ticket(services)
    callback_id = first_callback(services, ticket).id
    with pytest.raises(CallbackStateError):  # not placed yet
        services.scheduler.record_outcome(callback_id, "no_answer", "agent:7", attempt=1)
    services.clock.set(at(23, 18))
    services.scheduler.run_due("w1")
    with pytest.raises(ValidationFailed):
        services.scheduler.record_outcome(callback_id, "hung_up", "agent:7")
    with pytest.raises(CallbackStateError):
        services.scheduler.record_outcome(callback_id, "no_answer", "agent:7", attempt=2)


def test_an_expired_lease_returns_the_callback_to_another_worker(
    redis_client: redis.Redis[bytes], tmp_path: Path
) -> None:
    # The lease runs on the Redis server's clock: long enough that w2's first try comes
    # inside it, then w2 tries until it has run out (30 s is only a safety net).
    short = replace(POLICY, lease=timedelta(seconds=2))
    services = build_services(redis_client, ManualClock(MONDAY_10), tmp_path, short)
    ticket = file_ticket(services)
    services.clock.set(at(23, 18))
    (stuck,) = services.scheduler.claim_due("w1")  # w1 claims, then hangs
    assert services.scheduler.claim_due("w2") == []
    claimed: list = []
    assert wait_until(lambda: bool(claimed.extend(services.scheduler.claim_due("w2"))
                                   or claimed), timeout=30, interval=0.2)
    (taken,) = claimed
    assert taken.callback.id == stuck.callback.id and taken.attempt == stuck.attempt == 1
    assert not services.scheduler.queue.mark_placed(stuck, services.clock.now())  # lost lease
    services.scheduler.dialer.place(stuck.callback)  # w1 had already dialled...
    assert services.scheduler.place(taken).placed  # ...w2 places the same attempt again
    assert services.agents.length() == 1  # the dialer's attempt key keeps it to one
    callback = first_callback(services, ticket)
    assert (callback.claims, callback.lease_expiries, callback.attempts) == (2, 1, 1)
    events = [e["event"] for e in services.scheduler.queue.events(callback.id)]
    assert events == ["scheduled", "claimed", "lease_expired", "claimed", "placed"]


class FlakyDialer:
    def __init__(self, inner: HumanQueueDialer, failures: int) -> None:
        self.inner = inner
        self.failures = failures

    def place(self, callback: Callback) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("switch busy")
        self.inner.place(callback)


def test_a_failing_dialer_puts_the_callback_back(
    redis_client: redis.Redis[bytes], tmp_path: Path
) -> None:
    dialer = FlakyDialer(HumanQueueDialer(redis_client), failures=1)
    services = build_services(redis_client, ManualClock(MONDAY_10), tmp_path, dialer=dialer)
    ticket = file_ticket(services)
    services.clock.set(at(23, 18))
    (failed,) = services.scheduler.run_due("w1")
    assert not failed.placed and failed.error
    callback = first_callback(services, ticket)
    assert callback.status is CallbackStatus.PENDING and callback.attempts == 0
    assert callback.due_at == at(23, 18) + POLICY.dialer_retry
    services.clock.set(callback.due_at)
    (placed,) = services.scheduler.run_due("w1")
    assert placed.placed and placed.attempt == 1


class AnsweringDialer:
    """An outbound dialer that knows the outcome at once."""

    def place(self, callback: Callback) -> Outcome:
        return Outcome.REACHED_RESOLVED


def test_a_dialer_may_report_the_outcome_itself(
    redis_client: redis.Redis[bytes], tmp_path: Path
) -> None:
    services = build_services(
        redis_client, ManualClock(MONDAY_10), tmp_path, dialer=AnsweringDialer()
    )
    ticket = file_ticket(services)
    services.clock.set(at(23, 18))
    (placement,) = services.scheduler.run_due("w1")
    assert placement.outcome == "reached_resolved"
    resolved = services.tickets.get_ticket(ticket.number)
    assert resolved is not None and resolved.status is TicketStatus.RESOLVED
    assert resolved.callbacks[0].actor == "dialer:w1"


def test_the_worker_round_places_and_escalates(services: Services) -> None:
    ticket = file_ticket(services)
    worker = CallbackWorker(services.scheduler, services.tickets, worker_id="w1")
    services.clock.set(at(23, 18))
    report = worker.run_once()
    assert [p.placed for p in report.placements] == [True] and report.escalated == []
    services.clock.set(at(24, 21, 1))  # promised time passed, nobody recorded an outcome
    report = worker.run_once()
    assert report.escalated == [ticket.number] and not report.errors
    escalated = services.tickets.get_ticket(ticket.number)
    assert escalated is not None
    assert (escalated.status, escalated.tier) == (TicketStatus.ESCALATED, "supervisor")
    change = escalated.history[-1]
    assert (change.actor, change.at) == (ESCALATION_ACTOR, at(24, 21, 1))


def test_agents_claim_acknowledge_and_take_over_abandoned_tasks(services: Services) -> None:
    for i in range(3):
        services.scheduler.schedule(f"T20261123990{i}", "13812345678", at(23, 11), key="x")
    services.clock.set(at(23, 11))
    services.scheduler.run_due("w1")
    agents = AgentQueue(services.redis)
    first = agents.claim("agent:1", count=2)
    assert len(first) == 2
    agents.ack(first[0].entry_id)
    second = agents.claim("agent:2", count=5, reclaim_idle_ms=0)  # agent:1 went away
    assert {t.callback_id for t in second} == {first[1].callback_id, "T202611239902-x"}


def test_callbacks_survive_a_redis_crash(private_redis: RedisServer, tmp_path: Path) -> None:
    services = build_services(private_redis.client(), ManualClock(MONDAY_10), tmp_path)
    ticket = file_ticket(services)
    private_redis.restart(hard=True)
    after = build_services(private_redis.client(), services.clock, tmp_path)
    services.clock.set(at(23, 18))
    (placement,) = after.scheduler.run_due("w1")
    assert placement.callback_id == f"{ticket.number}-first" and placement.placed
