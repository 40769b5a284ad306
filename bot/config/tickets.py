"""`business_hours:`, `sla:` and `severity_keywords:` — when the company works, what it
promises for each severity, and the words that raise a complaint's severity.

Plain values; bot/tickets/policy.py turns them into the ticket domain's policy objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.config.errors import ConfigError
from bot.config.parse import hhmm, mapping, number, strings, texts, whole

DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class BusinessHoursSettings:
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))
    open: time = time(9)
    close: time = time(21)


@dataclass(frozen=True)
class SlaLevel:
    first_response_minutes: float | None = None
    callback_minutes: float | None = None
    callback_next_working_day: bool = False


@dataclass(frozen=True)
class SlaSettings:
    levels: Mapping[str, SlaLevel] = field(default_factory=dict)  # by severity
    escalation_tiers: tuple[str, ...] = ()
    repeat_complaint_window_hours: float = 72
    # Count SLA minutes only while business hours are open (False: wall-clock minutes).
    business_hours_clock: bool = True
    working_days: frozenset[int] = frozenset(range(1, 8))  # ISO weekdays
    holidays: frozenset[date] = frozenset()
    intent_severity: Mapping[str, str] = field(default_factory=dict)
    category_severity: Mapping[str, str] = field(default_factory=dict)
    anger_high_after: int = 1
    initial_tier_by_category: Mapping[str, str] = field(default_factory=dict)
    close_min_satisfaction: int = 4  # a ticket closes only when the caller is satisfied


@dataclass(frozen=True)
class SeverityKeywords:
    urgent: tuple[str, ...] = ()
    high: tuple[str, ...] = ()


def parse_business_hours(raw: Mapping[str, Any]) -> BusinessHoursSettings:
    name = str(raw.get("timezone") or DEFAULT_TIMEZONE)
    try:
        zone = ZoneInfo(name)
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"hotline.yml: unknown business_hours.timezone '{name}'") from exc
    return BusinessHoursSettings(
        timezone=zone,
        open=hhmm(raw.get("open", "09:00"), "business_hours.open"),
        close=hhmm(raw.get("close", "21:00"), "business_hours.close"),
    )


# The keys of `sla:` that are mappings but no severity level.
_MAPPINGS = ("intent_severity", "category_severity", "initial_tier_by_category")


def _minutes(raw: Mapping[str, Any], key: str, where: str) -> float | None:
    if raw.get(key) is None:
        return None
    return number(raw, key, 0, where, above=0)


def parse_sla(raw: Mapping[str, Any]) -> SlaSettings:
    default = SlaSettings()
    levels = {}
    for name, level in raw.items():
        if not isinstance(level, Mapping) or name in _MAPPINGS:
            continue
        where = f"sla.{name}"
        levels[str(name)] = SlaLevel(
            first_response_minutes=_minutes(level, "first_response_minutes", where),
            callback_minutes=_minutes(level, "callback_minutes", where),
            callback_next_working_day=bool(level.get("callback_next_working_day", False)),
        )
    try:
        holidays = frozenset(date.fromisoformat(str(d)) for d in raw.get("holidays") or ())
        days = frozenset(int(d) for d in raw.get("working_days") or default.working_days)
    except ValueError as exc:
        raise ConfigError(f"hotline.yml: business hours: {exc}") from exc
    return SlaSettings(
        levels=levels,
        escalation_tiers=strings(raw.get("escalation_tiers"), "sla.escalation_tiers"),
        repeat_complaint_window_hours=number(
            raw, "repeat_complaint_window_hours", default.repeat_complaint_window_hours, "sla"),
        business_hours_clock=bool(raw.get("business_hours_clock", True)),
        working_days=days,
        holidays=holidays,
        intent_severity=texts(raw.get("intent_severity"), "sla.intent_severity"),
        category_severity=texts(raw.get("category_severity"), "sla.category_severity"),
        anger_high_after=whole(raw, "anger_high_after", default.anger_high_after, "sla"),
        initial_tier_by_category=texts(raw.get("initial_tier_by_category"),
                                       "sla.initial_tier_by_category"),
        close_min_satisfaction=whole(raw, "close_min_satisfaction",
                                     default.close_min_satisfaction, "sla"),
    )


def parse_severity_keywords(raw: Mapping[str, Any]) -> SeverityKeywords:
    return SeverityKeywords(
        urgent=strings(mapping(raw, "severity_keywords").get("urgent"),
                       "severity_keywords.urgent"),
        high=strings(raw.get("high"), "severity_keywords.high"),
    )
