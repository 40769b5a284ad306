"""HttpTicketStore against a real (tiny, in-process) HTTP ticket system on a free port."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from bot.callbacks.scheduler import CallbackScheduler
from bot.clock import ManualClock
from bot.config import ConfigError, settings
from bot.tickets.errors import StoreError
from bot.tickets.model import CreateOutcome, FeedbackRequest, TicketStatus
from bot.tickets.service import ESCALATION_ACTOR, TicketService
from bot.wiring import build_ticket_service
from tests.support.processes import RedisServer, free_port
from tests.test_tickets_fixtures import MONDAY_10, complaint

TOKEN = "s3cret-token-for-tests"


class TicketSystem:
    """The external system's side of the REST contract in bot/tickets/http_store.py."""

    def __init__(self) -> None:
        self.tickets: dict[str, dict[str, Any]] = {}
        self.feedback: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, str] = {}
        self.lock = threading.Lock()
        self.conflicts_to_fake = 0
        self.requests: list[tuple[str, str]] = []


def make_handler(system: TicketSystem) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any = None) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}")

        def _authorised(self) -> bool:
            system.requests.append((self.command, self.path))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._send(401, {"error": "unauthorised"})
                return False
            return True

        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            if not self._authorised():
                return
            key = self.headers.get("Idempotency-Key", "")
            body = self._body()
            with system.lock:
                if key in system.keys:
                    store = system.feedback if self.path == "/feedback" else system.tickets
                    self._send(200, store[system.keys[key]])
                    return
                if self.path == "/feedback":
                    body["id"] = f"EXT-F{len(system.feedback) + 1}"
                    system.feedback[body["id"]] = body
                    system.keys[key] = body["id"]
                else:
                    body["number"] = f"T20261123{len(system.tickets) + 1:04d}"
                    body["version"] = 1
                    system.tickets[body["number"]] = body
                    system.keys[key] = body["number"]
            self._send(201, body)

        def do_GET(self) -> None:  # noqa: N802
            if not self._authorised():
                return
            url = urlparse(self.path)
            if url.path.startswith("/tickets/"):
                found = system.tickets.get(unquote(url.path.split("/", 2)[2]))
                self._send(200, found) if found else self._send(404, {"error": "not found"})
                return
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            items = list(system.tickets.values())
            if "phone" in query:
                items = [t for t in items if t["caller"]["phone"] == query["phone"]]
                if "since" in query:
                    since = datetime.fromisoformat(query["since"])
                    items = [t for t in items if datetime.fromisoformat(t["created_at"]) >= since]
            if "status" in query:
                items = [t for t in items if t["status"] == query["status"]]
            if "due_before" in query:
                limit = datetime.fromisoformat(query["due_before"])
                items = [
                    t
                    for t in items
                    if t["due_at"]
                    and datetime.fromisoformat(t["due_at"]) <= limit
                    and t["status"] in ("open", "in_progress", "escalated")
                ]
            items.sort(key=lambda t: t["created_at"], reverse=True)
            self._send(200, {"tickets": items[: int(query.get("limit", 100))]})

        def do_PUT(self) -> None:  # noqa: N802
            if not self._authorised():
                return
            number = unquote(urlparse(self.path).path.split("/", 2)[2])
            body = self._body()
            with system.lock:
                current = system.tickets.get(number)
                if current is None:
                    self._send(404, {"error": "not found"})
                    return
                if system.conflicts_to_fake > 0:
                    system.conflicts_to_fake -= 1
                    current["version"] += 1  # somebody else changed it meanwhile
                if self.headers.get("If-Match") != str(current["version"]):
                    self._send(409, {"error": "version"})
                    return
                body["version"] = current["version"] + 1
                system.tickets[number] = body
            self._send(200, body)

    return Handler


class RunningSystem:
    def __init__(self, system: TicketSystem, port: int) -> None:
        self.system = system
        self.port = port
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), make_handler(self.system))
        server.daemon_threads = True
        server.allow_reuse_address = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        self.server = server

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture()
def ticket_system() -> Iterator[RunningSystem]:
    running = RunningSystem(TicketSystem(), free_port())
    running.start()
    yield running
    running.stop()


def http_service(url: str, token: str, outbox: Path, clock: ManualClock) -> TicketService:
    env = settings(
        {
            "HOTLINE_TICKET_STORE": "http",
            "HOTLINE_TICKET_API_URL": url,
            "HOTLINE_TICKET_API_TOKEN": token,
        }
    )
    return build_ticket_service(env=env, clock=clock, outbox_dir=outbox, plan_callbacks=False)


