"""Typed views of the hotline.yml sections the ticket domain uses.

`business_hours`, `sla` and `severity_keywords`, parsed and checked once, so the
pure functions in `severity` and `sla` never touch raw YAML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from bot.clock import company_timezone
from bot.config import ConfigError, HotlineConfig
from bot.tickets.business_time import BusinessHours
from bot.tickets.model import Severity
from bot.tickets.validation import ValidationLimits


@dataclass(frozen=True)
class SeverityLevel:
    first_response: timedelta
    callback: timedelta | None  # None: by the end of the next working day
    next_working_day: bool = False


@dataclass(frozen=True)
class SlaPolicy:
    levels: Mapping[Severity, SeverityLevel]
    tiers: tuple[str, ...]
    repeat_window: timedelta
    business_clock: bool = True
    initial_tier_by_category: Mapping[str, str] = field(default_factory=dict)
    close_min_satisfaction: int = 4

    def level(self, severity: Severity) -> SeverityLevel:
        return self.levels[severity]

    def tier_index(self, tier: str) -> int:
        return self.tiers.index(tier) if tier in self.tiers else 0

    def next_tier(self, tier: str) -> str | None:
        index = self.tier_index(tier) + 1
        return self.tiers[index] if index < len(self.tiers) else None


@dataclass(frozen=True)
class SeverityPolicy:
    urgent_keywords: tuple[str, ...] = ()
    high_keywords: tuple[str, ...] = ()
    intent_severity: Mapping[str, Severity] = field(default_factory=dict)
    category_severity: Mapping[str, Severity] = field(default_factory=dict)
    anger_high_after: int = 1


def parse_hhmm(value: Any, what: str) -> time:
    try:
        hours, minutes = str(value).strip().split(":")
        return time(int(hours), int(minutes))
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"hotline.yml: {what} must be HH:MM, got {value!r}") from exc


def _minutes(section: Mapping[str, Any], key: str, what: str) -> timedelta | None:
    if section.get(key) is None:
        return None
    try:
        minutes = float(section[key])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"hotline.yml: {what}.{key} must be a number") from exc
    if minutes <= 0:
        raise ConfigError(f"hotline.yml: {what}.{key} must be positive")
    return timedelta(minutes=minutes)


def business_hours_from_config(config: HotlineConfig) -> BusinessHours:
    hours = config.section("business_hours")
    sla = config.section("sla")
    try:
        holidays = frozenset(date.fromisoformat(str(d)) for d in sla.get("holidays") or ())
        days = frozenset(int(d) for d in sla.get("working_days") or range(1, 8))
        return BusinessHours(
            tz=company_timezone(config),
            open=parse_hhmm(hours.get("open", "09:00"), "business_hours.open"),
            close=parse_hhmm(hours.get("close", "21:00"), "business_hours.close"),
            working_days=days,
            holidays=holidays,
        )
    except ValueError as exc:
        raise ConfigError(f"hotline.yml: business hours: {exc}") from exc


def sla_policy_from_config(config: HotlineConfig) -> SlaPolicy:
    sla = config.section("sla")
    levels: dict[Severity, SeverityLevel] = {}
    for severity in Severity:
        what = f"sla.{severity.value}"
        raw = sla.get(severity.value)
        if not isinstance(raw, Mapping):
            raise ConfigError(f"hotline.yml: {what} is missing")
        first = _minutes(raw, "first_response_minutes", what)
        callback = _minutes(raw, "callback_minutes", what)
        next_day = bool(raw.get("callback_next_working_day", False))
        if first is None or (callback is None and not next_day):
            raise ConfigError(
                f"hotline.yml: {what} needs first_response_minutes and either "
                "callback_minutes or callback_next_working_day"
            )
        levels[severity] = SeverityLevel(first, None if next_day else callback, next_day)
    tiers = tuple(str(t) for t in sla.get("escalation_tiers") or ())
    if not tiers:
        raise ConfigError("hotline.yml: sla.escalation_tiers must list at least one tier")
    initial = {str(k): str(v) for k, v in (sla.get("initial_tier_by_category") or {}).items()}
    unknown = sorted(set(initial.values()) - set(tiers))
    if unknown:
        raise ConfigError(f"hotline.yml: sla.initial_tier_by_category names unknown {unknown}")
    return SlaPolicy(
        levels=levels,
        tiers=tiers,
        repeat_window=timedelta(hours=float(sla.get("repeat_complaint_window_hours", 72))),
        business_clock=bool(sla.get("business_hours_clock", True)),
        initial_tier_by_category=initial,
        close_min_satisfaction=int(sla.get("close_min_satisfaction", 4)),
    )


def _severity_map(raw: Any, what: str) -> dict[str, Severity]:
    try:
        return {str(k): Severity(str(v)) for k, v in (raw or {}).items()}
    except ValueError as exc:
        raise ConfigError(f"hotline.yml: {what}: {exc}") from exc


def severity_policy_from_config(config: HotlineConfig) -> SeverityPolicy:
    keywords = config.section("severity_keywords")
    sla = config.section("sla")
    return SeverityPolicy(
        urgent_keywords=tuple(str(k) for k in keywords.get("urgent") or ()),
        high_keywords=tuple(str(k) for k in keywords.get("high") or ()),
        intent_severity=_severity_map(sla.get("intent_severity"), "sla.intent_severity"),
        category_severity=_severity_map(sla.get("category_severity"), "sla.category_severity"),
        anger_high_after=int(sla.get("anger_high_after", 1)),
    )


@dataclass(frozen=True)
class TicketPolicy:
    """Everything configurable the ticket service needs, in one value."""

    sla: SlaPolicy
    severity: SeverityPolicy
    hours: BusinessHours
    categories: Mapping[str, str]
    limits: ValidationLimits = field(default_factory=ValidationLimits)


def ticket_policy_from_config(config: HotlineConfig) -> TicketPolicy:
    callbacks = config.section("callbacks")
    categories = config.complaint_categories
    if not categories:
        raise ConfigError("hotline.yml: complaint_categories must not be empty")
    return TicketPolicy(
        sla=sla_policy_from_config(config),
        severity=severity_policy_from_config(config),
        hours=business_hours_from_config(config),
        categories=categories,
        limits=ValidationLimits(max_days_ahead=int(callbacks.get("max_days_ahead", 30))),
    )
