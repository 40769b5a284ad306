"""Validation of what browsers send over the socket.

Everything arriving from a client is untrusted: payloads must be JSON objects,
texts must be strings, and conversation ids must be random (version 4) UUIDs.
Invalid input raises `Rejected` with a short machine-readable code; the channel
turns it into a polite reply and never passes it to Rasa.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

from channels.validation import InputRejected, clean_text

# error codes (sent to the browser in acks, see docs/WEBCHAT.md)
INVALID_PAYLOAD = "invalid_payload"
INVALID_SESSION_ID = "invalid_session_id"
INVALID_MESSAGE = "invalid_message"
EMPTY_MESSAGE = "empty_message"
TOO_LONG = "too_long"
RATE_LIMITED = "rate_limited"
UNAVAILABLE = "unavailable"

MAX_DISPLAY_TEXT_CHARS = 200
SESSION_START_TRIGGER = "/session_start"
_UUID_TEXT = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                        r"[0-9a-fA-F]{12}$")


class Rejected(ValueError):
    """A client payload the channel refuses; `code` is one of the constants above."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def new_session_id() -> str:
    return uuid.uuid4().hex


def parse_session_id(value: Any) -> str:
    """The canonical form (32 lower-case hex digits) of a random UUID, else `Rejected`."""
    if not isinstance(value, str) or len(value) > 36 or not _UUID_TEXT.match(value):
        raise Rejected(INVALID_SESSION_ID)
    parsed = uuid.UUID(value)
    if parsed.version != 4 or parsed.variant != uuid.RFC_4122:
        raise Rejected(INVALID_SESSION_ID)
    return parsed.hex


def requested_session_id(data: Any) -> Optional[str]:
    """The id a `session_request` asks for; None means "start a new conversation"."""
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise Rejected(INVALID_PAYLOAD)
    value = data.get("session_id")
    if value is None or value == "":
        return None
    return parse_session_id(value)


@dataclass(frozen=True)
class InboundMessage:
    """A validated `user_uttered` payload: the caller's text, or a button's payload."""

    session_id: str
    text: str
    display_text: Optional[str] = None
    payload: Optional[str] = None

    @property
    def is_session_start(self) -> bool:
        return self.text.split("{", 1)[0].strip() == SESSION_START_TRIGGER


def _metadata(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if isinstance(value, str):
        if len(value) > 4 * MAX_DISPLAY_TEXT_CHARS:
            raise Rejected(INVALID_PAYLOAD)
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise Rejected(INVALID_PAYLOAD) from exc
    if not isinstance(value, Mapping):
        raise Rejected(INVALID_PAYLOAD)
    return value


def parse_user_message(
    data: Any, max_chars: int, metadata_key: str = "metadata"
) -> InboundMessage:
    """Validate a `user_uttered` payload: `{"message": str, "session_id": uuid, "metadata": {}}`.

    The only metadata taken from the browser is `display_text` (what a quick-reply
    button showed, so a restored history shows the title rather than the payload).
    """
    if not isinstance(data, Mapping):
        raise Rejected(INVALID_PAYLOAD)
    session_id = parse_session_id(data.get("session_id"))
    raw = data.get("message")
    if not isinstance(raw, str):
        raise Rejected(INVALID_MESSAGE)
    if len(raw.strip()) > max_chars:
        raise Rejected(TOO_LONG)
    try:
        text = clean_text(raw)  # the checks every channel applies (control characters …)
    except InputRejected as exc:
        raise Rejected(TOO_LONG if exc.status == 413 else EMPTY_MESSAGE) from exc
    display = _metadata(data, metadata_key).get("display_text")
    display_text = None
    if isinstance(display, str) and display.strip():
        display_text = display.strip()[:MAX_DISPLAY_TEXT_CHARS]
    payload = data.get("payload")
    if payload is not None and (not isinstance(payload, str) or not payload.strip()
                                or len(payload) > MAX_DISPLAY_TEXT_CHARS * 4):
        raise Rejected(INVALID_PAYLOAD)
    return InboundMessage(session_id=session_id, text=text, display_text=display_text,
                          payload=payload.strip() if payload else None)
