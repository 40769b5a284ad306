"""Times for people: the company time zone (hotline.yml business_hours.timezone, default
Asia/Shanghai) and one format, `12月2日 12:41` (the year only when it is not this year);
waiting times as `3 分 12 秒`. Storage is untouched: records keep absolute instants."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo


def instant(value: Any) -> datetime | None:
    """A datetime from what the records hold: an aware datetime, an ISO 8601 string (with
    offset; naive means UTC) or epoch seconds (Rasa's event timestamps)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    else:
        text = str(value).strip()
        try:
            return datetime.fromtimestamp(float(text), timezone.utc)
        except ValueError:
            pass
        except (OverflowError, OSError):
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class TimeFormat:
    def __init__(self, tz: ZoneInfo, now: Any = None) -> None:
        self.tz = tz
        self._now = now  # a fixed "now" for tests; None: the real time

    def now(self) -> datetime:
        return self._now() if callable(self._now) else datetime.now(self.tz)

    def local(self, value: Any) -> datetime | None:
        moment = instant(value)
        return moment.astimezone(self.tz) if moment else None

    def _day(self, moment: datetime) -> str:
        day = f"{moment.month}月{moment.day}日"
        return day if moment.year == self.now().astimezone(self.tz).year \
            else f"{moment.year}年{day}"

    def when(self, value: Any) -> str:
        """`12月2日 12:41` (`2025年12月2日 12:41` in another year); "" for no time."""
        moment = self.local(value)
        return f"{self._day(moment)} {moment:%H:%M}" if moment else ""

    def day(self, value: Any) -> str:
        """`12月2日` (with the year when it is not this year)."""
        moment = self.local(value)
        return self._day(moment) if moment else ""

    def clock(self, value: Any) -> str:
        """`12:41` (the time of day only; transcripts put the day in a separator row)."""
        moment = self.local(value)
        return f"{moment:%H:%M}" if moment else ""

    def input_value(self, value: Any) -> str:
        """The value of a datetime-local form field, in company time."""
        moment = self.local(value)
        return f"{moment:%Y-%m-%dT%H:%M}" if moment else ""


def duration(seconds: float | None) -> str:
    """A span for people: `45 秒`, `3 分 12 秒`, `2 分钟`, `2 小时 5 分`, `3 天 4 小时`."""
    if seconds is None:
        return ""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} 天 {hours} 小时" if hours else f"{days} 天"
    if hours:
        return f"{hours} 小时 {minutes} 分" if minutes else f"{hours} 小时"
    if minutes:
        return f"{minutes} 分 {secs} 秒" if secs else f"{minutes} 分钟"
    return f"{secs} 秒"


def ago(fmt: TimeFormat, value: Any) -> str:
    """How long ago: `刚刚`, `5 分钟前`, `3 小时前`, else the date and time."""
    moment = instant(value)
    if moment is None:
        return ""
    seconds = (fmt.now() - moment).total_seconds()
    if seconds < 60:
        return "刚刚"
    if seconds < 3600:
        return f"{int(seconds // 60)} 分钟前"
    if seconds < 86400:
        return f"{int(seconds // 3600)} 小时前"
    return fmt.when(moment)
