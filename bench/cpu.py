"""Where the CPU went during a load run: the load generator itself, the watched server
processes (with their children) and the whole machine, from /proc and getrusage.

The generator runs on the same two cores as the server, so a figure is honest only
when the generator had CPU to spare: `generator_saturated` says when it did not (its
own process used most of one core, or its event loop fell behind its timers), and
`bench/load.py` prints that beside the figures it qualifies.
"""

from __future__ import annotations

import asyncio
import os
import resource
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The generator is one asyncio thread: above this share of one core, or with its timers
# this late, it no longer sends requests when the scripts say to.
GENERATOR_CPU_LIMIT = 0.85
LOOP_LAG_LIMIT_MS = 50.0


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot (/proc/stat `cpu` line)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user
    return total - idle, total


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2:].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def process_cpu_seconds(pid: int) -> Optional[float]:
    """User + system CPU of one process (None when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def tree_cpu_seconds(pids: Sequence[int]) -> dict[int, float]:
    """CPU seconds of each watched process and its descendants (nginx workers, say)."""
    tree = _children()
    result: dict[int, float] = {}
    for pid in pids:
        total, stack, seen = 0.0, [pid], set()
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            total += process_cpu_seconds(current) or 0.0
            stack.extend(tree.get(current, []))
        result[pid] = total
    return result


@dataclass
class CpuMeter:
    """CPU between `start()` and `stop()`, plus the event loop's timer lateness."""

    watch: Mapping[str, int] = field(default_factory=dict)  # name -> pid
    lag_ms: list[float] = field(default_factory=list)
    _wall: float = 0.0
    _own: float = 0.0
    _machine: tuple[int, int] = (0, 0)
    _pids: dict[int, float] = field(default_factory=dict)

    def start(self) -> None:
        self._wall = time.perf_counter()
        self._own = own_cpu_seconds()
        self._machine = machine_jiffies()
        self._pids = tree_cpu_seconds(list(self.watch.values()))

    async def watch_loop(self, every: float = 0.1) -> None:
        """Record how late a `sleep(every)` wakes up until cancelled: a busy loop
        answers late, and so does a generator that cannot keep up."""
        while True:
            before = time.perf_counter()
            await asyncio.sleep(every)
            self.lag_ms.append(max(0.0, (time.perf_counter() - before - every) * 1000))

    def stop(self) -> dict[str, Any]:
        wall = max(1e-9, time.perf_counter() - self._wall)
        own = own_cpu_seconds() - self._own
        busy, total = machine_jiffies()
        busy_share = (busy - self._machine[0]) / max(1, total - self._machine[1])
        cores = os.cpu_count() or 1
        after = tree_cpu_seconds(list(self.watch.values()))
        lags = sorted(self.lag_ms)
        lag_p99 = lags[min(len(lags) - 1, int(0.99 * len(lags)))] if lags else 0.0
        generator_share = own / wall
        return {
            "wall_s": round(wall, 1),
            "generator_cpu_s": round(own, 1),
            "generator_cpu_of_one_core": round(generator_share, 2),
            "generator_loop_lag_ms_p99": round(lag_p99, 1),
            "generator_saturated": generator_share >= GENERATOR_CPU_LIMIT
            or lag_p99 >= LOOP_LAG_LIMIT_MS,
            "machine_cores": cores,
            "machine_busy_share": round(busy_share, 2),
            "server_cpu_s": {name: round(after.get(pid, 0.0) - self._pids.get(pid, 0.0), 1)
                             for name, pid in self.watch.items()},
        }
