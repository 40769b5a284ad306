"""How many Rasa replicas `make run` starts, on which ports, and what stands in front.

The default uses every core: one Rasa replica and one action server per core (at
least two, at most `MAX_REPLICAS`, and no more than the memory holds), each on an
internal loopback port, behind nginx (launcher/nginx.py) on the public ports:
callers use `Ports.rasa` (5005) as with one process, and the replicas reach their
custom actions through nginx's `Ports.actions` (5055), least busy of the action
servers. `HOTLINE_REPLICAS=1` (or no nginx installed) gives the single-process
layout: Rasa on `Ports.rasa`, the action server on `Ports.actions`, nothing in front.

Any replica takes any REST or phone turn (the Redis lock store orders each
conversation's turns); the web chat's Socket.IO sessions are sticky to one replica
(the template's `hash $remote_addr consistent`), and the replicas share the web
chat's rooms through Redis (`WEBCHAT_SHARED_ROOMS`), so a line pushed by the agent
console through any replica reaches the caller's socket wherever it is.
"""

from __future__ import annotations

import dataclasses
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from launcher import nginx
from launcher.services import Ports, Service, action_server, rasa_server

MAX_REPLICAS = 8
# Resident memory a replica needs with its action server (docs/BENCHMARKS.md: Rasa
# 666 MiB, action server 117 MiB at peak), with some headroom.
MEMORY_PER_REPLICA = 900 * 1024 * 1024


class LayoutError(ValueError):
    """HOTLINE_REPLICAS is not a whole number of at least 1."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def available_memory() -> Optional[int]:
    """MemAvailable in bytes (Linux), None where it cannot be read."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


@dataclass(frozen=True)
class ReplicaChoice:
    count: int
    why: str  # for the banner: "one per core", "HOTLINE_REPLICAS=3", …


def choose_replicas(
    env: Mapping[str, str] | None = None,
    cpus: Optional[int] = None,
    memory: Optional[int] = None,
    nginx_found: Optional[bool] = None,
) -> ReplicaChoice:
    """HOTLINE_REPLICAS if set, else one per core (at least 2, capped by MAX_REPLICAS
    and the available memory); one when nginx is missing."""
    env = os.environ if env is None else env
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    nginx_found = nginx.nginx_binary() is not None if nginx_found is None else nginx_found
    raw = (env.get("HOTLINE_REPLICAS") or "").strip()
    if raw:
        try:
            wanted = int(raw)
        except ValueError:
            raise LayoutError(f"HOTLINE_REPLICAS must be a whole number (got {raw!r})") from None
        if wanted < 1:
            raise LayoutError(f"HOTLINE_REPLICAS must be at least 1 (got {wanted})")
        count, why = wanted, f"HOTLINE_REPLICAS={wanted}"
    else:
        count, why = min(max(2, cpus), MAX_REPLICAS), f"one per core, {cpus} cores"
        if cpus < 2:
            why = "1 core, 2 for availability"
        memory = available_memory() if memory is None else memory
        if memory is not None and memory // MEMORY_PER_REPLICA < count:
            count = max(1, memory // MEMORY_PER_REPLICA)
            why = f"{memory // 2**20} MiB of memory available"
    if count > 1 and not nginx_found:
        return ReplicaChoice(1, f"nginx is not installed; apt-get install nginx for {count}")
    return ReplicaChoice(count, why)


@dataclass(frozen=True)
class Layout:
    """The public ports, each replica's internal ports, and where nginx keeps its files."""

    ports: Ports
    rasa_ports: tuple[int, ...]
    action_ports: tuple[int, ...]
    nginx_dir: Optional[Path] = None
    front_address: str = "127.0.0.1"

    @property
    def replicas(self) -> int:
        return len(self.rasa_ports)

    @property
    def behind_nginx(self) -> bool:
        return self.nginx_dir is not None

    def env(self) -> dict[str, str]:
        """What every process of this layout adds to launcher.services.process_env."""
        # The replicas share the web chat's Socket.IO rooms through Redis.
        return {"WEBCHAT_SHARED_ROOMS": "1"} if self.behind_nginx else {}

    def action_services(self, root: Path) -> list[Service]:
        if not self.behind_nginx:
            return [action_server(root, self.ports)]
        return [
            dataclasses.replace(action_server(root, Ports(actions=port)), name=f"actions-{i}")
            for i, port in enumerate(self.action_ports, start=1)
        ]

    def rasa_services(self, root: Path, model: Path, token: str) -> list[Service]:
        if not self.behind_nginx:
            return [rasa_server(root, model, self.ports, token)]
        services = []
        for i, port in enumerate(self.rasa_ports, start=1):
            service = rasa_server(root, model, Ports(rasa=port), token)
            args = list(service.args)
            # Replicas are reached through nginx only.
            args[args.index("--interface") + 1] = "127.0.0.1"
            services.append(dataclasses.replace(service, name=f"rasa-{i}", args=args))
        return services

    def nginx_service(self, token: str) -> Optional[Service]:
        """nginx on the public ports; healthy once it answers Rasa's /status through."""
        if self.nginx_dir is None:
            return None
        nginx.render(self.nginx_dir, self.ports.rasa, self.ports.actions,
                     self.rasa_ports, self.action_ports, self.front_address)
        return Service(
            name="nginx", args=nginx.command(self.nginx_dir),
            health_url=f"http://127.0.0.1:{self.ports.rasa}/status?token={token}",
        )


def plan(
    ports: Ports,
    replicas: int,
    nginx_dir: Path,
    front_address: str = "127.0.0.1",
    port_finder: Callable[[], int] = free_port,
) -> Layout:
    """One replica: today's layout on the public ports. More: internal free ports."""
    if replicas <= 1:
        return Layout(ports, (ports.rasa,), (ports.actions,))
    taken = {ports.rasa, ports.actions, ports.console}
    internal: list[int] = []
    while len(internal) < 2 * replicas:
        port = port_finder()
        if port not in taken:
            taken.add(port)
            internal.append(port)
    return Layout(ports, tuple(internal[:replicas]), tuple(internal[replicas:]),
                  nginx_dir=nginx_dir, front_address=front_address)
