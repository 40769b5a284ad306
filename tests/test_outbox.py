"""The durable outbox: append/replay on disk, and the ticket service falling back to it
while a real Redis is down, then replaying without duplicates once it is back."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

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


# --- several processes: Rasa replicas deferring, callback workers replaying ---------------
# Real OS processes (spawned) share one outbox directory, as two Rasa replicas and the
# callback worker on one host do (HOTLINE_OUTBOX_DIR); they meet only through flock and the
# real Redis ticket store.

DEFERRED = 12


def _services(redis_url: str, outbox_dir: str):  # type: ignore[no-untyped-def]
    return build_services(build_redis(redis_url), ManualClock(MONDAY_10), Path(outbox_dir))


def _replica_defers_then_is_killed(redis_url: str, outbox_dir: str) -> None:
    """A Rasa replica: every deferral returns only after the fsync, then SIGKILL."""
    tickets = _services(redis_url, outbox_dir).tickets
    for i in range(DEFERRED):  # the other replica defers the same sessions' tickets too
        key = f"conv-{i}:session1:service_down"
        tickets.defer_ticket(complaint(conversation_id=f"conv-{i}"), key, "action server down")
    os.kill(os.getpid(), signal.SIGKILL)


def _worker_replays_until_told(redis_url: str, outbox_dir: str, stop: Any) -> None:
    tickets = _services(redis_url, outbox_dir).tickets
    assert tickets.outbox is not None
    while not (stop.is_set() and tickets.outbox.pending() == 0):
        tickets.replay_outbox()
        time.sleep(0.01)


def _worker_killed_after(redis_url: str, outbox_dir: str, applied_before_kill: int) -> None:
    """A callback worker killed in the middle of a replay (after some entries were filed)."""
    tickets = _services(redis_url, outbox_dir).tickets
    done = []

    def apply(entry: OutboxEntry) -> None:
        tickets.replay.apply(entry)
        done.append(entry.key)
        if len(done) == applied_before_kill:
            os.kill(os.getpid(), signal.SIGKILL)

    assert tickets.outbox is not None
    tickets.outbox.replay(apply)


def _created(services: Any) -> list[str]:
    return [str(n) for n in services.redis.zrange("hotline:tickets:created", 0, -1)]


def test_two_replicas_killed_after_deferring_and_two_workers_file_each_ticket_once(
    private_redis: RedisServer, tmp_path: Path
) -> None:
    spawn = multiprocessing.get_context("spawn")
    box = str(tmp_path / "outbox")
    stop = spawn.Event()
    workers = [spawn.Process(target=_worker_replays_until_told, args=(private_redis.url, box,
                                                                      stop)) for _ in range(2)]
    replicas = [spawn.Process(target=_replica_defers_then_is_killed,
                              args=(private_redis.url, box)) for _ in range(2)]
    for process in workers + replicas:
        process.start()
    for replica in replicas:
        replica.join(60)
        assert replica.exitcode == -signal.SIGKILL
    stop.set()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0

    services = _services(private_redis.url, box)
    created = _created(services)
    assert len(created) == DEFERRED  # 2 x 12 deferrals, 12 sessions: 12 tickets
    tickets = [services.tickets.get_ticket(number) for number in created]
    assert sorted(t.conversation_id for t in tickets if t) == sorted(
        f"conv-{i}" for i in range(DEFERRED))
    assert all(len(services.scheduler.for_ticket(n)) == 1 for n in created)
    assert services.tickets.outbox is not None and services.tickets.outbox.pending() == 0
    assert not services.tickets.outbox.dead_path.exists()


def test_a_worker_killed_mid_replay_leaves_the_rest_for_the_next_without_doubles(
    private_redis: RedisServer, tmp_path: Path
) -> None:
    box = str(tmp_path / "outbox")
    services = _services(private_redis.url, box)
    for i in range(5):
        services.tickets.defer_ticket(complaint(conversation_id=f"conv-{i}"),
                                      f"conv-{i}:session1:service_down", "action server down")
    worker = multiprocessing.get_context("spawn").Process(
        target=_worker_killed_after, args=(private_redis.url, box, 2))
    worker.start()
    worker.join(60)
    assert worker.exitcode == -signal.SIGKILL
    assert len(_created(services)) == 2
    assert services.tickets.outbox is not None and services.tickets.outbox.pending() == 5

    report = services.tickets.replay_outbox()  # the two filed ones are applied again...
    assert (report.applied, report.remaining, report.dead) == (5, 0, 0)
    created = _created(services)
    assert len(created) == 5  # ...under their keys: still one ticket each
    assert all(len(services.scheduler.for_ticket(n)) == 1 for n in created)
    assert services.tickets.outbox.pending() == 0
