"""The hotline's processes, described once for `make run` and the test fixtures."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from launcher.redis_local import redis_env


@dataclass(frozen=True)
class Ports:
    rasa: int = 5005
    actions: int = 5055
    console: int = 5080


@dataclass(frozen=True)
class Service:
    name: str
    args: list[str]
    health_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)


def process_env(root: Path, redis_url: str, ports: Ports, extra: dict[str, str] | None = None):
    """Environment shared by every process: Redis, endpoints, import path, quiet TF."""
    env = {
        **os.environ,
        **redis_env(redis_url),
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ports.actions}/webhook",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",
        "SANIC_REGISTER": "false",
    }
    env.setdefault("RASA_TOKEN", "dev-token")
    env.setdefault("TWILIO_AUTH_TOKEN", "dev-token")
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{ports.rasa}")
    env.setdefault("RASA_URL", f"http://127.0.0.1:{ports.rasa}")  # the console's way to Rasa
    env.update(extra or {})
    return env


def rasa_server(root: Path, model: Path, ports: Ports, token: str) -> Service:
    # Browsers may call the HTTP API cross-origin only from the web chat's allowed sites.
    origins = [o.strip() for o in os.environ.get("WEBCHAT_ALLOWED_ORIGINS", "").split(",")]
    allowed = [origin for origin in origins if origin and origin != "*"]
    cors = ["--cors", *allowed] if allowed else []
    return Service(
        name="rasa",
        args=[
            # Rasa's CLI behind the server start-up hook (rasa_extensions/startup.py)
            sys.executable, "-m", "rasa_extensions", "run",
            "--model", str(model),
            "--port", str(ports.rasa),
            "--interface", os.environ.get("RASA_INTERFACE", "127.0.0.1"),
            "--enable-api", "--auth-token", token,
            *cors,
            "--credentials", str(root / "credentials.yml"),
            "--endpoints", str(root / "endpoints.yml"),
        ],
        health_url=f"http://127.0.0.1:{ports.rasa}/status?token={token}",
    )


def action_server(root: Path, ports: Ports) -> Service:
    return Service(
        name="actions",
        args=[
            sys.executable, "-m", "rasa_sdk", "--actions", "actions",
            "--port", str(ports.actions),
        ],
        health_url=f"http://127.0.0.1:{ports.actions}/health",
    )


def callback_worker() -> Service:
    """Places due callbacks, retries them and escalates overdue tickets (bot/callbacks)."""
    return Service(name="callback-worker", args=[sys.executable, "-m", "bot.callbacks.worker"])


def console(ports: Ports) -> Service:
    """The agent/supervisor console (console/, its own Sanic app; docs/CONSOLE.md)."""
    return Service(
        name="console",
        args=[
            sys.executable, "-m", "console",
            "--host", os.environ.get("CONSOLE_INTERFACE", "127.0.0.1"),
            "--port", str(ports.console),
        ],
        health_url=f"http://127.0.0.1:{ports.console}/healthz",
    )
