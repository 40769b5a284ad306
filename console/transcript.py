"""A conversation's transcript from the Rasa tracker JSON in Redis (no Rasa imports)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import redis

from bot.masking import mask_sensitive
from bot.tracker_codec import TrackerDecodeError, decode_dialogue

TRACKER_KEY = "hotline:tracker:{conversation_id}"
# Caller states shown with a marker in the transcript.
MARKED_INTENTS = {"angry": "angry", "malicious": "malicious"}


def load_events(client: redis.Redis[bytes], conversation_id: str) -> list[dict[str, Any]] | None:
    raw = client.get(TRACKER_KEY.format(conversation_id=conversation_id))
    if raw is None:
        return None
    try:
        return list(decode_dialogue(raw).get("events") or [])
    except TrackerDecodeError:
        return None


def conversation_ids(client: redis.Redis[bytes], limit: int = 500) -> list[str]:
    prefix = TRACKER_KEY.format(conversation_id="")
    found = []
    for key in client.scan_iter(match=prefix + "*", count=200):
        found.append((key.decode() if isinstance(key, bytes) else key)[len(prefix):])
        if len(found) >= limit:
            break
    return sorted(found)


def _time(stamp: Any) -> str:
    try:
        return datetime.fromtimestamp(float(stamp), timezone.utc).isoformat(timespec="seconds")
    except (TypeError, ValueError):
        return ""


def turns(events: list[dict[str, Any]], reveal: bool = False) -> list[dict[str, Any]]:
    """User and bot turns; numbers masked unless `reveal`."""
    show = (lambda text: text) if reveal else mask_sensitive
    out: list[dict[str, Any]] = []
    for index, event in enumerate(events):
        kind = event.get("event")
        if kind == "user":
            parse = event.get("parse_data") or {}
            intent = parse.get("intent") or {}
            name = intent.get("name") or ""
            out.append({
                "index": index, "speaker": "caller", "text": show(event.get("text") or ""),
                "time": _time(event.get("timestamp")), "intent": name,
                "confidence": intent.get("confidence"),
                "entities": [
                    {"entity": e.get("entity"), "value": show(str(e.get("value", "")))}
                    for e in parse.get("entities") or []
                ],
                "marker": MARKED_INTENTS.get(name, ""),
            })
        elif kind == "bot":
            metadata = event.get("metadata") or {}
            data = event.get("data") or {}
            text = event.get("text") or ""
            if not text and not data.get("custom"):
                continue
            out.append({
                "index": index, "speaker": "agent" if metadata.get("agent") else "bot",
                "agent": metadata.get("agent") or "",
                "text": show(text or json.dumps(data.get("custom"), ensure_ascii=False)),
                "time": _time(event.get("timestamp")),
                "action": metadata.get("utter_action") or "",
                "control": not text,
            })
    return out
