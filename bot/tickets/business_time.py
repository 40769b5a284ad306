"""Business hours: working days, opening windows, and time counted only while open.

Pure functions of their inputs; "now" always comes from the caller (a Clock).
Elapsed time is computed in UTC, so the arithmetic stays right in timezones with DST.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.clock import require_aware

_SEARCH_DAYS = 400  # how far ahead we look for a working day before giving up


@dataclass(frozen=True)
class BusinessHours:
    tz: ZoneInfo
    open: time
    close: time
    working_days: frozenset[int] = frozenset(range(1, 8))  # ISO weekdays, Monday = 1
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.open >= self.close:
            raise ValueError("business hours must open before they close on the same day")
        if not self.working_days:
            raise ValueError("business hours need at least one working day")

    def local(self, moment: datetime) -> datetime:
        return require_aware(moment).astimezone(self.tz)

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() in self.working_days and day not in self.holidays

    def window(self, day: date) -> tuple[datetime, datetime]:
        """Opening and closing instants of `day` (whether or not it is a working day)."""
        return (
            datetime.combine(day, self.open, tzinfo=self.tz),
            datetime.combine(day, self.close, tzinfo=self.tz),
        )

    def is_open(self, moment: datetime) -> bool:
        local = self.local(moment)
        start, end = self.window(local.date())
        return self.is_working_day(local.date()) and start <= local < end

    def next_open(self, moment: datetime) -> datetime:
        """`moment` itself when open, else the next opening instant."""
        local = self.local(moment)
        day = local.date()
        for _ in range(_SEARCH_DAYS):
            if self.is_working_day(day):
                start, end = self.window(day)
                if local < start:
                    return start
                if local < end:
                    return local
            day += timedelta(days=1)
        raise ValueError("no working day found in the business calendar")

    def next_working_day(self, after: date) -> date:
        """The first working day strictly after `after`."""
        day = after + timedelta(days=1)
        for _ in range(_SEARCH_DAYS):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("no working day found in the business calendar")

    def closing_of(self, day: date) -> datetime:
        return self.window(day)[1]

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """`start` + `amount`, counting only time while open (the SLA business clock)."""
        remaining = amount
        current = self.next_open(start)
        for _ in range(_SEARCH_DAYS * 2):
            end = self.window(current.date())[1]
            available = end.astimezone(timezone.utc) - current.astimezone(timezone.utc)
            if remaining <= available:
                return _plus(current, remaining, self.tz)
            remaining -= available
            current = self.next_open(end)
        raise ValueError("business-time addition did not converge")


def _plus(moment: datetime, amount: timedelta, tz: ZoneInfo) -> datetime:
    """Exact elapsed-time addition (aware + timedelta in Python is wall-clock arithmetic)."""
    return (moment.astimezone(timezone.utc) + amount).astimezone(tz)


def plus_elapsed(moment: datetime, amount: timedelta, tz: ZoneInfo) -> datetime:
    return _plus(require_aware(moment), amount, tz)
