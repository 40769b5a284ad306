"""The console as a real subprocess on a free port, and a logged-in HTTP client for it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from launcher.services import Ports, console
from tests.support.processes import free_port, wait_until

ROOT = Path(__file__).resolve().parent.parent.parent
CONSOLE_SECRET = "test-console-secret-0123456789"
PASSWORDS = {"agent1": "agent-pass-1", "super1": "super-pass-1"}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def add_user(redis_url: str, name: str, role: str, password: str) -> None:
    env = {**os.environ, "REDIS_URL": redis_url, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-m", "console.users", "add", name, "--role", role],
        input=password + "\n", text=True, env=env, cwd=ROOT, check=True, capture_output=True,
    )


@contextmanager
def console_process(redis_url: str, log_path: Path) -> Iterator[str]:
    service = console(Ports(console=free_port()))  # what `make run` starts
    env = {**os.environ, "REDIS_URL": redis_url, "CONSOLE_SECRET": CONSOLE_SECRET,
           "PYTHONPATH": str(ROOT), "SANIC_REGISTER": "false"}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            service.args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    url = service.health_url.rsplit("/", 1)[0]
    try:
        if not wait_until(lambda: requests.get(service.health_url, timeout=2).ok, timeout=60):
            raise RuntimeError(f"console did not start; see {log_path}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def login(url: str, name: str, password: str | None = None) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{url}/login", timeout=10)
    response = session.post(
        f"{url}/login",
        data={"csrf": csrf_of(page.text), "name": name,
              "password": password or PASSWORDS[name], "next": "/handoffs"},
        timeout=10,
    )
    assert response.status_code == 200 and "/handoffs" in response.url, response.text[:300]
    return session
