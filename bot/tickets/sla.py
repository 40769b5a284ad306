"""Deadlines of a ticket (first response and promised callback by severity, in business
time; a missed one escalates a tier): pure functions of severity and time.

- first response: when the first callback attempt is due (`first_response_minutes`);
- promised time (ETA told to the caller): urgent/high -> now + `callback_minutes`,
  normal -> the close of business on the next working day.
With `sla.business_hours_clock` (default) minutes only run while business hours are
open, so a complaint at 20:30 is not promised a call in the middle of the night.
A caller's preferred callback time replaces the first-response time and, when later,
the promise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import require_aware
from bot.tickets.business_time import BusinessHours, plus_elapsed
from bot.tickets.model import Severity
from bot.tickets.policy import SlaPolicy


@dataclass(frozen=True)
class Deadlines:
    first_response: datetime
    promised: datetime


def elapse(start: datetime, amount: timedelta, sla: SlaPolicy, hours: BusinessHours) -> datetime:
    """`start` + `amount` on the SLA clock (business time or wall time)."""
    if sla.business_clock:
        return hours.add(start, amount)
    return plus_elapsed(start, amount, hours.tz)


def promised_time(
    severity: Severity, start: datetime, sla: SlaPolicy, hours: BusinessHours
) -> datetime:
    level = sla.level(severity)
    if level.next_working_day or level.callback is None:
        day = hours.next_working_day(hours.local(start).date())
        return hours.closing_of(day)
    return elapse(start, level.callback, sla, hours)


def first_response_time(
    severity: Severity, start: datetime, sla: SlaPolicy, hours: BusinessHours
) -> datetime:
    return elapse(start, sla.level(severity).first_response, sla, hours)


def compute_deadlines(
    severity: Severity,
    start: datetime,
    sla: SlaPolicy,
    hours: BusinessHours,
    preferred: datetime | None = None,
) -> Deadlines:
    require_aware(start, "start")
    first = first_response_time(severity, start, sla, hours)
    promised = max(promised_time(severity, start, sla, hours), first)
    if preferred is not None:
        preferred = hours.local(require_aware(preferred, "preferred"))
        first = preferred
        promised = max(promised, preferred)
    return Deadlines(first_response=hours.local(first), promised=hours.local(promised))


def next_deadline_after_escalation(
    severity: Severity, now: datetime, sla: SlaPolicy, hours: BusinessHours
) -> datetime:
    """The new tier gets the severity's own window, counted from the escalation."""
    return promised_time(severity, now, sla, hours)
