"""The callback domain's policy, built from the typed `callbacks:` section (bot/config)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.callbacks.model import Outcome
from bot.clock import require_aware
from bot.config import ConfigError, HotlineConfig


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


def callback_policy_from_config(config: HotlineConfig) -> CallbackPolicy:
    section = config.callbacks
    known = {o.value for o in Outcome}  # the codes the code knows how to act on
    codes = frozenset(section.outcome_codes or known)
    unknown = sorted(codes - known)
    if unknown:
        raise ConfigError(f"hotline.yml: callbacks.outcome_codes has unknown codes {unknown}")
    return CallbackPolicy(
        quiet=QuietHours(section.quiet_start, section.quiet_end,
                         config.business_hours.timezone),
        max_attempts=section.max_attempts,
        retry_interval=section.retry_interval,
        lease=section.lease,
        outcome_codes=codes,
        poll_interval_seconds=section.poll_interval_seconds,
        batch_size=section.batch_size,
        dialer_retry=section.dialer_retry,
        dialer=section.dialer,
    )
