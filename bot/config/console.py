"""`console:` the agent console's login limit, figures, paging, queue warning and the
words people read for every code (`labels`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.config.errors import ConfigError
from bot.config.parse import mapping, number


@dataclass(frozen=True)
class ConsoleSettings:
    # Failed logins for one user name or address within the window before logins are refused.
    login_max_failures: int = 5
    login_window_s: int = 900
    # A callback is on time when its first call came within this many minutes of its due time.
    callback_grace_minutes: float = 10
    page_size: int = 20
    queue_wait_warning_s: int = 120  # a hand-off waiting longer is shown as overdue
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # kind -> code -> words


def _login_limit(raw: Mapping[str, Any]) -> tuple[int, int]:
    section = mapping(raw.get("login_limit"), "console.login_limit")
    try:
        limit = (int(section.get("max_failures", 5)), int(section.get("window_s", 900)))
    except (TypeError, ValueError) as exc:
        raise ConfigError("hotline.yml: console.login_limit needs whole numbers") from exc
    if min(limit) < 1:
        raise ConfigError("hotline.yml: console.login_limit values must be at least 1")
    return limit


def parse_console(raw: Mapping[str, Any]) -> ConsoleSettings:
    default = ConsoleSettings()
    figures = mapping(raw.get("figures"), "console.figures")
    labels: dict[str, dict[str, str]] = {}
    for kind, table in mapping(raw.get("labels"), "console.labels").items():
        labels[str(kind)] = {str(k): str(v) for k, v in
                             mapping(table, f"console.labels.{kind}").items()}
    max_failures, window_s = _login_limit(raw)
    return ConsoleSettings(
        login_max_failures=max_failures,
        login_window_s=window_s,
        callback_grace_minutes=number(figures, "callback_grace_minutes",
                                      default.callback_grace_minutes, "console", above=0),
        page_size=int(number(raw, "page_size", default.page_size, "console", above=0)),
        queue_wait_warning_s=int(number(raw, "queue_wait_warning_s",
                                        default.queue_wait_warning_s, "console", above=0)),
        labels=labels,
    )
