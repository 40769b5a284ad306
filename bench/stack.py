"""A hotline stack for benchmarks: its own Redis, N action servers, N Rasa replicas,
optionally nginx in front (launcher/nginx.py, the configuration `make run` uses).

The processes are the ones `make run` starts (launcher/services.py), run by the same
Supervisor, on the given or free loopback ports, with logs in the work directory.
"""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from launcher.nginx import Nginx
from launcher.redis_local import start_local_redis
from launcher.services import (
    Ports,
    Service,
    action_server,
    console,
    process_env,
    rasa_server,
)
from launcher.supervisor import Supervisor
from launcher.training import ensure_model

ROOT = Path(__file__).resolve().parent.parent
BENCH_TOKEN = "bench-rasa-token"
BENCH_TWILIO_TOKEN = "bench-twilio-auth-token"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def current_model() -> Path:
    """The model for the current training inputs (trained only if it is missing)."""
    env = process_env(ROOT, "redis://127.0.0.1:6379/0", Ports())
    return ensure_model(ROOT, ROOT / "models", env=env)


@dataclass
class BenchStack:
    """Redis + action servers + Rasa replicas (+ nginx when `nginx` is set)."""

    work_dir: Path
    model: Optional[Path] = None
    rasa_ports: list[int] = field(default_factory=list)
    action_ports: list[int] = field(default_factory=list)
    replicas: int = 1
    with_console: bool = False
    console_port: int = 0
    nginx: bool = False
    front_port: int = 0
    nginx_actions_port: int = 0
    credentials: Optional[Path] = None
    endpoints: Optional[Path] = None
    extra_env: dict[str, str] = field(default_factory=dict)
    token: str = BENCH_TOKEN
    twilio_token: str = BENCH_TWILIO_TOKEN

    def __post_init__(self) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.rasa_ports = self.rasa_ports or [free_port() for _ in range(self.replicas)]
        self.action_ports = self.action_ports or [free_port() for _ in range(self.replicas)]
        self.redis_port = free_port()
        if self.with_console and not self.console_port:
            self.console_port = free_port()
        if self.nginx:
            self.front_port = self.front_port or free_port()
            self.nginx_actions_port = self.nginx_actions_port or free_port()
        self.redis_process: Optional[subprocess.Popen[bytes]] = None
        self.proxy: Optional[Nginx] = None
        self.supervisor: Optional[Supervisor] = None
        self.services: list[Service] = []

    # --- addresses ----------------------------------------------------------
    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def url(self) -> str:
        """Where callers go: nginx when it is in front, else the first replica."""
        port = self.front_port if self.nginx else self.rasa_ports[0]
        return f"http://127.0.0.1:{port}"

    def replica_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.rasa_ports[index]}"

    def action_url(self, index: int) -> str:
        if self.nginx:
            return f"http://127.0.0.1:{self.nginx_actions_port}/webhook"
        return f"http://127.0.0.1:{self.action_ports[index % len(self.action_ports)]}/webhook"

    def pids(self) -> dict[str, int]:
        found = {name: p.pid for name, p in (self.supervisor.running.items()
                                             if self.supervisor else [])}
        if self.redis_process is not None:
            found["redis"] = self.redis_process.pid
        if self.proxy is not None and self.proxy.process is not None:
            found["nginx"] = self.proxy.process.pid
        return found

    # --- lifecycle ----------------------------------------------------------
    def _services(self, model: Path) -> list[Service]:
        services: list[Service] = []
        for index, port in enumerate(self.action_ports):
            service = action_server(ROOT, Ports(actions=port))
            services.append(dataclasses.replace(service, name=f"actions-{index + 1}"))
        for index, port in enumerate(self.rasa_ports):
            service = rasa_server(ROOT, model, Ports(rasa=port), self.token)
            args = list(service.args)
            if self.credentials is not None:
                args[args.index("--credentials") + 1] = str(self.credentials)
            if self.endpoints is not None:
                args[args.index("--endpoints") + 1] = str(self.endpoints)
            services.append(dataclasses.replace(
                service, name=f"rasa-{index + 1}", args=args,
                env={"ACTION_ENDPOINT_URL": self.action_url(index)},
            ))
        if self.with_console:
            services.append(console(Ports(console=self.console_port)))
        return services

    def start(self, timeout: float = 300.0) -> BenchStack:
        model = self.model or current_model()
        self.redis_process = start_local_redis(self.redis_url, self.work_dir / "redis")
        public = self.url
        env = process_env(ROOT, self.redis_url, Ports(rasa=self.rasa_ports[0]), extra={
            "RASA_TOKEN": self.token,
            "TWILIO_AUTH_TOKEN": self.twilio_token,
            "PUBLIC_BASE_URL": public,
            "HOTLINE_OUTBOX_DIR": str(self.work_dir / "outbox"),
            # replicas share the web chat's rooms (as `make run` does, launcher/layout.py)
            **({"WEBCHAT_SHARED_ROOMS": "1"} if self.nginx else {}),
            **self.extra_env,
        })
        self.supervisor = Supervisor(ROOT, self.work_dir / "logs", env)
        try:
            if self.nginx:
                self.proxy = Nginx(self.work_dir / "nginx", self.front_port,
                                   self.nginx_actions_port, self.rasa_ports, self.action_ports)
                self.proxy.start()
            self.services = self._services(model)
            for service in self.services:
                self.supervisor.start(service)
            for service in self.services:
                self.supervisor.wait_healthy(service, timeout=timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop_all()
        if self.proxy is not None:
            self.proxy.stop()
        if self.redis_process is not None and self.redis_process.poll() is None:
            self.redis_process.terminate()
            try:
                self.redis_process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.redis_process.kill()
                self.redis_process.wait(timeout=5)
        self.redis_process = None

    def __enter__(self) -> BenchStack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def first_answer(url: str, timeout: float = 300.0, sender: str = "bench-first") -> float:
    """Seconds until the REST channel answers a turn (polling every 0.2 s)."""
    import json

    started = time.monotonic()
    body = json.dumps({"sender": sender, "message": "你好"}).encode()
    while time.monotonic() - started < timeout:
        request = urllib.request.Request(
            f"{url}/webhooks/rest/webhook", data=body,
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                if response.status == 200 and json.loads(response.read()):
                    return time.monotonic() - started
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"no answer from {url} within {timeout:.0f} s")
