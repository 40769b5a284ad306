"""The console's settings: hotline.yml `console:` (login limit, figures, page size, queue
warning, labels; typed in bot/config/console.py) and the company time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.config import HotlineConfig, hotline_config
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


def console_config(config: HotlineConfig | None = None) -> ConsoleConfig:
    config = config or hotline_config()
    section = config.console
    return ConsoleConfig(
        tz=config.business_hours.timezone,
        labels=labels_from_config(config),
        login_limit=login_limit_from_config(config),
        callback_grace=timedelta(minutes=section.callback_grace_minutes),
        page_size=section.page_size,
        queue_wait_warning_s=section.queue_wait_warning_s,
        company=f"{config.company.name} {config.company.hotline_name}",
        # Intents the channels send as `/intent`: rows in a transcript, not lines.
        channel_events=config.repair.channel_events or CHANNEL_EVENTS,
    )
