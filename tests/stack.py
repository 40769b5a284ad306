"""The whole stack for end-to-end tests: a model trained once, Redis, actions, Rasa.

`rasa_stack` starts the same processes `make run` starts (launcher/), on free
ports, against a real redis-server, and stops them at the end of the session.

`private_stack` is a stack of a test module's own (its own redis-server, action server
and Rasa server on free ports, the session's trained model): for the fault tests that
kill or restart Redis, Rasa or the action server, so that no other test shares, or
depends on the order of, what they break.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from launcher.services import Ports, action_server, process_env, rasa_server
from launcher.supervisor import Supervisor
from launcher.training import ensure_model
from tests.support.processes import RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent
TEST_TOKEN = "test-rasa-token"
TEST_TWILIO_TOKEN = "test-twilio-auth-token"


@dataclass
class Stack:
    root: Path
    model: Path
    ports: Ports
    token: str
    redis: RedisServer
    env: dict[str, str]
    supervisor: Supervisor
    log_dir: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.actions}"

    @property
    def redis_url(self) -> str:
        return self.redis.url

    def rasa_service(self):  # type: ignore[no-untyped-def]
        return rasa_server(self.root, self.model, self.ports, self.token)

    def actions_service(self):  # type: ignore[no-untyped-def]
        return action_server(self.root, self.ports)

    def restart_rasa(self, hard: bool = False) -> None:
        self.supervisor.stop("rasa", hard=hard)
        self.start_rasa()

    def start_rasa(self) -> None:
        service = self.rasa_service()
        self.supervisor.start(service)
        self.supervisor.wait_healthy(service, timeout=240)

    def stop_actions(self, hard: bool = False) -> None:
        self.supervisor.stop("actions", hard=hard)

    def start_actions(self) -> None:
        service = self.actions_service()
        self.supervisor.start(service)
        self.supervisor.wait_healthy(service, timeout=120)

    def say(self, sender: str, message: str, **extra: Any) -> list[dict[str, Any]]:
        """One turn through the REST channel; the bot's messages. A `/event` (a channel
        event or a button) goes in the `payload` field: typed text is never a payload."""
        turn = {"payload": message} if message.startswith("/") else {"message": message}
        response = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, **turn, **extra},
            timeout=60,
        )
        response.raise_for_status()
        return response.json()

    def send_payload(self, sender: str, payload: str) -> list[dict[str, Any]]:
        """A channel event or a button through the REST channel's `payload` field (text in
        `message` is always the caller's words, docs/DIALOGUE.md "Caller text is text")."""
        response = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "payload": payload}, timeout=60,
        )
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str) -> dict[str, Any]:
        response = requests.get(
            f"{self.rasa_url}/conversations/{sender}/tracker",
            params={"token": self.token}, timeout=30,
        )
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model for the current data and config, trained at most once per run."""
    env = process_env(ROOT, "redis://127.0.0.1:6379/0", Ports())
    return ensure_model(ROOT, ROOT / "models", env=env, log_dir=ROOT / "test-output" / "logs")


@contextmanager
def running_stack(model: Path, redis_server: RedisServer, work: Path,
                  log_dir: Path) -> Iterator[Stack]:
    """Action server and Rasa server on free ports against `redis_server`; stopped after."""
    ports = Ports(rasa=free_port(), actions=free_port())
    env = process_env(ROOT, redis_server.url, ports, extra={
        "RASA_TOKEN": TEST_TOKEN,
        "TWILIO_AUTH_TOKEN": TEST_TWILIO_TOKEN,
        "HOTLINE_OUTBOX_DIR": str(work / "outbox"),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{ports.rasa}",
    })
    supervisor = Supervisor(ROOT, log_dir, env)
    stack = Stack(ROOT, model, ports, TEST_TOKEN, redis_server, env, supervisor, log_dir)
    try:
        stack.start_actions()
        stack.start_rasa()
        yield stack
    finally:
        supervisor.stop_all()


@pytest.fixture(scope="session")
def rasa_stack(
    trained_model: Path, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The stack most stack tests share; nothing may stop, kill or restart its processes
    (fault tests use `private_stack`)."""
    with running_stack(trained_model, redis_server, tmp_path_factory.mktemp("stack"),
                       ROOT / "test-output" / "logs") as stack:
        yield stack


@pytest.fixture(scope="module")
def private_stack(
    request: pytest.FixtureRequest, trained_model: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """A stack of the module's own, for tests that kill or restart its processes: its own
    redis-server (AOF on, so a SIGKILL keeps what a real one would), action server and
    Rasa server, the session's model (no training). Logs in test-output/logs/<module>/."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    work = tmp_path_factory.mktemp(f"private-{name}")
    redis_server = RedisServer(work / "redis").start()
    try:
        with running_stack(trained_model, redis_server, work,
                           ROOT / "test-output" / "logs" / name) as stack:
            yield stack
    finally:
        redis_server.stop()


@pytest.fixture(autouse=True)
def stack_processes_running(request: pytest.FixtureRequest) -> None:
    """Before each stack test: every process of the stack runs. One found dead (a test
    before crashed it, or something outside the run killed it — on a shared machine a
    `pkill -f "rasa run"` reaches these too) is restarted, with a warning that says how it
    ended, so one lost process does not fail every later test."""
    for fixture in ("rasa_stack", "private_stack"):
        if fixture in request.fixturenames:
            _restart_exited(request.getfixturevalue(fixture), request.node.nodeid)


def _restart_exited(stack: Stack, nodeid: str) -> None:
    redis_process = stack.redis.process
    if redis_process is None or redis_process.poll() is not None:
        warnings.warn(f"the stack's redis-server was down before {nodeid}; restarted",
                      stacklevel=1)
        stack.redis.stop()
        stack.redis.start()
    for name in stack.supervisor.exited():
        code = stack.supervisor.running[name].returncode
        warnings.warn(f"stack process {name} had exited (code {code}) before "
                      f"{nodeid}; restarted", stacklevel=1)
        stack.supervisor.stop(name)
        if name == "rasa":
            stack.start_rasa()
        elif name == "actions":
            stack.start_actions()
