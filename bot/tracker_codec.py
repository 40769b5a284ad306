"""How a conversation's tracker is stored in Redis: zlib-compressed Rasa dialogue JSON.

A 20-turn conversation is ~75 KB of JSON (every event repeats its keys, the model id
and the intent ranking); compressed it is about a tenth of that. Readers outside Rasa
(the console, the retention job, benchmarks) decode through `decode_dialogue`, which
also accepts plain JSON (trackers stored before compression, hand-written fixtures).
"""

from __future__ import annotations

import json
import zlib
from typing import Any

# Level 1: nearly all of the size gain for a fraction of the CPU of the default level.
COMPRESSION_LEVEL = 1


class TrackerDecodeError(ValueError):
    """The stored value is neither a compressed nor a plain JSON dialogue."""


def closed_flag_key(base: str, sender_id: str) -> str:
    """`<base>closed:<id>` (e.g. `hotline:closed:<id>`): whether the conversation's last
    session was closed, saved beside `<base>tracker:<id>` by the tracker store and
    deleted with it by the retention job; outside the `tracker:*` key space."""
    return f"{base}closed:{sender_id}"


def encode_dialogue(dialogue_json: str) -> bytes:
    return zlib.compress(dialogue_json.encode("utf-8"), COMPRESSION_LEVEL)


def decode_text(raw: bytes | str) -> str:
    """The dialogue's JSON text."""
    if isinstance(raw, str):
        return raw
    if raw[:1] in (b"{", b"[", b" "):
        return raw.decode("utf-8")
    try:
        return zlib.decompress(raw).decode("utf-8")
    except (zlib.error, UnicodeDecodeError) as error:
        raise TrackerDecodeError(str(error)) from error


def decode_dialogue(raw: bytes | str) -> dict[str, Any]:
    """The stored dialogue as a dict (`events`, `name`)."""
    try:
        data = json.loads(decode_text(raw))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TrackerDecodeError(str(error)) from error
    if not isinstance(data, dict):
        raise TrackerDecodeError("a stored dialogue is a JSON object")
    return data
