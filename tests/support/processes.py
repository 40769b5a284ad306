"""Real processes for the test suite: Redis servers, and helpers to start/stop subprocesses.

Nothing here is mocked: `RedisServer` runs the real `redis-server` binary on a free
loopback port with AOF persistence, in a private directory, so tests can kill and
restart it and check what survives.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import redis


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:  # noqa: BLE001 - the thing we wait for may not be up yet
            pass
        time.sleep(interval)
    return False


def redis_server_binary() -> str:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        raise RuntimeError("redis-server is not installed; run `make test` (it installs it)")
    return binary


class RedisServer:
    """A real redis-server on a free port with AOF on; restartable with its data."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        args = [
            redis_server_binary(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", "always",
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(self.data_dir / "redis.log"),
        ]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(host="127.0.0.1", port=self.port)
        if not wait_until(lambda: bool(client.ping()), timeout=15):
            self.stop()
            raise RuntimeError(f"redis-server did not start on port {self.port}")
        client.close()
        return self

    def stop(self, hard: bool = False) -> None:
        """Stop the server; `hard` kills it (SIGKILL) as a crash would."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def restart(self, hard: bool = False) -> None:
        self.stop(hard=hard)
        self.start()

    def client(self) -> redis.Redis[bytes]:
        return redis.Redis.from_url(self.url)


def start_process(
    args: Sequence[str], log_path: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start a long-running subprocess in its own process group, logging to a file."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")  # noqa: SIM115 - closed when the process is stopped
    merged = {**os.environ, **(env or {})}
    return subprocess.Popen(
        list(args), stdout=log, stderr=subprocess.STDOUT, env=merged, cwd=cwd,
        start_new_session=True,
    )


def stop_process(process: subprocess.Popen[bytes] | None, hard: bool = False) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL if hard else signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
