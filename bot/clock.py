"""Injectable clocks: every deadline in the ticket and callback code asks one for "now".

Production code uses `SystemClock`; tests use `ManualClock` (set/advance by hand);
`OffsetClock` starts at a chosen instant and then runs in real time (the callback
worker's `--clock-start`, for drills and process-level tests). All clocks return
timezone-aware datetimes in the company timezone (`business_hours.timezone`).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, tzinfo
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from bot.config import HotlineConfig, hotline_config


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in the company timezone."""
        ...


def company_timezone(config: HotlineConfig | None = None) -> ZoneInfo:
    """The timezone named by hotline.yml `business_hours.timezone`."""
    return (config or hotline_config()).business_hours.timezone


def require_aware(moment: datetime, what: str = "datetime") -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {moment!r}")
    return moment


class SystemClock:
    """The real time, in the company timezone."""

    def __init__(self, tz: tzinfo | None = None) -> None:
        self._tz = tz or company_timezone()

    def now(self) -> datetime:
        return datetime.now(self._tz)


class ManualClock:
    """A clock that only moves when told to (thread-safe)."""

    def __init__(self, start: datetime | None = None, tz: tzinfo | None = None) -> None:
        self._tz = tz or (start.tzinfo if start is not None else None) or company_timezone()
        self._lock = threading.Lock()
        initial = start if start is not None else datetime.now(self._tz)
        self._now = require_aware(initial, "start").astimezone(self._tz)

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = require_aware(moment, "moment").astimezone(self._tz)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by `delta` or by timedelta keyword arguments (minutes=30)."""
        step = delta if delta is not None else timedelta(**kwargs)
        with self._lock:
            self._now = self._now + step
            return self._now


class OffsetClock:
    """Starts at `start` and then advances with the real (monotonic) time."""

    def __init__(self, start: datetime, tz: tzinfo | None = None) -> None:
        self._tz = tz or start.tzinfo or company_timezone()
        self._start = require_aware(start, "start").astimezone(self._tz)
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin)
