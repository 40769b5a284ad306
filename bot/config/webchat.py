"""`webchat:` the widget's title, flood control and restored history (the lines the web
chat says itself are domain.yml responses, `utter_webchat_*`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.config.parse import positive_int


@dataclass(frozen=True)
class WebchatSettings:
    title: str = "在线客服"  # widget header; the embedding page may override it
    max_messages_per_second: int = 5  # flood control per conversation
    history_limit: int = 200  # messages restored after a reload


def parse_webchat(raw: Mapping[str, Any]) -> WebchatSettings:
    default = WebchatSettings()
    return WebchatSettings(
        title=str(raw.get("title") or default.title),
        max_messages_per_second=positive_int(
            raw, "max_messages_per_second", default.max_messages_per_second, "webchat"),
        history_limit=positive_int(raw, "history_limit", default.history_limit, "webchat"),
    )
