"""nginx in front of several Rasa replicas and action servers, run unprivileged.

The configuration is `launcher/nginx.conf.template` rendered into a private
directory (pid, logs and temp files inside it) and run as
`nginx -p <dir> -c <dir>/nginx.conf -e <dir>/error.log` with `daemon off`, so it is a
child process like the others. `make run` (launcher/__main__.py, launcher/layout.py)
runs it as a supervised service; the benchmarks (bench/stack.py) use `Nginx` below.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
TEMP_DIRS = ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi")


def nginx_binary() -> Optional[str]:
    """The nginx executable (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def render(
    directory: Path,
    front_port: int,
    actions_port: int,
    rasa_ports: Sequence[int],
    action_ports: Sequence[int],
    front_address: str = "127.0.0.1",
) -> Path:
    """Write `<directory>/nginx.conf` (and its temp folders); returns its path."""
    for sub in TEMP_DIRS:
        (directory / sub).mkdir(parents=True, exist_ok=True)

    def servers(ports: Sequence[int]) -> str:
        return "\n".join(f"        server 127.0.0.1:{p};" for p in ports)

    # nginx started as root runs its workers as `nobody`, which cannot write the
    # temp paths in a private directory: keep them as the current user.
    user = ""
    if os.geteuid() == 0:
        user = f"user {pwd.getpwuid(0).pw_name} {grp.getgrgid(os.getegid()).gr_name};"
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in {
        "@USER@": user,
        "@DIR@": str(directory),
        "@FRONT_ADDRESS@": front_address,
        "@FRONT_PORT@": str(front_port),
        "@ACTIONS_PORT@": str(actions_port),
        "@RASA_SERVERS@": servers(rasa_ports),
        "@ACTION_SERVERS@": servers(action_ports),
    }.items():
        text = text.replace(key, value)
    conf = directory / "nginx.conf"
    conf.write_text(text, encoding="utf-8")
    return conf


def command(directory: Path, binary: Optional[str] = None) -> list[str]:
    """The command line that runs the rendered configuration in `directory`."""
    executable = binary or nginx_binary() or "nginx"
    return [executable, "-p", str(directory), "-c", str(directory / "nginx.conf"),
            "-e", str(directory / "error.log")]


class Nginx:
    """nginx run from a rendered config in `directory` (`daemon off`), for the benchmarks."""

    def __init__(self, directory: Path, front_port: int, actions_port: int,
                 rasa_ports: list[int], action_ports: list[int],
                 front_address: str = "127.0.0.1") -> None:
        self.directory = directory
        self.front_port = front_port
        self.actions_port = actions_port
        self.rasa_ports = rasa_ports
        self.action_ports = action_ports
        self.front_address = front_address
        self.process: Optional[subprocess.Popen[bytes]] = None

    def render(self) -> Path:
        return render(self.directory, self.front_port, self.actions_port,
                      self.rasa_ports, self.action_ports, self.front_address)

    def start(self) -> None:
        self.render()
        log = open(self.directory / "nginx.out", "ab")  # noqa: SIM115 - closed below
        self.process = subprocess.Popen(
            command(self.directory), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited; see {self.directory / 'error.log'}")
            try:
                with socket.create_connection(("127.0.0.1", self.front_port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("nginx did not listen within 15 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None
