"""The ticket domain's policy objects, built from the typed hotline.yml sections
(`business_hours`, `sla`, `severity_keywords`, `complaint_categories`; bot/config), so
the pure functions in `severity` and `sla` work with domain types (Severity, BusinessHours).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

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


def business_hours_from_config(config: HotlineConfig) -> BusinessHours:
    hours, sla = config.business_hours, config.sla
    try:
        return BusinessHours(
            tz=hours.timezone,
            open=hours.open,
            close=hours.close,
            working_days=sla.working_days,
            holidays=sla.holidays,
        )
    except ValueError as exc:
        raise ConfigError(f"hotline.yml: business hours: {exc}") from exc


def _minutes(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(minutes=value)


def sla_policy_from_config(config: HotlineConfig) -> SlaPolicy:
    sla = config.sla
    levels: dict[Severity, SeverityLevel] = {}
    for severity in Severity:
        what = f"sla.{severity.value}"
        raw = sla.levels.get(severity.value)
        if raw is None:
            raise ConfigError(f"hotline.yml: {what} is missing")
        first, callback = _minutes(raw.first_response_minutes), _minutes(raw.callback_minutes)
        next_day = raw.callback_next_working_day
        if first is None or (callback is None and not next_day):
            raise ConfigError(
                f"hotline.yml: {what} needs first_response_minutes and either "
                "callback_minutes or callback_next_working_day"
            )
        levels[severity] = SeverityLevel(first, None if next_day else callback, next_day)
    tiers = sla.escalation_tiers
    if not tiers:
        raise ConfigError("hotline.yml: sla.escalation_tiers must list at least one tier")
    initial = dict(sla.initial_tier_by_category)
    unknown = sorted(set(initial.values()) - set(tiers))
    if unknown:
        raise ConfigError(f"hotline.yml: sla.initial_tier_by_category names unknown {unknown}")
    return SlaPolicy(
        levels=levels,
        tiers=tiers,
        repeat_window=timedelta(hours=sla.repeat_complaint_window_hours),
        business_clock=sla.business_hours_clock,
        initial_tier_by_category=initial,
        close_min_satisfaction=sla.close_min_satisfaction,
    )


def _severity_map(raw: Mapping[str, str], what: str) -> dict[str, Severity]:
    try:
        return {key: Severity(value) for key, value in raw.items()}
    except ValueError as exc:
        raise ConfigError(f"hotline.yml: {what}: {exc}") from exc


def severity_policy_from_config(config: HotlineConfig) -> SeverityPolicy:
    keywords, sla = config.severity_keywords, config.sla
    return SeverityPolicy(
        urgent_keywords=keywords.urgent,
        high_keywords=keywords.high,
        intent_severity=_severity_map(sla.intent_severity, "sla.intent_severity"),
        category_severity=_severity_map(sla.category_severity, "sla.category_severity"),
        anger_high_after=sla.anger_high_after,
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
    categories = config.complaint_categories
    return TicketPolicy(
        sla=sla_policy_from_config(config),
        severity=severity_policy_from_config(config),
        hours=business_hours_from_config(config),
        categories=categories,
        limits=ValidationLimits(max_days_ahead=config.callbacks.max_days_ahead),
    )
