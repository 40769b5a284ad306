"""Units of the action-server-down path: deferring a ticket, and saying the line once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import redis
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

from bot.clock import ManualClock
from bot.tickets.model import TicketStatus
from rasa_extensions.service_down import MARKER, said_this_turn
from tests.test_tickets_fixtures import MONDAY_10, build_services, complaint


def test_a_deferred_ticket_waits_in_the_outbox_and_is_filed_once(
    redis_client: redis.Redis[bytes], tmp_path: Path
) -> None:
    clock = ManualClock(MONDAY_10)
    tickets = build_services(redis_client, clock, tmp_path / "outbox").tickets
    key = "caller-1:session1:service_down"
    first = tickets.defer_ticket(complaint(incomplete=True), key, "action server down")
    clock.advance(timedelta(minutes=1))
    tickets.defer_ticket(complaint(incomplete=True), key, "action server down")  # next turn
    assert first.queued and tickets.find_by_phone("13812345678") == []  # nothing written yet
    assert tickets.outbox is not None and tickets.outbox.pending() == 2

    clock.advance(timedelta(hours=1))
    report = tickets.replay_outbox()
    assert (report.applied, report.dead, report.remaining) == (2, 0, 0)
    assert tickets.replay_outbox().applied == 0
    filed = tickets.find_by_phone("13812345678")
    assert len(filed) == 1 and filed[0].status is TicketStatus.INCOMPLETE
    assert filed[0].created_at == MONDAY_10  # when the caller spoke, not when replayed


def holding(said_by: str) -> BotUttered:
    return BotUttered("对不起,系统正在处理", metadata={MARKER: said_by})


def test_the_holding_line_is_said_once_per_turn_and_again_next_turn() -> None:
    listen = ActionExecuted("action_listen")
    assert not said_this_turn([listen, UserUttered("我要投诉")])
    assert said_this_turn([UserUttered("我要投诉"), holding("complaint_form")])
    # said by the session start that ran just before this message was logged
    assert said_this_turn([SessionStarted(), holding("action_session_start"), listen,
                           UserUttered("我要投诉")])
    # said in the previous turn: say it again now
    assert not said_this_turn([UserUttered("我要投诉"), holding("complaint_form"), listen,
                               UserUttered("还是漏水")])
    assert not said_this_turn([UserUttered("a"), holding("action_session_start"), listen,
                               UserUttered("b"), listen, UserUttered("c")])
