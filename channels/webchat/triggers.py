"""Which `/intent` triggers a browser may send.

Rasa treats any text that starts with `/` as an intent trigger, so without a
filter a visitor could type `/handoff_finished` or `/silence` and fire the
events that only the agent console or the phone channel may send. The web chat
accepts a trigger only if the intent is one the bot itself offers as a button
(read from the domain's responses) or one the widget sends on its own
(`/idle_timeout`). Any other leading `/` is dropped and the text goes to NLU
as ordinary words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

WIDGET_TRIGGERS = frozenset({"idle_timeout"})
_TRIGGER = re.compile(r"^/(?P<intent>[^{@]+)")


def trigger_intent(text: str) -> str | None:
    """The intent name of a `/intent{...}` text, or None for ordinary text."""
    match = _TRIGGER.match(text)
    return match.group("intent").strip() if match else None


def button_intents(responses: Mapping[str, Iterable[Mapping[str, Any]]]) -> frozenset[str]:
    """Intents named by button / quick-reply payloads anywhere in the domain's responses."""
    intents: set[str] = set()
    for variants in responses.values():
        for variant in variants or []:
            if not isinstance(variant, Mapping):
                continue
            for key in ("buttons", "quick_replies"):
                for button in variant.get(key) or []:
                    payload = button.get("payload") if isinstance(button, Mapping) else None
                    intent = trigger_intent(payload) if isinstance(payload, str) else None
                    if intent:
                        intents.add(intent)
    return frozenset(intents)


def sanitise_trigger(text: str, allowed: frozenset[str]) -> str:
    """`text` unchanged if it is ordinary text or an allowed trigger, else without the `/`."""
    intent = trigger_intent(text)
    if intent is None or intent in allowed:
        return text
    return text.lstrip("/").strip()
