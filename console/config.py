"""The console's settings: hotline.yml `console:` (login limit, figures, page size, queue
warning, labels) and the company time zone (`business_hours.timezone`), parsed once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.clock import company_timezone
from bot.config import ConfigError, HotlineConfig, hotline_config
from console.chat import CHANNEL_EVENTS
from console.labels import Labels, labels_from_config
from console.ratelimit import LoginLimit, login_limit_from_config


@dataclass(frozen=True)
class ConsoleConfig:
    tz: ZoneInfo
    labels: Labels
    login_limit: LoginLimit
    callback_grace: timedelta
    page_size: int = 20
    queue_wait_warning_s: int = 120
    company: str = ""
    # Intents the channels send as `/intent` messages: rows in a transcript, not lines.
    channel_events: frozenset[str] = CHANNEL_EVENTS


def _number(section: object, key: str, default: float) -> float:
    raw = section.get(key, default) if isinstance(section, dict) else default
    try:
        value = float(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"hotline.yml: console.{key} must be a number") from exc
    if value <= 0:
        raise ConfigError(f"hotline.yml: console.{key} must be positive")
    return value


def console_config(config: HotlineConfig | None = None) -> ConsoleConfig:
    config = config or hotline_config()
    section = dict(config.section("console"))
    figures = section.get("figures") or {}
    return ConsoleConfig(
        tz=company_timezone(config),
        labels=labels_from_config(config),
        login_limit=login_limit_from_config(section),
        callback_grace=timedelta(minutes=_number(dict(figures), "callback_grace_minutes", 10)),
        page_size=int(_number(section, "page_size", 20)),
        queue_wait_warning_s=int(_number(section, "queue_wait_warning_s", 120)),
        company=f"{config.company.name} {config.company.hotline_name}",
        channel_events=_channel_events(config),
    )


def _channel_events(config: HotlineConfig) -> frozenset[str]:
    """`dialogue.repair.channel_events` when the dialogue configures them, else the
    channel events of domain.yml as shipped."""
    repair = config.dialogue.get("repair")
    events = repair.get("channel_events") if isinstance(repair, dict) else None
    return frozenset(str(e) for e in events) if events else CHANNEL_EVENTS
