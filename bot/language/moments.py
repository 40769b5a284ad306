"""A promised time as a person says it: `今天18:10`, `明天9:00`, `12月5日18:10`.

Read out by TTS and read in a chat, `12月02日 18:11` sounds like a form field: people
name the day relative to today when it is close, drop leading zeros, and promise
round minutes. The minute is rounded *down* (to `step_minutes`), so the time said is
never later than the deadline the ticket carries.
"""

from __future__ import annotations

from datetime import datetime, timedelta

RELATIVE_DAYS = {0: "今天", 1: "明天", 2: "后天"}


def spoken_deadline(moment: datetime, reference: datetime, step_minutes: int = 5) -> str:
    """`moment` as said on `reference`'s day (both in the hotline's time zone)."""
    if moment.tzinfo is not None and reference.tzinfo is not None:
        reference = reference.astimezone(moment.tzinfo)
    step = max(1, step_minutes)
    moment = moment.replace(second=0, microsecond=0) - timedelta(minutes=moment.minute % step)
    days = (moment.date() - reference.date()).days
    day = RELATIVE_DAYS.get(days)
    if day is None:
        day = f"{moment.month}月{moment.day}日"
        if moment.year != reference.year:
            day = f"{moment.year}年{day}"
    return f"{day}{moment.hour}:{moment.minute:02d}"
