"""The conversation test set's format (tests/conversations/README.md) and its loader.

Every file is checked when it is read: unknown keys, a turn without exactly one input,
or a channel that cannot play one of the turns are errors, so nothing is skipped
silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CHANNELS = ("rest", "phone", "webchat")
# Inputs a turn may have, and the channels that can play each.
INPUTS: dict[str, frozenset[str]] = {
    "user": frozenset(CHANNELS),            # what the caller says or types
    "payload": frozenset({"rest", "webchat"}),  # a button / channel payload (`/inform{...}`)
    "silence": frozenset({"rest", "phone"}),    # no input (phone: an empty Gather result)
    "digits": frozenset({"phone"}),             # keys pressed
    "hangup": frozenset({"phone"}),             # the caller hangs up (the status callback)
    "idle": frozenset({"rest", "webchat"}),     # the web chat's idle timeout
    "handoff_returns": frozenset({"rest", "phone"}),  # finished | failed: the person is done
    "line": frozenset({"rest"}),                # low_volume | noisy_line | dialect | too_quiet_bot
}
TURN_EXPECTATIONS = (
    "says", "says_in_order", "says_exactly", "says_like", "not_says", "ends_with",
    "text_contains", "text_not_contains", "reasks_pending", "repeats_previous", "says_nothing",
)
TURN_KEYS = frozenset(INPUTS) | frozenset(TURN_EXPECTATIONS) | {"confidence", "note"}
CONVERSATION_EXPECTATIONS = (
    "ticket", "ticket_fields", "ended", "handoff", "closing", "satisfaction",
)
CONVERSATION_KEYS = frozenset(
    {"name", "about", "channels", "given", "turns", "expect", "feature"})
LINE_EVENTS = frozenset({"low_volume", "noisy_line", "dialect", "too_quiet_bot"})


class ConversationFormatError(ValueError):
    pass


@dataclass(frozen=True)
class Turn:
    kind: str  # one of INPUTS
    value: Any
    expect: Mapping[str, Any]
    confidence: float | None = None

    def describe(self) -> str:
        if self.kind in ("silence", "hangup", "idle"):
            return f"({self.kind})"
        return f"{self.kind}: {self.value}"


@dataclass(frozen=True)
class Conversation:
    name: str
    file: str
    about: str
    channels: tuple[str, ...]
    turns: tuple[Turn, ...]
    expect: Mapping[str, Any] = field(default_factory=dict)
    given: Mapping[str, Any] = field(default_factory=dict)


def _turn(raw: Any, where: str) -> Turn:
    if not isinstance(raw, Mapping):
        raise ConversationFormatError(f"{where}: a turn is a mapping")
    unknown = set(raw) - TURN_KEYS
    if unknown:
        raise ConversationFormatError(f"{where}: unknown keys {sorted(unknown)}")
    inputs = [key for key in INPUTS if key in raw]
    if len(inputs) != 1:
        raise ConversationFormatError(f"{where}: exactly one input of {sorted(INPUTS)}")
    kind = inputs[0]
    value = raw[kind]
    if kind == "line" and value not in LINE_EVENTS:
        raise ConversationFormatError(f"{where}: line is one of {sorted(LINE_EVENTS)}")
    if kind == "handoff_returns" and value not in ("finished", "failed"):
        raise ConversationFormatError(f"{where}: handoff_returns is finished or failed")
    if kind == "digits":
        value = str(value)
    expect = {k: raw[k] for k in TURN_EXPECTATIONS if k in raw}
    for key in ("says", "says_in_order", "says_exactly", "says_like", "not_says",
                "text_contains", "text_not_contains"):
        if key in expect and not (isinstance(expect[key], list) and expect[key]):
            raise ConversationFormatError(f"{where}: {key} is a non-empty list")
    confidence = raw.get("confidence")
    return Turn(kind, value, expect, float(confidence) if confidence is not None else None)


def _conversation(raw: Any, file: str, index: int) -> Conversation:
    where = f"{file}#{index}"
    if not isinstance(raw, Mapping) or "name" not in raw or "turns" not in raw:
        raise ConversationFormatError(f"{where}: a conversation has a name and turns")
    unknown = set(raw) - CONVERSATION_KEYS
    if unknown:
        raise ConversationFormatError(f"{where} ({raw['name']}): unknown keys {sorted(unknown)}")
    name = str(raw["name"])
    turns = tuple(_turn(t, f"{file}:{name} turn {n + 1}") for n, t in enumerate(raw["turns"]))
    channels = tuple(raw.get("channels") or ("rest",))
    for channel in channels:
        if channel not in CHANNELS:
            raise ConversationFormatError(f"{file}:{name}: unknown channel {channel}")
        for number, turn in enumerate(turns, start=1):
            if channel not in INPUTS[turn.kind]:
                raise ConversationFormatError(
                    f"{file}:{name}: turn {number} ({turn.kind}) cannot be played on {channel}")
            if turn.confidence is not None and channel != "phone":
                raise ConversationFormatError(
                    f"{file}:{name}: turn {number}: confidence is for phone-only conversations")
    expect = dict(raw.get("expect") or {})
    unknown = set(expect) - set(CONVERSATION_EXPECTATIONS)
    if unknown:
        raise ConversationFormatError(f"{file}:{name}: unknown expectations {sorted(unknown)}")
    if expect.get("ticket") not in (None, "complete", "incomplete", "none"):
        raise ConversationFormatError(f"{file}:{name}: ticket is complete, incomplete or none")
    return Conversation(name, file, str(raw.get("about") or ""), channels, turns, expect,
                        dict(raw.get("given") or {}))


def load_file(path: Path) -> list[Conversation]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = data.get("conversations") or []
    return [_conversation(raw, path.name, n) for n, raw in enumerate(items, start=1)]


def load_all(directory: Path) -> list[Conversation]:
    conversations: list[Conversation] = []
    for path in sorted(directory.glob("*.yml")):
        conversations += load_file(path)
    names = [c.name for c in conversations]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConversationFormatError(f"conversation names used twice: {duplicates}")
    return conversations


def by_channel(conversations: Iterable[Conversation], channel: str) -> list[Conversation]:
    return [c for c in conversations if channel in c.channels]
