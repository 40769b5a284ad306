"""The callback worker as a real process: SIGKILL mid-claim and restart, SIGTERM, and two
worker processes competing for the same queue."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

from bot.callbacks.dialer import DialerContext, HumanQueueDialer
from bot.callbacks.model import Callback, CallbackStatus
from bot.clock import ManualClock
from bot.config import DEFAULT_CONFIG_PATH
from tests.support.processes import RedisServer, start_process, stop_process, wait_until
from tests.test_tickets_fixtures import MONDAY_10, Services, at, build_services, complaint

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LEASE_SECONDS = 0.5


class HangingDialer:
    """Test dialer for the worker process: optionally places, then leaves a marker and
    hangs, so the test can SIGKILL the worker in the middle of its claim."""

    def __init__(self, context: DialerContext, place_first: bool) -> None:
        self.inner = HumanQueueDialer.from_context(context)
        self.place_first = place_first

    def place(self, callback: Callback) -> None:
        if self.place_first:
            self.inner.place(callback)
        Path(os.environ["HANG_MARKER"]).write_text(callback.id)
        time.sleep(600)


def place_then_hang(context: DialerContext) -> HangingDialer:
    return HangingDialer(context, place_first=True)


def hang_before_placing(context: DialerContext) -> HangingDialer:
    return HangingDialer(context, place_first=False)


@pytest.fixture()
def worker_env(tmp_path: Path) -> dict[str, str]:
    """A copy of hotline.yml with a short lease and poll interval for the worker process."""
    raw: dict[str, Any] = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    raw["callbacks"] = {
        **raw["callbacks"],
        "lease_seconds": LEASE_SECONDS,
        "poll_interval_seconds": 0.1,
    }
    config = tmp_path / "hotline.yml"
    config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return {
        "HOTLINE_CONFIG": str(config),
        "HOTLINE_OUTBOX_DIR": str(tmp_path / "outbox"),
        "HANG_MARKER": str(tmp_path / "hung"),
        "HOTLINE_ENV": "development",
        "PYTHONPATH": str(PROJECT_ROOT),
    }


@pytest.fixture()
def services(redis_client: redis.Redis[bytes], tmp_path: Path) -> Services:
    return build_services(redis_client, ManualClock(MONDAY_10), tmp_path / "outbox")


@pytest.fixture()
def redis_url(redis_server: RedisServer, redis_client: redis.Redis[bytes]) -> str:
    return f"redis://127.0.0.1:{redis_server.port}/1"  # the flushed db of `redis_client`


def worker_args(redis_url: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bot.callbacks.worker",
        "--redis-url",
        redis_url,
        "--clock-start",
        at(23, 18).isoformat(),
        "--no-replay",
        *extra,
    ]


def run_once(redis_url: str, env: dict[str, str], worker_id: str) -> None:
    done = subprocess.run(
        worker_args(redis_url, "--once", "--worker-id", worker_id),
        env={**os.environ, **env},
        cwd=PROJECT_ROOT,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()


@pytest.fixture()
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        stop_process(process, hard=True)


@pytest.mark.parametrize("dialer", ["place_then_hang", "hang_before_placing"])
def test_a_worker_killed_mid_claim_loses_nothing_and_repeats_nothing(
    services: Services,
    redis_url: str,
    worker_env: dict[str, str],
    processes: list[subprocess.Popen[bytes]],
    tmp_path: Path,
    dialer: str,
) -> None:
    ticket = services.tickets.create_ticket(complaint(), "kill:1").ticket
    assert ticket is not None
    callback_id = f"{ticket.number}-first"
    doomed = start_process(
        worker_args(
            redis_url,
            "--dialer",
            f"tests.test_callbacks_worker:{dialer}",
            "--worker-id",
            "doomed",
            "--poll-interval",
            "0.1",
        ),
        tmp_path / "doomed.log",
        env=worker_env,
        cwd=PROJECT_ROOT,
    )
    processes.append(doomed)
    assert wait_until(Path(worker_env["HANG_MARKER"]).exists, timeout=30), (
        tmp_path / "doomed.log"
    ).read_text()
    stop_process(doomed, hard=True)  # SIGKILL while it holds the claim

    held = services.scheduler.get(callback_id)
    assert held is not None and (held.status, held.worker) == (CallbackStatus.CLAIMED, "doomed")
    placed_before = services.agents.length()
    assert placed_before == (1 if dialer == "place_then_hang" else 0)

    time.sleep(LEASE_SECONDS + 0.2)  # the lease runs out on the Redis clock
    run_once(redis_url, worker_env, "survivor")

    after = services.scheduler.get(callback_id)
    assert after is not None
    assert (after.status, after.attempts, after.claims, after.lease_expiries, after.worker) == (
        CallbackStatus.PLACED,
        1,
        2,
        1,
        "survivor",
    )
    tasks = services.agents.claim("agent:7", count=10)
    assert [(t.callback_id, t.attempt) for t in tasks] == [(callback_id, 1)]


def test_two_worker_processes_share_the_queue_and_stop_on_sigterm(
    services: Services,
    redis_url: str,
    worker_env: dict[str, str],
    processes: list[subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    logs = [tmp_path / f"w{n}.log" for n in (1, 2)]
    for log in logs:
        processes.append(
            start_process(
                worker_args(
                    redis_url,
                    "--worker-id",
                    log.stem,
                    "--batch-size",
                    "2",
                    "--poll-interval",
                    "0.05",
                ),
                log,
                env=worker_env,
                cwd=PROJECT_ROOT,
            )
        )
    assert wait_until(lambda: all("started" in log.read_text() for log in logs), timeout=30)
    ids = [
        services.scheduler.schedule(f"T2026112398{i:02d}", "13812345678", at(23, 17), key="x").id
        for i in range(30)
    ]
    assert wait_until(lambda: services.agents.length() == 30, timeout=30)
    for process in processes:
        stop_process(process)  # SIGTERM
        assert process.returncode == 0
    callbacks = [services.scheduler.get(i) for i in ids]
    assert all(
        c is not None and (c.status, c.claims, c.attempts) == (CallbackStatus.PLACED, 1, 1)
        for c in callbacks
    )
    tasks = services.agents.claim("agent:7", count=100)
    assert sorted(t.callback_id for t in tasks) == sorted(ids)
    assert all("stopped" in log.read_text() for log in logs)


def test_the_worker_refuses_a_fake_clock_in_production(
    redis_url: str, worker_env: dict[str, str]
) -> None:
    done = subprocess.run(
        worker_args(redis_url, "--once"),
        env={**os.environ, **worker_env, "HOTLINE_ENV": "production"},
        cwd=PROJECT_ROOT,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2 and b"production" in done.stderr
