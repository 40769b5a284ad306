"""The callback worker: `python -m bot.callbacks.worker [--once] [...]`.

Each round it (1) replays the ticket outbox, (2) claims due callbacks and places them
through the dialer, (3) escalates tickets whose promised time passed unhandled. Steps
are independent: a failing one is logged and the others still run. SIGTERM/SIGINT stop
the loop after the current round. Several workers may run at once (leases and atomic
ticket updates keep them from doing anything twice).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import FrameType

from bot.callbacks.model import Placement
from bot.callbacks.scheduler import CallbackScheduler
from bot.clock import Clock, OffsetClock, SystemClock
from bot.config import ConfigError, settings
from bot.redis_client import UNAVAILABLE_ERRORS, build_redis
from bot.tickets.errors import StoreUnavailable
from bot.tickets.service import TicketService
from bot.wiring import build_callback_scheduler  # the process entry point wires the services

log = logging.getLogger("bot.callbacks.worker")


@dataclass
class RoundReport:
    placements: list[Placement] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    replayed: int = 0
    errors: list[str] = field(default_factory=list)


class CallbackWorker:
    def __init__(
        self,
        scheduler: CallbackScheduler,
        tickets: TicketService | None,
        *,
        worker_id: str,
        batch_size: int | None = None,
        replay_outbox: bool = True,
        escalate: bool = True,
    ) -> None:
        self.scheduler = scheduler
        self.tickets = tickets
        self.worker_id = worker_id
        self.batch_size = batch_size or scheduler.policy.batch_size
        self.replay_outbox = replay_outbox
        self.escalate = escalate

    def run_once(self) -> RoundReport:
        report = RoundReport()
        if self.tickets is not None and self.replay_outbox:
            self._step(report, "replay", lambda: self._replay(report))
        self._step(
            report,
            "place",
            lambda: report.placements.extend(
                self.scheduler.run_due(self.worker_id, self.batch_size)
            ),
        )
        if self.tickets is not None and self.escalate:
            tickets = self.tickets
            self._step(
                report, "escalate", lambda: report.escalated.extend(tickets.escalate_overdue())
            )
        return report

    def _replay(self, report: RoundReport) -> None:
        assert self.tickets is not None
        result = self.tickets.replay_outbox()
        report.replayed = result.applied
        if result.error:
            report.errors.append(f"replay: {result.error}")

    @staticmethod
    def _step(report: RoundReport, name: str, action: Callable[[], object]) -> None:
        try:
            action()
        except (StoreUnavailable, *UNAVAILABLE_ERRORS) as exc:
            report.errors.append(f"{name}: store unavailable: {exc}")
            log.warning("%s skipped, store unavailable: %s", name, exc)
        except Exception as exc:  # noqa: BLE001 - keep the loop alive; the error is logged
            report.errors.append(f"{name}: {type(exc).__name__}: {exc}")
            log.exception("%s failed", name)

    def run_forever(self, stop: threading.Event, poll_interval: float | None = None) -> None:
        interval = poll_interval or self.scheduler.policy.poll_interval_seconds
        log.info("callback worker %s started (poll %.2fs)", self.worker_id, interval)
        while not stop.is_set():
            report = self.run_once()
            busy = len(report.placements) >= self.batch_size and not report.errors
            if not busy:
                stop.wait(interval)
        log.info("callback worker %s stopped", self.worker_id)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.callbacks.worker", description=__doc__)
    parser.add_argument("--once", action="store_true", help="run one round and exit")
    parser.add_argument("--poll-interval", type=float, help="seconds between rounds")
    parser.add_argument("--batch-size", type=int, help="callbacks claimed per round")
    parser.add_argument("--worker-id", default=f"{socket.gethostname()}:{os.getpid()}")
    parser.add_argument("--dialer", help="module:factory of the dialer (default from hotline.yml)")
    parser.add_argument("--redis-url", help="default: REDIS_URL")
    parser.add_argument("--no-escalation", action="store_true")
    parser.add_argument("--no-replay", action="store_true")
    parser.add_argument(
        "--clock-start",
        help="ISO time the worker's clock starts at, then runs in real time (tests and "
        "drills; refused in production)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("HOTLINE_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    try:
        clock: Clock = SystemClock()
        if args.clock_start:
            if settings().is_production:
                raise ConfigError("--clock-start is refused in production mode")
            clock = OffsetClock(datetime.fromisoformat(args.clock_start))
        scheduler = build_callback_scheduler(
            redis_client=build_redis(args.redis_url), clock=clock, dialer_spec=args.dialer
        )
    except (ConfigError, ValueError, ImportError) as exc:
        print(f"callback worker: {exc}", file=sys.stderr)
        return 2
    tickets = scheduler.tickets if isinstance(scheduler.tickets, TicketService) else None
    worker = CallbackWorker(
        scheduler,
        tickets,
        worker_id=args.worker_id,
        batch_size=args.batch_size,
        replay_outbox=not args.no_replay,
        escalate=not args.no_escalation,
    )
    if args.once:
        report = worker.run_once()
        log.info(
            "round done: %d placed, %d escalated, %d replayed, %d errors",
            sum(p.placed for p in report.placements),
            len(report.escalated),
            report.replayed,
            len(report.errors),
        )
        return 1 if report.errors else 0

    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping after this round", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    worker.run_forever(stop, args.poll_interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())
