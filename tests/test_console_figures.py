"""The §8 figures (bot/figures.py) computed from records written by the real services into
a real Redis: conversation outcomes, hand-offs, tickets and callbacks at known times."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import redis

from bot.clock import ManualClock
from bot.config import hotline_config
from bot.figures import compute_figures, load_figure_data, period_of, select_records
from bot.handoffs import HandoffQueue
from bot.outcomes import ConversationOutcomes
from tests.test_tickets_fixtures import SHANGHAI, at, build_services, complaint

NOW = at(23, 20)


@pytest.fixture()
def seeded(redis_client: redis.Redis[bytes], tmp_path: Path) -> redis.Redis[bytes]:
    clock = ManualClock(at(10, 12))
    outcomes = ConversationOutcomes(redis_client, clock)
    handoffs = HandoffQueue(redis_client, clock)
    services = build_services(redis_client, clock, tmp_path / "outbox")

    # the 10th: outside the 7-day period, inside the 30-day one
    outcomes.record_end("c5", "goodbye", "webchat", served=True, handed_off=False)
    handoffs.hand_off("c7", "angry", "phone")
    clock.set(at(22, 10))
    outcomes.record_end("c1", "goodbye", "webchat", served=True, handed_off=False)
    outcomes.record_satisfaction("c1", 5)
    handoffs.hand_off("c2", "angry", "phone")
    outcomes.record_end("c2", "caller_hangup", "phone", served=False, handed_off=True)
    on_time = services.tickets.create_ticket(complaint(phone="13800000001"), "f:1").ticket
    clock.set(at(22, 18, 1))  # its first callback was due at 18:00: placed within the grace
    assert [p.placed for p in services.scheduler.run_due("worker-1")] == [True]
    services.tickets.record_satisfaction(on_time.number, 4, "agent1")

    clock.set(at(23, 10))
    outcomes.record_end("c3", "goodbye", "phone", served=True, handed_off=False)
    outcomes.record_satisfaction("c3", 3)
    outcomes.record_end("c4", "idle", "rest", served=False, handed_off=False)
    handoffs.hand_off("c6", "request_human", "webchat")  # still with a person
    services.tickets.create_ticket(  # due 18:00, never called by 20:00: late
        complaint(phone="13800000002", category="staff_error"), "f:2")
    clock.set(at(23, 19))
    services.tickets.create_ticket(  # due tomorrow: not judged yet
        complaint(phone="13800000003", category="staff_error"), "f:3")
    return redis_client


def figures(client: redis.Redis[bytes], days: int) -> dict:
    period = period_of(days, NOW, SHANGHAI)
    return compute_figures(load_figure_data(client, period), period, tz=SHANGHAI,
                           categories=hotline_config().complaint_categories,
                           callback_grace=timedelta(minutes=10))


def test_the_last_seven_days(seeded: redis.Redis[bytes]) -> None:
    data = figures(seeded, 7)
    assert data["days"] == [f"2026-11-{d}" for d in range(17, 24)]
    conversations = data["conversations"]
    assert conversations["total"] == 4
    assert conversations["by_channel"] == {"phone": 2, "webchat": 1, "rest": 1}
    per_day = {d["day"]: d for d in conversations["per_day"]}
    assert per_day["2026-11-22"] == {"day": "2026-11-22", "phone": 1, "webchat": 1, "rest": 0}
    assert per_day["2026-11-23"] == {"day": "2026-11-23", "phone": 1, "webchat": 0, "rest": 1}
    assert per_day["2026-11-17"]["phone"] == 0
    assert data["containment"] == {"contained": 2, "total": 4, "rate": 0.5}
    assert data["handoffs"]["total"] == 2 and data["handoffs"]["rate"] == 0.5
    assert data["handoffs"]["by_reason"] == [
        {"reason": "angry", "count": 1, "rate": 0.25},
        {"reason": "request_human", "count": 1, "rate": 0.25},
    ]
    assert data["complaints"]["total"] == 3
    assert data["complaints"]["by_category"] == [
        {"category": "staff_error", "label": "工作失误(多收费、信息错误、发错货)", "count": 2},
        {"category": "product_fault", "label": "商品质量问题", "count": 1},
    ]
    callbacks = data["callbacks"]
    assert (callbacks["due"], callbacks["on_time"], callbacks["late"], callbacks["not_called"],
            callbacks["waiting"], callbacks["rate"]) == (2, 1, 1, 1, 0, 0.5)
    satisfaction = data["satisfaction"]
    assert (satisfaction["rated"], satisfaction["average"]) == (2, 4.0)
    assert satisfaction["distribution"] == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}
    assert (satisfaction["tickets_rated"], satisfaction["tickets_average"]) == (1, 4.0)


def test_thirty_days_include_the_older_records_and_bad_periods_are_refused(
    seeded: redis.Redis[bytes],
) -> None:
    data = figures(seeded, 30)
    assert len(data["days"]) == 30 and data["days"][-1] == "2026-11-23"
    assert data["conversations"]["total"] == 5
    assert data["containment"] == {"contained": 3, "total": 5, "rate": 0.6}
    assert data["handoffs"]["by_reason"][0] == {"reason": "angry", "count": 2, "rate": 0.4}
    with pytest.raises(ValueError):
        period_of(8, NOW, SHANGHAI)


def test_an_empty_redis_gives_zeros_not_errors(redis_client: redis.Redis[bytes]) -> None:
    redis_client.set("hotline:handoff:broken", "{not json")
    data = figures(redis_client, 7)
    assert data["conversations"]["total"] == 0 and data["containment"]["rate"] is None
    assert data["handoffs"] == {"total": 0, "rate": None, "by_reason": []}
    assert data["callbacks"]["rate"] is None and data["satisfaction"]["average"] is None


# -- one test per figure: known records, the number, and the records behind it ----------------
# The drill-down of the console (console.drilldown) lists bot.figures.select_records, the
# selection the number is counted from; each test checks both.

def drill(client: redis.Redis[bytes], figure: str, part: str = "", days: int = 7) -> list[dict]:
    from console.drilldown import records_of
    from console.labels import labels
    from console.timefmt import TimeFormat

    period = period_of(days, NOW, SHANGHAI)
    chosen = select_records(load_figure_data(client, period), period,
                            callback_grace=timedelta(minutes=10))
    found = records_of(chosen, figure, part, "", labels(), TimeFormat(SHANGHAI), SHANGHAI)
    assert found is not None
    return found["rows"]


@pytest.fixture()
def services(redis_client: redis.Redis[bytes], tmp_path: Path):  # type: ignore[no-untyped-def]
    return build_services(redis_client, ManualClock(at(22, 10)), tmp_path / "outbox")


def test_complaints_count_an_incomplete_staff_attitude_complaint(services) -> None:  # type: ignore[no-untyped-def]
    """The bug of issue 17: `投诉 0` on a day whose only ticket was a staff-attitude
    complaint the caller hung up on (stored `incomplete`)."""
    ticket = services.tickets.create_ticket(
        complaint(category="staff_attitude", incomplete=True, latest_intent="angry"), "i:1").ticket
    assert ticket.status.value == "incomplete"
    data = figures(services.redis, 7)
    assert data["complaints"]["total"] == 1 and data["complaints"]["incomplete"] == 1
    assert data["complaints"]["by_category"] == [
        {"category": "staff_attitude", "label": "服务态度", "count": 1}]
    rows = drill(services.redis, "complaints")
    assert [(r["number"], r["category"], r["status"]) for r in rows] == [
        (ticket.number, "服务态度", "信息不全")]
    assert [r["number"] for r in drill(services.redis, "complaints", "staff_attitude")] == [
        ticket.number]


def test_hand_off_rate_is_hand_offs_over_ended_conversations(services) -> None:  # type: ignore[no-untyped-def]
    outcomes = ConversationOutcomes(services.redis, services.clock)
    queue = HandoffQueue(services.redis, services.clock)
    for n in range(4):
        outcomes.record_end(f"h{n}", "goodbye", "phone", served=True, handed_off=n == 0)
    queue.hand_off("h0", "request_human", "phone")
    data = figures(services.redis, 7)
    assert (data["handoffs"]["total"], data["handoffs"]["rate"]) == (1, 0.25)
    assert [(r["conversation_id"], r["reason"]) for r in drill(services.redis, "handoffs")] == [
        ("h0", "客户要求人工")]


def test_containment_and_first_contact_resolution(services) -> None:  # type: ignore[no-untyped-def]
    outcomes = ConversationOutcomes(services.redis, services.clock)
    outcomes.record_end("alone", "goodbye", "webchat", served=True, handed_off=False)
    outcomes.record_end("ticketed", "goodbye", "webchat", served=True, handed_off=False)
    outcomes.record_end("person", "goodbye", "phone", served=True, handed_off=True)
    outcomes.record_end("lost", "caller_hangup", "phone", served=False, handed_off=False)
    services.tickets.create_ticket(complaint(conversation_id="ticketed"), "fcr:1")
    data = figures(services.redis, 7)
    assert data["containment"] == {"contained": 2, "total": 4, "rate": 0.5}
    assert data["first_contact"] == {"resolved": 1, "total": 4, "rate": 0.25}
    assert {r["conversation_id"] for r in drill(services.redis, "containment")} == {
        "alone", "ticketed"}
    assert [r["conversation_id"] for r in drill(services.redis, "first_contact")] == ["alone"]
    assert {r["conversation_id"] for r in drill(services.redis, "first_contact", "not")} == {
        "ticketed", "person", "lost"}


def test_callbacks_on_time(services) -> None:  # type: ignore[no-untyped-def]
    early = services.tickets.create_ticket(complaint(phone="13800000011"), "cb:1").ticket
    late = services.tickets.create_ticket(complaint(phone="13800000012"), "cb:2").ticket
    (first,) = services.scheduler.for_ticket(early.number)
    (second,) = services.scheduler.for_ticket(late.number)
    assert first.due_at == second.due_at
    services.clock.set(first.due_at + timedelta(minutes=5))  # within the 10-minute grace
    placed = services.scheduler.run_due("w")
    assert {p.callback_id for p in placed} == {first.id, second.id}
    # both placed at once: on time; a third, never called, is late once the grace is over
    third = services.scheduler.schedule(late.number, "13800000012",
                                        first.due_at + timedelta(minutes=10), key="x")
    services.clock.set(at(22, 20))
    data = figures(services.redis, 7)
    callbacks = data["callbacks"]
    assert (callbacks["on_time"], callbacks["late"], callbacks["not_called"],
            callbacks["rate"]) == (2, 1, 1, round(2 / 3, 4))
    assert {r["callback_id"] for r in drill(services.redis, "callbacks", "on_time")} == {
        first.id, second.id}
    assert [(r["callback_id"], r["first_call"]) for r in
            drill(services.redis, "callbacks", "late")] == [(third.id, "未拨打")]


def test_satisfaction(services) -> None:  # type: ignore[no-untyped-def]
    outcomes = ConversationOutcomes(services.redis, services.clock)
    for cid, score in [("s1", 5), ("s2", 4), ("s3", 2)]:
        outcomes.record_end(cid, "goodbye", "webchat", served=True, handed_off=False)
        outcomes.record_satisfaction(cid, score)
    outcomes.record_end("s4", "goodbye", "webchat", served=True, handed_off=False)  # no rating
    data = figures(services.redis, 7)["satisfaction"]
    assert (data["rated"], data["average"]) == (3, round(11 / 3, 2))
    assert data["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert {r["conversation_id"] for r in drill(services.redis, "satisfaction")} == {
        "s1", "s2", "s3"}
    assert [r["conversation_id"] for r in drill(services.redis, "satisfaction", "2")] == ["s3"]
