"""Start the hotline's processes, wait until they answer, stop them together."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO

from launcher.services import Service


class StartupError(RuntimeError):
    pass


def is_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
            return 200 <= response.status < 300
    except OSError:
        return False


class Supervisor:
    """Runs services as child process groups with logs under `log_dir`."""

    def __init__(self, root: Path, log_dir: Path, env: dict[str, str]) -> None:
        self.root = root
        self.log_dir = log_dir
        self.env = env
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: dict[str, IO[bytes]] = {}

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def start(self, service: Service) -> subprocess.Popen[bytes]:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path(service.name), "ab")  # noqa: SIM115 - closed in stop()
        process = subprocess.Popen(
            service.args, cwd=self.root, env={**self.env, **service.env},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.running[service.name] = process
        self._logs[service.name] = log
        return process

    def wait_healthy(
        self, service: Service, timeout: float = 180.0,
        waiting: Callable[[], None] | None = None,
    ) -> None:
        """Until the service answers its health URL; `waiting` is called while it does not."""
        if service.health_url is None:
            return
        process = self.running[service.name]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if waiting is not None:
                waiting()
            if process.poll() is not None:
                raise StartupError(
                    f"{service.name} exited with {process.returncode}; "
                    f"see {self.log_path(service.name)}"
                )
            if is_healthy(service.health_url):
                return
            time.sleep(0.5)
        raise StartupError(f"{service.name} did not answer within {timeout:.0f} s")

    def stop(self, name: str, hard: bool = False) -> None:
        process = self.running.pop(name, None)
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL if hard else signal.SIGTERM)
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
            except ProcessLookupError:
                pass
        log = self._logs.pop(name, None)
        if log is not None:
            log.close()

    def stop_all(self) -> None:
        for name in list(self.running)[::-1]:
            self.stop(name)

    def exited(self) -> list[str]:
        return [name for name, process in self.running.items() if process.poll() is not None]
