"""The load generator's CPU accounting (bench/cpu.py): real processes, real /proc."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

from bench.cpu import CpuMeter, tree_cpu_seconds


def test_a_busy_child_is_counted_with_its_parent() -> None:
    # A shell whose child spins: the watched pid is the shell, the CPU is its child's.
    parent = subprocess.Popen(
        ["sh", "-c", f"{sys.executable} -c 'while True: pass' & wait"])
    try:
        meter = CpuMeter({"server": parent.pid})
        meter.start()
        deadline = time.monotonic() + 30
        while tree_cpu_seconds([parent.pid])[parent.pid] < 0.5 and time.monotonic() < deadline:
            time.sleep(0.1)
        report = meter.stop()
    finally:
        subprocess.run(["pkill", "-P", str(parent.pid)], check=False)
        parent.kill()
        parent.wait()
    assert report["server_cpu_s"]["server"] >= 0.5
    assert 0.0 <= report["machine_busy_share"] <= 1.0


def test_a_generator_that_cannot_keep_up_says_so() -> None:
    async def busy_generator() -> dict:
        meter = CpuMeter()
        meter.start()
        lag = asyncio.create_task(meter.watch_loop(every=0.05))
        await asyncio.sleep(0)
        for _ in range(10):  # the loop is held for 0.2 s at a time: timers wake late
            end = time.perf_counter() + 0.2
            while time.perf_counter() < end:
                pass
            await asyncio.sleep(0)
        lag.cancel()
        return meter.stop()

    async def idle_generator() -> dict:
        meter = CpuMeter()
        meter.start()
        lag = asyncio.create_task(meter.watch_loop(every=0.05))
        await asyncio.sleep(1.0)
        lag.cancel()
        return meter.stop()

    busy = asyncio.run(busy_generator())
    assert busy["generator_saturated"] is True
    assert busy["generator_loop_lag_ms_p99"] >= 100
    idle = asyncio.run(idle_generator())  # (its timer lateness depends on the machine)
    assert idle["generator_cpu_of_one_core"] < 0.5
