"""Caller text is text; payloads come only from an allow-list.

Rasa reads any text that starts with `/` as an intent with entities
(`/inform{"phone_number": …}`) and skips NLU. A caller typing that must not set
slots or fire the events only a channel or the console may send. So every channel
passes what a caller types or says through `as_caller_text`, which turns a leading
`/` into the full-width `／` (the NLU normaliser keeps it, bot/nlu/normalizer.py),
and accepts a payload only when it is exactly one of:

- a button or quick reply the assistant itself offers (domain.yml responses), sent by
  the web chat widget's buttons or a REST client's `payload` field;
- an event the channel itself reports (the widget's idle timeout, a REST front end's
  silence or hang-up, the phone's keypad menu).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

PAYLOAD_PREFIX = "/"
CALLER_SLASH = "／"  # U+FF0F: what a caller's leading "/" becomes


def as_caller_text(text: str) -> str:
    """The caller's words, never read as a payload."""
    stripped = text.lstrip()
    if stripped.startswith(PAYLOAD_PREFIX):
        return CALLER_SLASH + stripped[len(PAYLOAD_PREFIX):]
    return text


def button_payloads(responses: Mapping[str, Iterable[Mapping[str, Any]]]) -> frozenset[str]:
    """Every payload of a button or quick reply in the domain's responses, as sent.

    Response texts escape braces for interpolation (`{{"rating":"5"}}`); the payload a
    browser sends back has them single.
    """
    payloads: set[str] = set()
    for variants in responses.values():
        for variant in variants or []:
            if not isinstance(variant, Mapping):
                continue
            for key in ("buttons", "quick_replies"):
                for button in variant.get(key) or []:
                    payload = button.get("payload") if isinstance(button, Mapping) else None
                    if isinstance(payload, str) and payload.startswith(PAYLOAD_PREFIX):
                        payloads.add(payload.replace("{{", "{").replace("}}", "}"))
    return frozenset(payloads)


def event_payloads(intents: Iterable[str]) -> frozenset[str]:
    return frozenset(f"{PAYLOAD_PREFIX}{intent}" for intent in intents)


def allowed(payload: str, allow_list: frozenset[str]) -> bool:
    return payload.strip() in allow_list
