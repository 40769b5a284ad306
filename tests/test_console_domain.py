"""Domain pieces behind the console, on a real Redis: claiming hand-offs (atomic), agents
holding callbacks (out of the worker's reach), recording outcomes and rescheduling with
the actor in the event log, editing ticket owner/severity, and who hung up first in the
script audit."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from bot.callbacks.agents import AgentCallbacks, CallbackHeld
from bot.callbacks.model import Callback, CallbackStatus
from bot.callbacks.scheduler import CallbackNotFound, CallbackStateError
from bot.clock import ManualClock
from bot.config import hotline_config
from bot.handoffs import EVENTS_STREAM, HandoffQueue
from bot.script_audit import HangupRule, audit_transcript, hangup_rule_from_config
from bot.tickets.errors import ValidationFailed
from bot.tickets.model import Severity, TicketStatus
from tests.support.processes import wait_until
from tests.test_tickets_fixtures import MONDAY_10, Services, at, build_services, complaint


# -- hand-offs ------------------------------------------------------------------------------
def test_of_many_agents_claiming_at_once_exactly_one_wins(
    redis_client: redis.Redis[bytes],
) -> None:
    queue = HandoffQueue(redis_client)
    conversations = [f"race-{n}" for n in range(20)]
    for cid in conversations:
        queue.hand_off(cid, "angry", "webchat", caller_phone="13812345678")
    winners: dict[str, list[str]] = {cid: [] for cid in conversations}
    start = threading.Barrier(4)

    def agent(name: str) -> None:
        mine = HandoffQueue(redis.Redis(**redis_client.connection_pool.connection_kwargs))
        start.wait()
        for cid in conversations:
            if mine.claim(cid, name).won:
                winners[cid].append(name)

    threads = [threading.Thread(target=agent, args=(f"agent{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(len(names) == 1 for names in winners.values()), winners
    assert queue.waiting() == []
    stored = queue.get("race-0")
    assert stored is not None and stored.claimed_by == winners["race-0"][0]
    assert stored.caller_masked == "*******5678" and stored.ticket_id is None
    claimed = [f for _, f in redis_client.xrange(EVENTS_STREAM) if f[b"type"] == b"claimed"]
    assert len(claimed) == 20
    lost = queue.claim("race-0", "late-agent")
    assert not lost.won and lost.handoff is not None
    assert lost.handoff.claimed_by == winners["race-0"][0]
    missing = queue.claim("no-such-conversation", "agent0")
    assert not missing.won and missing.handoff is None


# -- callbacks held by agents ---------------------------------------------------------------
@pytest.fixture()
def services(redis_client: redis.Redis[bytes], tmp_path: Path) -> Services:
    return build_services(redis_client, ManualClock(MONDAY_10), tmp_path / "outbox")


def agents_of(services: Services, hold: timedelta = timedelta(minutes=30)) -> AgentCallbacks:
    policy = services.tickets.policy
    return AgentCallbacks(services.scheduler, hold=hold, hours=policy.hours,
                          limits=policy.limits)


def due_callback(services: Services, key: str = "c:1", phone: str = "13812345678") -> Callback:
    ticket = services.tickets.create_ticket(complaint(phone=phone), key).ticket
    assert ticket is not None
    (callback,) = services.scheduler.for_ticket(ticket.number)
    services.clock.set(callback.due_at + timedelta(minutes=5))
    return callback


def test_a_held_callback_is_not_placed_by_the_worker_and_others_see_who_has_it(
    services: Services,
) -> None:
    callback = due_callback(services)
    agents = agents_of(services)
    board = agents.board()
    assert [e.callback.id for e in board.overdue] == [callback.id] and board.due == []
    assert agents.claim(callback.id, "wang").status is CallbackStatus.CLAIMED
    assert services.scheduler.run_due("worker-1") == []  # the worker leaves it alone
    with pytest.raises(CallbackHeld) as held:
        agents.claim(callback.id, "li")
    assert held.value.holder == "wang"
    [entry] = agents.board().overdue
    assert entry.holder == "wang" and entry.overdue
    with pytest.raises(CallbackStateError):
        agents.record_outcome(callback.id, "li", "reached_resolved")

    assert agents.get("due") is None and agents.get(callback.id) is not None
    with pytest.raises(CallbackNotFound):
        agents.claim("leases", "wang")  # the queue's own index key, not a callback
    done = agents.record_outcome(callback.id, "wang", "no_answer", note="关机")
    assert (done.status, done.attempts, done.last_outcome_actor) == (
        CallbackStatus.PENDING, 1, "agent:wang")
    assert done.due_at == services.clock.now() + timedelta(minutes=30)  # the policy's retry
    assert agents.holder(callback.id) == ""  # released with the outcome
    log = [(e["event"], e.get("actor") or e.get("worker")) for e in agents.events(callback.id)]
    assert log == [("scheduled", None), ("agent_claimed", "wang"), ("placed", "wang"),
                   ("outcome", "agent:wang"), ("agent_released", "wang")]
    ticket = services.tickets.get_ticket(callback.ticket_number)
    assert [(c.outcome, c.actor) for c in ticket.callbacks] == [("no_answer", "agent:wang")]


def test_two_agents_claiming_the_same_callback_at_once_one_wins(services: Services) -> None:
    callback = due_callback(services)
    agents = agents_of(services)
    results: list[str] = []
    start = threading.Barrier(6)

    def claim(name: str) -> None:
        start.wait()
        try:
            agents.claim(callback.id, name)
            results.append(name)
        except CallbackHeld:
            pass

    threads = [threading.Thread(target=claim, args=(f"a{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 1 and agents.holder(callback.id) == results[0]


def test_a_worker_placed_callback_is_held_and_resolved_by_an_agent(services: Services) -> None:
    callback = due_callback(services)
    agents = agents_of(services)
    [placement] = services.scheduler.run_due("worker-1")
    assert placement.placed
    with pytest.raises(CallbackStateError):
        agents.record_outcome(callback.id, "wang", "reached_resolved")  # not held
    agents.claim(callback.id, "wang")
    with pytest.raises(ValidationFailed):
        agents.record_outcome(callback.id, "wang", "made_up_code")
    done = agents.record_outcome(callback.id, "wang", "reached_resolved")
    assert (done.status, done.attempts) == (CallbackStatus.DONE, 1)  # the worker's attempt
    ticket = services.tickets.get_ticket(callback.ticket_number)
    assert ticket.status is TicketStatus.RESOLVED
    with pytest.raises(CallbackStateError):
        agents.claim(callback.id, "wang")  # finished


def test_an_abandoned_hold_comes_back_to_the_worker(services: Services) -> None:
    callback = due_callback(services)
    agents = agents_of(services, hold=timedelta(milliseconds=100))
    agents.claim(callback.id, "wang")
    # holds run on the Redis server's clock: wait for this one to run out (30 s: safety net)
    assert wait_until(lambda: agents.holder(callback.id) == "", timeout=30, interval=0.05)
    [placement] = services.scheduler.run_due("worker-1")
    assert placement.placed and placement.callback_id == callback.id
    events = [e["event"] for e in agents.events(callback.id)]
    assert events[-3:] == ["lease_expired", "claimed", "placed"]


def test_reschedule_is_validated_and_logged_with_the_actor(services: Services) -> None:
    callback = due_callback(services)
    agents = agents_of(services)
    for bad in (at(23, 9), at(24, 22, 30), at(24, 7), services.clock.now() + timedelta(days=40)):
        with pytest.raises(ValidationFailed):
            agents.reschedule(callback.id, "wang", bad)
    agents.claim(callback.id, "li")
    with pytest.raises(CallbackHeld):
        agents.reschedule(callback.id, "wang", at(24, 15))
    moved = agents.reschedule(callback.id, "li", at(24, 15), note="客户要求明天下午")
    assert (moved.status, moved.due_at) == (CallbackStatus.PENDING, at(24, 15))
    assert agents.holder(callback.id) == ""
    last = agents.events(callback.id)[-1]
    assert (last["event"], last["actor"], last["due_at"]) == (
        "rescheduled", "li", at(24, 15).isoformat())
    assert last["previous_due_at"] == callback.due_at.isoformat()
    assert services.scheduler.run_due("worker-1") == []  # not due any more
    assert [e.callback.id for e in agents.board(until=at(25, 0)).due] == [callback.id]


# -- tickets ---------------------------------------------------------------------------------
def test_owner_and_severity_changes_are_noted_and_severity_tightens_the_deadline(
    services: Services,
) -> None:
    ticket = services.tickets.create_ticket(complaint(), "t:1").ticket
    assert ticket is not None and ticket.severity is Severity.NORMAL
    owned = services.tickets.assign_owner(ticket.number, "  张 三 ", "super1")
    assert owned.owner == "张 三" and owned.notes[-1].text == "owner: assistant -> 张 三"
    assert services.tickets.assign_owner(ticket.number, "张 三", "super1").version == owned.version
    with pytest.raises(ValidationFailed):
        services.tickets.assign_owner(ticket.number, "   ", "super1")
    with pytest.raises(ValidationFailed):
        services.tickets.change_severity(ticket.number, "catastrophic", "super1")
    urgent = services.tickets.change_severity(ticket.number, "urgent", "super1", "媒体")
    assert urgent.severity is Severity.URGENT
    assert urgent.due_at is not None and ticket.due_at is not None
    assert urgent.due_at < ticket.due_at and urgent.promised_at == ticket.promised_at
    assert urgent.notes[-1].author == "super1"
    assert urgent.notes[-1].text == "severity: normal -> urgent (媒体)"
    lowered = services.tickets.change_severity(ticket.number, Severity.NORMAL, "super1")
    assert lowered.due_at == urgent.due_at  # lowering never moves the deadline later
    noted = services.tickets.add_note(ticket.number, "agent1", "已联系仓库")
    assert noted.notes[-1].text == "已联系仓库"


# -- who hung up first ------------------------------------------------------------------------
OPENING = {"event": "bot", "text": "您好", "timestamp": 100.0,
           "metadata": {"utter_action": "utter_opening"}}
USER = {"event": "user", "text": "没事了", "timestamp": 105.0}
CLOSING = {"event": "bot", "text": "感谢您的来电,再见!", "timestamp": 110.0,
           "metadata": {"utter_action": "utter_closing"}}
SILENCE_CLOSING = {"event": "bot", "text": "对不起,您的电话没有声音……", "timestamp": 110.0,
                   "metadata": {"utter_action": "utter_silence_closing"}}
RULE = HangupRule(goodbye_wait_s=10, scripted_wait_s=5,
                  scripted_reasons=frozenset({"silence", "malicious"}))


def hangup_findings(events, call):  # type: ignore[no-untyped-def]
    result = audit_transcript("CA1", events, call=call, hangup=RULE)
    return result.hung_up_by, [(f.kind, f.detail) for f in result.findings]


def test_the_bot_may_hang_up_first_only_after_its_closing_line_and_the_wait() -> None:
    caller = {"hung_up_by": "caller", "end_reason": "caller_hangup"}
    assert hangup_findings([OPENING, USER, CLOSING], caller) == ("caller", [])
    waited = {"hung_up_by": "bot", "end_reason": "goodbye", "bot_hangup_at": "121.5"}
    assert hangup_findings([OPENING, USER, CLOSING], waited) == ("bot", [])
    early = {"hung_up_by": "bot", "end_reason": "goodbye", "bot_hangup_at": "114.0"}
    assert hangup_findings([OPENING, USER, CLOSING], early) == (
        "bot", [("bot_hung_up_first", "4.0s after the closing line (goodbye: 10s)")])
    scripted = {"hung_up_by": "bot", "end_reason": "silence", "bot_hangup_at": "116.0"}
    assert hangup_findings([OPENING, USER, SILENCE_CLOSING], scripted) == ("bot", [])
    no_closing = {"hung_up_by": "bot", "end_reason": "end", "bot_hangup_at": "200"}
    assert hangup_findings([OPENING, USER], no_closing) == (
        "bot", [("missing_closing", "您好"), ("bot_hung_up_first", "no closing line")])
    assert audit_transcript("web", [OPENING, USER, CLOSING]).hung_up_by is None


def test_the_hangup_rule_comes_from_the_telephony_ending_settings() -> None:
    rule = hangup_rule_from_config(hotline_config())
    ending = hotline_config().raw["telephony"]["ending"]
    assert rule.goodbye_wait_s == ending["goodbye_wait_s"]
    assert rule.scripted_wait_s == ending["hangup_after_s"]
    assert rule.scripted_reasons == frozenset(ending["scripted_reasons"])
