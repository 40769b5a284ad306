"""`callbacks:` quiet hours, retries, leases, the worker and the dialer, agents' holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

from bot.config.parse import hhmm, mapping, number, strings


@dataclass(frozen=True)
class CallbackSettings:
    quiet_start: time = time(21)  # no callback is placed while quiet
    quiet_end: time = time(9)
    max_attempts: int = 3  # placed calls: the first one and the retries
    retry_interval: timedelta = timedelta(minutes=30)
    lease: timedelta = timedelta(seconds=120)
    outcome_codes: tuple[str, ...] = ()  # empty: every code the callbacks know
    # A preferred callback time further ahead than this is refused (re-asked).
    max_days_ahead: int = 30
    poll_interval_seconds: float = 5.0
    batch_size: int = 10
    dialer_retry: timedelta = timedelta(minutes=5)
    dialer: str = ""  # module:factory; empty = the agents' queue
    agent_hold: timedelta = timedelta(minutes=30)  # a console agent's claim lasts this long


def parse_callbacks(raw: Mapping[str, Any]) -> CallbackSettings:
    default = CallbackSettings()
    where = "callbacks"
    quiet = mapping(raw.get("quiet_hours"), "callbacks.quiet_hours")
    return CallbackSettings(
        quiet_start=hhmm(quiet.get("start", "21:00"), "callbacks.quiet_hours.start"),
        quiet_end=hhmm(quiet.get("end", "09:00"), "callbacks.quiet_hours.end"),
        max_attempts=int(number(raw, "max_attempts", default.max_attempts, where, minimum=1)),
        retry_interval=timedelta(minutes=number(raw, "retry_interval_minutes", 30, where,
                                                minimum=0)),
        lease=timedelta(seconds=number(raw, "lease_seconds", 120, where, minimum=0.05)),
        outcome_codes=strings(raw.get("outcome_codes"), "callbacks.outcome_codes"),
        max_days_ahead=int(number(raw, "max_days_ahead", default.max_days_ahead, where,
                                  minimum=1)),
        poll_interval_seconds=number(raw, "poll_interval_seconds",
                                     default.poll_interval_seconds, where, minimum=0.01),
        batch_size=int(number(raw, "batch_size", default.batch_size, where, minimum=1)),
        dialer_retry=timedelta(seconds=number(raw, "dialer_retry_seconds", 300, where,
                                              minimum=0)),
        dialer=str(raw.get("dialer") or ""),
        agent_hold=timedelta(minutes=number(raw, "agent_hold_minutes", 30, where, above=0)),
    )
