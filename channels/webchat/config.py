"""The web chat's configuration, read from hotline.yml and the environment.

hotline.yml keys used (see docs/WEBCHAT.md):

- `dialogue.webchat_idle_timeout_s`, `dialogue.max_message_chars`
- `webchat.title`, `webchat.max_messages_per_second`, `webchat.history_limit`,
  `webchat.messages.{too_long,rate_limited,invalid,unavailable}`
- `company.hotline_number`, `company.name`, `company.assistant_name`

Environment: `WEBCHAT_ALLOWED_ORIGINS` (through `bot.config.settings()`) and `HOTLINE_ENV`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.config import ConfigError, hotline_config, settings

DEFAULT_MESSAGES: Mapping[str, str] = {
    "too_long": "对不起,您的消息超过了 {max_chars} 字,请您分段发送,好吗?谢谢!",
    "rate_limited": "对不起,您发送得太快了,每秒最多 {max_per_second} 条,请您稍等片刻再发送,好吗?",
    "invalid": "对不起,这条消息没能识别,请您重新发送,好吗?",
    "unavailable": "对不起,系统正在处理,请您稍后再试,或拨打客服热线 {hotline_number},谢谢!",
}


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
    messages: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_MESSAGES))

    def refusal(self, code: str) -> str:
        """The polite Chinese line for a refused message (`too_long`, `rate_limited` …)."""
        template = self.messages.get(code) or self.messages.get("invalid") or ""
        return template.format(
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


def _positive_int(section: Mapping[str, Any], key: str, default: int, where: str) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"hotline.yml: {where}.{key} must be a positive integer")
    return value


def load_webchat_config() -> WebchatConfig:
    """Build the web chat configuration from hotline.yml and the environment."""
    config = hotline_config()
    dialogue = config.dialogue
    section = config.webchat
    messages_section = section.get("messages") or {}
    if not isinstance(messages_section, Mapping):
        raise ConfigError("hotline.yml: webchat.messages must be a mapping")
    messages = dict(DEFAULT_MESSAGES)
    messages.update({str(k): str(v) for k, v in messages_section.items()})
    env = settings()
    return WebchatConfig(
        title=str(section.get("title") or "在线客服"),
        company_name=config.company.name,
        assistant_name=config.company.assistant_name,
        hotline_number=config.company.hotline_number,
        max_message_chars=_positive_int(dialogue, "max_message_chars", 2000, "dialogue"),
        max_messages_per_second=_positive_int(section, "max_messages_per_second", 5, "webchat"),
        idle_timeout_s=_positive_int(dialogue, "webchat_idle_timeout_s", 300, "dialogue"),
        history_limit=_positive_int(section, "history_limit", 200, "webchat"),
        allowed_origins=env.webchat_allowed_origins,
        allow_localhost=not env.is_production and not env.webchat_allowed_origins,
        messages=messages,
    )
