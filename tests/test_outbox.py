"""The durable outbox: append/replay on disk, and the ticket service falling back to it
while a real Redis is down, then replaying without duplicates once it is back."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.outbox import Outbox, OutboxEntry
from bot.redis_client import build_redis
from bot.tickets.errors import NotRecorded, ValidationFailed
from bot.tickets.model import CreateOutcome, FeedbackRequest, TicketStatus
from tests.support.processes import RedisServer
from tests.test_tickets_fixtures import MONDAY_10, build_services, complaint


class Recorder:
    def __init__(self, fail_on: set[str] | None = None, reject: set[str] | None = None) -> None:
        self.applied: list[str] = []
        self.fail_on = fail_on or set()
        self.reject = reject or set()

    def __call__(self, entry: OutboxEntry) -> None:
        if entry.key in self.fail_on:
            raise ConnectionError("store still down")
        if entry.key in self.reject:
            raise ValidationFailed([])
        self.applied.append(entry.key)


def test_entries_replay_in_order_and_the_file_goes_away(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "box")
    for key in ("a", "b", "c"):
        outbox.append("ticket", key, {"n": key})
    assert outbox.pending() == 3
    recorder = Recorder()
    report = outbox.replay(recorder)
    assert recorder.applied == ["a", "b", "c"] and report.applied == 3
    assert outbox.pending() == 0 and list((tmp_path / "box").glob("*.jsonl")) == []
    assert outbox.replay(recorder).applied == 0


def test_a_transient_failure_keeps_the_rest_for_next_time(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    for key in ("a", "b", "c"):
        outbox.append("ticket", key, {})
    first = outbox.replay(Recorder(fail_on={"b"}))
    assert (first.applied, first.remaining, first.error is not None) == (1, 2, True)
    outbox.append("ticket", "d", {})  # arrives while the batch waits
    recorder = Recorder()
    second = outbox.replay(recorder)
    assert recorder.applied == ["b", "c", "d"]  # "a" is not applied again
    assert second.remaining == 0 and outbox.pending() == 0


def test_permanently_invalid_entries_and_torn_lines_go_to_the_dead_letter_file(
    tmp_path: Path,
) -> None:
    outbox = Outbox(tmp_path)
    outbox.append("ticket", "good-1", {})
    outbox.append("ticket", "bad", {})
    with open(outbox.path, "ab") as handle:  # a crash in the middle of a write
        handle.write(b'{"v":1,"kind":"ticket","key":"torn","payl')
    outbox.append("ticket", "good-2", {})  # must not be glued onto the torn line
    recorder = Recorder(reject={"bad"})
    report = outbox.replay(recorder, permanent=(ValidationFailed,))
    assert recorder.applied == ["good-1", "good-2"]
    assert (report.applied, report.dead) == (2, 2)
    assert len(outbox.dead_path.read_text().splitlines()) == 2


def test_concurrent_appends_stay_whole_lines(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)

    def write(worker: int) -> None:
        for i in range(25):
            outbox.append("ticket", f"{worker}:{i}", {"text": "x" * 5000})

    threads = [threading.Thread(target=write, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recorder = Recorder()
    assert outbox.replay(recorder).dead == 0
    assert sorted(recorder.applied) == sorted(f"{w}:{i}" for w in range(6) for i in range(25))


def test_service_queues_while_redis_is_down_and_replays_once(
    private_redis: RedisServer, tmp_path: Path
) -> None:
    clock = ManualClock(MONDAY_10)
    services = build_services(build_redis(private_redis.url), clock, tmp_path / "outbox")
    tickets = services.tickets
    private_redis.stop()

    queued = tickets.create_ticket(complaint(), "down:1")
    retried = tickets.create_ticket(complaint(), "down:1")  # the action retried the turn
    praise = tickets.record_feedback(FeedbackRequest("praise", "kind agent", "down", "phone"), "p")
    assert (
        queued.outcome is CreateOutcome.QUEUED and queued.ticket is None and queued.number is None
    )
    assert retried.queued and praise.queued
    assert tickets.outbox is not None and tickets.outbox.pending() == 3
    assert tickets.replay_outbox().remaining == 3  # still down: nothing lost

    clock.advance(hours=3)
    private_redis.start()
    report = tickets.replay_outbox()
    assert (report.applied, report.remaining, report.dead) == (3, 0, 0)
    assert tickets.replay_outbox().applied == 0

    created = tickets.find_by_phone("13812345678")
    assert len(created) == 1
    ticket = created[0]
    assert ticket.created_at == MONDAY_10  # deadlines from when the caller spoke
    assert ticket.status is TicketStatus.OPEN
    assert len(services.scheduler.for_ticket(ticket.number)) == 1
    again = tickets.create_ticket(complaint(), "down:1")
    assert again.outcome is CreateOutcome.EXISTING and again.ticket == ticket
    assert services.redis.zcard("hotline:feedbacks:created") == 1


def test_not_recorded_when_the_outbox_cannot_be_written_either(
    private_redis: RedisServer, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    services = build_services(build_redis(private_redis.url), ManualClock(MONDAY_10), blocker)
    private_redis.stop()
    with pytest.raises(NotRecorded):
        services.tickets.create_ticket(complaint(), "lost:1")
