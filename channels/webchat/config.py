"""The web chat's configuration, from the typed hotline.yml sections and the environment.

hotline.yml (bot/config): `dialogue.webchat_idle_timeout_s`, `dialogue.max_message_chars`,
`webchat.title`, `webchat.max_messages_per_second`, `webchat.history_limit`, `company`.
Environment: `WEBCHAT_ALLOWED_ORIGINS`, `WEBCHAT_SHARED_ROOMS` with `REDIS_URL` (through
`bot.config.settings()`) and `HOTLINE_ENV`.
The channel's own lines (refusals) are domain.yml responses `utter_webchat_*`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config import hotline_config, settings
from channels.lines import Lines
from channels.webchat import protocol

# The domain response of each refusal; any other code is an unreadable message.
REFUSALS = {
    protocol.TOO_LONG: "utter_webchat_too_long",
    protocol.RATE_LIMITED: "utter_webchat_rate_limited",
    protocol.UNAVAILABLE: "utter_webchat_unavailable",
}
INVALID = "utter_webchat_invalid"


@dataclass(frozen=True)
class WebchatConfig:
    """Everything the web chat channel and widget need to know."""

    title: str = "在线客服"
    company_name: str = ""
    assistant_name: str = ""
    hotline_number: str = ""
    max_message_chars: int = 2000
    max_messages_per_second: int = 5
    idle_timeout_s: int = 300
    history_limit: int = 200
    allowed_origins: tuple[str, ...] = ()
    allow_localhost: bool = True
    # Redis through which several replicas share the Socket.IO rooms ("" = this process only).
    shared_rooms_redis_url: str = ""

    def refusal(self, code: str, lines: Lines) -> str:
        """The polite line for a refused message (`too_long`, `rate_limited` …)."""
        return lines.text(
            REFUSALS.get(code, INVALID),
            max_chars=self.max_message_chars,
            max_per_second=self.max_messages_per_second,
            hotline_number=self.hotline_number,
        )

    def public(self) -> dict[str, Any]:
        """The part the browser may see (sent with the session confirmation)."""
        return {
            "title": self.title,
            "company_name": self.company_name,
            "assistant_name": self.assistant_name,
            "hotline_number": self.hotline_number,
            "max_message_chars": self.max_message_chars,
            "max_messages_per_second": self.max_messages_per_second,
            "idle_timeout_s": self.idle_timeout_s,
        }


def load_webchat_config() -> WebchatConfig:
    """Build the web chat configuration from hotline.yml and the environment."""
    config = hotline_config()
    env = settings()
    return WebchatConfig(
        title=config.webchat.title,
        company_name=config.company.name,
        assistant_name=config.company.assistant_name,
        hotline_number=config.company.hotline_number,
        max_message_chars=config.dialogue.max_message_chars,
        max_messages_per_second=config.webchat.max_messages_per_second,
        idle_timeout_s=config.dialogue.webchat_idle_timeout_s,
        history_limit=config.webchat.history_limit,
        allowed_origins=env.webchat_allowed_origins,
        allow_localhost=not env.is_production and not env.webchat_allowed_origins,
        shared_rooms_redis_url=env.redis_url if env.webchat_shared_rooms else "",
    )
