"""Checks every channel applies to what callers send before it reaches Rasa."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.config import hotline_config

SENDER_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:@+\-]{1,128}$")


class InputRejected(ValueError):
    """The request cannot be served; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def max_message_chars() -> int:
    return hotline_config().dialogue.max_message_chars


def clean_text(value: Any) -> str:
    """A caller's message: a string, control characters removed, within the length limit."""
    if not isinstance(value, str):
        raise InputRejected(400, "message must be a string")
    text = "".join(
        char for char in value
        if char in "\n\t" or unicodedata.category(char) not in ("Cc", "Cs", "Co", "Cn")
    ).strip()
    if not text:
        raise InputRejected(400, "message must not be empty")
    limit = max_message_chars()
    if len(text) > limit:
        raise InputRejected(413, f"message longer than {limit} characters")
    return text


def clean_sender(value: Any) -> str:
    if not isinstance(value, str) or not SENDER_ID_PATTERN.match(value):
        raise InputRejected(
            400, "sender must be 1-128 characters of letters, digits and _.:@+-"
        )
    return value


def clean_metadata(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputRejected(400, "metadata must be an object")
    return value
