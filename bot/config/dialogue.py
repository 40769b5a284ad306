"""`dialogue:` (its scalar settings; `dialogue.repair` is bot/config/repair.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.config.parse import positive_int


@dataclass(frozen=True)
class DialogueSettings:
    # A web chat that stays silent this long gets the closing line (seconds).
    webchat_idle_timeout_s: int = 300
    # Rasa session expiry: a conversation idle longer starts a new session.
    session_expiration_minutes: int = 60
    max_message_chars: int = 2000
    # Seconds between a scripted closing (silent, noisy, quiet line) and hang-up.
    scripted_hangup_after_s: int = 5
    # How promised times are read out: "spoken" ("今天18:10", bot/language/moments.py)
    # or a strftime pattern ("%m月%d日 %H:%M").
    promised_time_format: str = "spoken"
    # A backend lookup slower than this is wrapped in the hold/resume lines.
    hold_after_ms: int = 1500
    # How a caller is addressed until the title is known (manual 000:514).
    default_address: str = "先生(女士)"

    @property
    def hold_after_s(self) -> float:
        return self.hold_after_ms / 1000


def parse_dialogue(raw: Mapping[str, Any]) -> DialogueSettings:
    default = DialogueSettings()
    where = "dialogue"
    return DialogueSettings(
        webchat_idle_timeout_s=positive_int(
            raw, "webchat_idle_timeout_s", default.webchat_idle_timeout_s, where),
        session_expiration_minutes=positive_int(
            raw, "session_expiration_minutes", default.session_expiration_minutes, where),
        max_message_chars=positive_int(raw, "max_message_chars", default.max_message_chars,
                                       where),
        scripted_hangup_after_s=positive_int(
            raw, "scripted_hangup_after_s", default.scripted_hangup_after_s, where),
        promised_time_format=str(raw.get("promised_time_format",
                                         default.promised_time_format)),
        hold_after_ms=positive_int(raw, "hold_after_ms", default.hold_after_ms, where),
        default_address=str(raw.get("default_address", default.default_address)),
    )
