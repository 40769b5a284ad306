"""Typed view of hotline.yml `callbacks:` (quiet hours, retries, lease, worker, time words)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.callbacks.model import Outcome
from bot.clock import company_timezone, require_aware
from bot.config import ConfigError, HotlineConfig
from bot.tickets.policy import parse_hhmm


@dataclass(frozen=True)
class QuietHours:
    """No callback is placed while quiet (default 21:00-09:00; start == end: never quiet)."""

    start: time
    end: time
    tz: ZoneInfo

    def contains(self, moment: datetime) -> bool:
        local = require_aware(moment).astimezone(self.tz).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, moment: datetime) -> datetime:
        """`moment` when outside quiet hours, else the end of the quiet period."""
        local = require_aware(moment).astimezone(self.tz)
        if not self.contains(local):
            return local
        day = local.date()
        if self.start > self.end and local.time() >= self.start:
            day += timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=self.tz)


@dataclass(frozen=True)
class CallbackPolicy:
    quiet: QuietHours
    max_attempts: int = 3
    retry_interval: timedelta = timedelta(minutes=30)
    lease: timedelta = timedelta(seconds=120)
    outcome_codes: frozenset[str] = frozenset()
    poll_interval_seconds: float = 5.0
    batch_size: int = 10
    dialer_retry: timedelta = timedelta(minutes=5)
    dialer: str = ""


def _number(section: Mapping[str, Any], key: str, default: float, minimum: float) -> float:
    try:
        value = float(section.get(key, default))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"hotline.yml: callbacks.{key} must be a number") from exc
    if value < minimum:
        raise ConfigError(f"hotline.yml: callbacks.{key} must be at least {minimum}")
    return value


def callback_policy_from_config(config: HotlineConfig) -> CallbackPolicy:
    section = config.section("callbacks")
    quiet = section.get("quiet_hours") or {}
    codes = frozenset(str(c) for c in section.get("outcome_codes") or [o.value for o in Outcome])
    unknown = sorted(codes - {o.value for o in Outcome})
    if unknown:
        raise ConfigError(f"hotline.yml: callbacks.outcome_codes has unknown codes {unknown}")
    return CallbackPolicy(
        quiet=QuietHours(
            start=parse_hhmm(quiet.get("start", "21:00"), "callbacks.quiet_hours.start"),
            end=parse_hhmm(quiet.get("end", "09:00"), "callbacks.quiet_hours.end"),
            tz=company_timezone(config),
        ),
        max_attempts=int(_number(section, "max_attempts", 3, 1)),
        retry_interval=timedelta(minutes=_number(section, "retry_interval_minutes", 30, 0)),
        lease=timedelta(seconds=_number(section, "lease_seconds", 120, 0.05)),
        outcome_codes=codes,
        poll_interval_seconds=_number(section, "poll_interval_seconds", 5, 0.01),
        batch_size=int(_number(section, "batch_size", 10, 1)),
        dialer_retry=timedelta(seconds=_number(section, "dialer_retry_seconds", 300, 0)),
        dialer=str(section.get("dialer") or ""),
    )
