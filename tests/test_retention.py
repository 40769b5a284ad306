"""Retention against a real Redis: old transcripts deleted, closed tickets' personal fields
blanked after `privacy.retention_days`, everything else left alone, and the log masked."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from bot.clock import ManualClock
from bot.retention import RetentionJob, main, retention_days
from bot.tickets.model import TicketStatus
from tests.support.processes import RedisServer
from tests.test_tickets_fixtures import MONDAY_10, build_services, complaint


def tracker(conversation: str, last_seen: float) -> str:
    return json.dumps({"sender_id": conversation, "events": [
        {"event": "action", "name": "action_listen", "timestamp": last_seen - 60},
        {"event": "user", "text": "我的电话是13900001234", "timestamp": last_seen},
    ]})


def test_retention_deletes_old_transcripts_and_blanks_old_closed_tickets(
    redis_client: redis.Redis[bytes], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(MONDAY_10)
    services = build_services(redis_client, clock, tmp_path / "outbox")
    tickets = services.tickets

    def filed(conversation: str, phone: str) -> str:
        request = complaint(conversation_id=conversation, phone=phone)
        result = tickets.create_ticket(request, f"{conversation}:1:ticket")
        assert result.ticket is not None
        return result.ticket.number

    old_closed = filed("conv-old-closed", "13900001234")
    old_open = filed("conv-old-open", "13900005678")
    recent_closed = filed("conv-recent-closed", "13900009999")
    for number in (old_closed, recent_closed):
        tickets.resolve(number, actor="agent")
    tickets.close(old_closed, actor="agent", satisfaction=5)
    clock.advance(timedelta(days=100))
    tickets.close(recent_closed, actor="agent", satisfaction=5)

    now = MONDAY_10 + timedelta(days=200)
    redis_client.set("hotline:tracker:13900001234", tracker("13900001234", (
        now - timedelta(days=181)).timestamp()))
    redis_client.set("hotline:tracker:fresh", tracker("fresh", (
        now - timedelta(days=179)).timestamp()))
    redis_client.set("hotline:tracker:garbled", b"\xff not json")
    redis_client.set("hotline:closed:13900001234", b"1")  # saved with the tracker
    redis_client.set("hotline:closed:fresh", b"0")
    redis_client.set("hotline:handoff:13900001234", b"{}")  # not a transcript

    clock.set(now)
    job = RetentionJob(redis_client, tickets.store, days=180, clock=clock)
    dry = job.run(dry_run=True)
    assert dry.transcripts_deleted == ["13900001234"] and dry.tickets_blanked == [old_closed]
    assert redis_client.exists("hotline:tracker:13900001234") == 1  # dry run changed nothing

    with caplog.at_level(logging.INFO, logger="bot.retention"):
        report = job.run()
    assert report.transcripts_deleted == ["13900001234"]
    assert report.tickets_blanked == [old_closed]
    assert report.skipped == ["garbled"]
    assert redis_client.exists("hotline:tracker:13900001234") == 0
    assert redis_client.exists("hotline:closed:13900001234") == 0  # the flag goes with it
    assert redis_client.exists("hotline:closed:fresh") == 1
    assert redis_client.exists("hotline:tracker:fresh", "hotline:tracker:garbled") == 2
    assert redis_client.exists("hotline:handoff:13900001234") == 1

    blanked = tickets.get_ticket(old_closed)
    assert blanked is not None and blanked.status is TicketStatus.CLOSED
    caller = blanked.caller
    assert (caller.surname, caller.title, caller.phone, caller.address) == ("", "", "", "")
    assert blanked.description and blanked.history  # the ticket itself stays
    assert tickets.find_by_phone("13900001234") == []  # phone index gone too
    for number in (old_open, recent_closed):  # not closed, or closed too recently
        kept = tickets.get_ticket(number)
        assert kept is not None and kept.caller.phone and kept.caller.surname

    logged = caplog.text
    assert "13900001234" not in logged and "*******1234" in logged
    assert "1 transcripts" in logged and old_closed in logged

    again = job.run()  # idempotent
    assert again.transcripts_deleted == [] and again.tickets_blanked == []


def test_retention_days_default_and_command_line(
    redis_server: RedisServer, redis_client: redis.Redis[bytes],
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert retention_days() == 180  # hotline.yml privacy.retention_days
    redis_client.set("hotline:tracker:ancient", tracker("ancient", 1_000_000.0))
    monkeypatch.setenv("HOTLINE_TICKET_STORE", "redis")
    url = f"redis://127.0.0.1:{redis_server.port}/1"
    assert main(["--redis-url", url, "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["transcripts_deleted"] == 1
    assert redis_client.exists("hotline:tracker:ancient") == 1
    assert main(["--redis-url", url]) == 0
    assert redis_client.exists("hotline:tracker:ancient") == 0