def test_create_is_idempotent_and_authenticated(
    ticket_system: RunningSystem, tmp_path: Path
) -> None:
    service = http_service(ticket_system.url, TOKEN, tmp_path, ManualClock(MONDAY_10))
    first = service.create_ticket(complaint(), "http:1")
    again = service.create_ticket(complaint(), "http:1")
    assert first.outcome is CreateOutcome.CREATED and again.outcome is CreateOutcome.EXISTING
    assert first.ticket == again.ticket and first.number == "T202611230001"
    assert len(ticket_system.system.tickets) == 1
    assert service.get_ticket(first.number or "") == first.ticket
    assert service.get_ticket("T209901019999") is None
    assert [t.number for t in service.find_by_phone("13812345678")] == [first.number]


def test_updates_retry_on_conflict_and_escalation_works(
    ticket_system: RunningSystem, tmp_path: Path
) -> None:
    clock = ManualClock(MONDAY_10)
    service = http_service(ticket_system.url, TOKEN, tmp_path, clock)
    ticket = service.create_ticket(complaint(), "http:2").ticket
    assert ticket is not None and ticket.promised_at is not None
    ticket_system.system.conflicts_to_fake = 2
    updated = service.change_status(ticket.number, TicketStatus.IN_PROGRESS, "agent:7")
    assert updated.status is TicketStatus.IN_PROGRESS
    assert [t.number for t in service.list_by_status("in_progress")] == [ticket.number]
    clock.set(ticket.promised_at + timedelta(minutes=1))
    assert service.escalate_overdue() == [ticket.number]
    escalated = service.get_ticket(ticket.number)
    assert escalated is not None and escalated.history[-1].actor == ESCALATION_ACTOR


def test_wrong_token_is_an_error_not_a_queue(ticket_system: RunningSystem, tmp_path: Path) -> None:
    service = http_service(ticket_system.url, "wrong", tmp_path, ManualClock(MONDAY_10))
    with pytest.raises(StoreError):
        service.create_ticket(complaint(), "http:3")
    assert service.outbox is not None and service.outbox.pending() == 0


def test_system_down_queues_and_replays_once(ticket_system: RunningSystem, tmp_path: Path) -> None:
    service = http_service(ticket_system.url, TOKEN, tmp_path, ManualClock(MONDAY_10))
    ticket_system.stop()
    queued = service.create_ticket(complaint(), "http:4")
    praise = service.record_feedback(
        FeedbackRequest("praise", "thanks", "http", "rest", staff_name="Li"), "http:5"
    )
    assert queued.queued and queued.ticket is None and praise.queued
    assert service.replay_outbox().applied == 0  # still down: nothing lost
    ticket_system.start()
    report = service.replay_outbox()
    assert (report.applied, report.remaining, report.dead) == (2, 0, 0)
    assert service.replay_outbox().applied == 0
    assert len(ticket_system.system.tickets) == 1 and len(ticket_system.system.feedback) == 1
    created = next(iter(ticket_system.system.tickets.values()))
    assert created["created_at"] == MONDAY_10.isoformat()


def test_callback_planning_failure_is_repaired_by_the_replay(
    ticket_system: RunningSystem, private_redis: RedisServer, tmp_path: Path
) -> None:
    """Tickets in the external system, callbacks in Redis: Redis down after the ticket was
    filed -> the caller still gets the number, and the replay plans the callback."""
    env = settings(
        {
            "HOTLINE_TICKET_STORE": "http",
            "HOTLINE_TICKET_API_URL": ticket_system.url,
            "HOTLINE_TICKET_API_TOKEN": TOKEN,
            "REDIS_URL": private_redis.url,
        }
    )
    service = build_ticket_service(env=env, clock=ManualClock(MONDAY_10), outbox_dir=tmp_path)
    scheduler = service.followups
    assert isinstance(scheduler, CallbackScheduler)
    private_redis.stop()
    result = service.create_ticket(complaint(), "split:1")
    assert result.outcome is CreateOutcome.CREATED and result.number == "T202611230001"
    assert service.outbox is not None and service.outbox.pending() == 1
    private_redis.start()
    assert service.replay_outbox().applied == 1
    assert [c.id for c in scheduler.for_ticket("T202611230001")] == ["T202611230001-first"]
    assert len(ticket_system.system.tickets) == 1


def test_production_refuses_a_weak_ticket_api_token() -> None:
    base = {
        "HOTLINE_ENV": "production",
        "RASA_TOKEN": "r" * 20,
        "CONSOLE_SECRET": "c" * 20,
        "TWILIO_AUTH_TOKEN": "t" * 20,
    }
    settings({**base, "HOTLINE_TICKET_STORE": "redis"}).check_secrets()
    with pytest.raises(ConfigError, match="HOTLINE_TICKET_API_TOKEN"):
        settings(
            {**base, "HOTLINE_TICKET_STORE": "http", "HOTLINE_TICKET_API_TOKEN": "x"}
        ).check_secrets()
