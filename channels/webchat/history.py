"""The visible history of a conversation, rebuilt from its tracker's events.

Only what the visitor saw is returned: their own messages (the button title
instead of the payload for quick replies; hidden triggers such as
`/idle_timeout` are left out), the bot's texts with their quick replies, and
the `hotline` control notices (hand-off, take-over, hand-back, end). Lines an
agent typed during a take-over carry `"agent": <name>`. Slots, intents and
other internals never leave the server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Optional

from rasa.shared.core.events import BotUttered, Event, UserUttered

HOTLINE_EVENTS = frozenset({"handoff", "takeover", "handback", "end"})
MAX_BUTTONS = 20


def control_event(custom: Any) -> Optional[dict[str, Any]]:
    """The sanitised `{"hotline": {...}}` control payload, or None if it is not one."""
    if not isinstance(custom, Mapping):
        return None
    body = custom.get("hotline")
    if not isinstance(body, Mapping) or body.get("event") not in HOTLINE_EVENTS:
        return None
    event: dict[str, Any] = {"event": body["event"]}
    for key in ("reason", "ticket_id", "agent"):
        if isinstance(body.get(key), str):
            event[key] = body[key]
    if isinstance(body.get("priority"), bool):
        event["priority"] = body["priority"]
    return event


def quick_replies(data: Mapping[str, Any]) -> list[dict[str, str]]:
    """Buttons / quick replies of a bot message as `{"title", "payload"}` strings."""
    raw = data.get("quick_replies") or data.get("buttons") or []
    replies = []
    for button in raw[:MAX_BUTTONS] if isinstance(raw, list) else []:
        if not isinstance(button, Mapping):
            continue
        title, payload = button.get("title"), button.get("payload")
        if isinstance(title, str) and isinstance(payload, str):
            replies.append({"title": title, "payload": payload})
    return replies


def _user_entry(event: UserUttered) -> Optional[dict[str, Any]]:
    text = event.text or ""
    if text.startswith("/"):
        metadata = event.metadata or {}
        display = metadata.get("display_text") if isinstance(metadata, Mapping) else None
        if not isinstance(display, str) or not display:
            return None
        text = display
    if not text:
        return None
    return {"role": "user", "text": text, "timestamp": event.timestamp}


def _bot_entries(event: BotUttered) -> list[dict[str, Any]]:
    data = event.data or {}
    agent = (event.metadata or {}).get("agent")
    entries: list[dict[str, Any]] = []
    if event.text:
        # the live channel splits texts on blank lines (SocketIOOutput); so do we
        parts = [p for p in event.text.strip().split("\n\n") if p] or [event.text]
        for part in parts:
            entry = {"role": "bot", "text": part, "timestamp": event.timestamp}
            if isinstance(agent, str) and agent:
                entry["agent"] = agent
            entries.append(entry)
        replies = quick_replies(data)
        if replies:
            entries[-1]["quick_replies"] = replies
    control = control_event(data.get("custom"))
    if control is not None:
        entries.append({"role": "event", "event": control, "timestamp": event.timestamp})
    return entries


def visible_history(events: Iterable[Event], limit: int) -> list[dict[str, Any]]:
    """The last `limit` visible entries, oldest first."""
    entries: list[dict[str, Any]] = []
    for event in events:
        if isinstance(event, UserUttered):
            entry = _user_entry(event)
            if entry is not None:
                entries.append(entry)
        elif isinstance(event, BotUttered):
            entries.extend(_bot_entries(event))
    return entries[-limit:] if limit > 0 else []
