"""A conversation as plain data: what the domain reads of a Rasa tracker, without Rasa.

Both sides of the project see the same tracker: the action server through rasa_sdk's
`Tracker`, the Rasa server through its `DialogueStateTracker`. Each adapts it to a
`Conversation` (rasa_sdk's tracker field by field, Rasa's through its serialised state,
`Conversation.from_state`), so the rules that read a conversation — the ticket a
complaint becomes, the caller's intents this session — are written once, here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

NOT_GIVEN = "none"  # the value of an optional slot the caller skipped (actions/forms.py)
# A reading ranked right behind the caller's intent this likely is also meant: a caller
# state beside a request, or a request beside a cancel (`不投诉了，帮我查下订单到哪了`).
BESIDE = 0.2
SESSION_METADATA_SLOT = "session_started_metadata"
DEFAULT_CHANNEL = "rest"


def user_intents_this_session(events: Iterable[Mapping[str, Any]]) -> list[str]:
    """Intents of the user turns since the latest session start, oldest first."""
    intents: list[str] = []
    for event in events:
        if event.get("event") in ("session_started", "restart"):
            intents = []
        elif event.get("event") == "user":
            intents.append(str((event.get("parse_data") or {}).get("intent", {}).get("name")))
    return intents


@dataclass(frozen=True)
class Conversation:
    """A tracker's state: slots, serialised events, the active form, the latest message."""

    sender_id: str
    slots: Mapping[str, Any] = field(default_factory=dict)
    events: Sequence[Mapping[str, Any]] = ()
    active_form: Optional[str] = None
    latest_message: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Conversation:
        """From a tracker's state as Rasa serialises it (`current_state()`)."""
        loop = state.get("active_loop") or {}
        return cls(
            sender_id=str(state.get("sender_id") or ""),
            slots=state.get("slots") or {},
            events=state.get("events") or [],
            active_form=loop.get("name") if isinstance(loop, Mapping) else None,
            latest_message=state.get("latest_message") or {},
        )

    def slot(self, name: str) -> Any:
        return self.slots.get(name)

    @property
    def latest_intent(self) -> Optional[str]:
        return (self.latest_message.get("intent") or {}).get("name")

    @property
    def latest_text(self) -> str:
        return str(self.latest_message.get("text") or "")

    @property
    def session_metadata(self) -> Mapping[str, Any]:
        metadata = self.slot(SESSION_METADATA_SLOT) or {}
        return metadata if isinstance(metadata, Mapping) else {}

    @property
    def channel(self) -> str:
        """The channel the caller uses: the `channel` slot, else the session's metadata."""
        return str(self.slot("channel") or self.session_metadata.get("channel")
                   or DEFAULT_CHANNEL)

    def user_intents_this_session(self) -> list[str]:
        return user_intents_this_session(self.events)

    def last_form(self) -> Optional[str]:
        """The form that ran last in this session (active or just completed)."""
        for event in reversed(self.events):
            if event.get("event") == "active_loop" and event.get("name"):
                return str(event["name"])
            if event.get("event") in ("session_started", "restart"):
                return None
        return None

    def user_texts(self) -> list[str]:
        return [str(e.get("text") or "") for e in self.events if e.get("event") == "user"]

    def said_before_latest_message(self) -> list[str]:
        """The responses said between the caller's last two messages, latest first."""
        said: list[str] = []
        users = 0
        for event in reversed(self.events):
            kind = event.get("event")
            if kind == "user":
                users += 1
                if users == 2:
                    break
            elif kind == "bot" and users == 1:
                response = (event.get("metadata") or {}).get("utter_action")
                if response:
                    said.append(str(response))
            elif kind in ("session_started", "restart"):
                break
        return said

    def last_value_this_session(self, slot: str) -> Optional[str]:
        """The latest value `slot` was set to this session (a slot since cleared too)."""
        for event in reversed(self.events):
            if event.get("event") in ("session_started", "restart"):
                return None
            if event.get("event") == "slot" and event.get("name") == slot and event.get("value"):
                return str(event["value"])
        return None

    def latest_text_of(self, intents: Iterable[str]) -> str:
        """The caller's words in the latest turn with one of `intents`."""
        wanted = set(intents)
        for event in reversed(self.events):
            if event.get("event") == "user":
                name = (event.get("parse_data") or {}).get("intent", {}).get("name")
                if name in wanted:
                    return str(event.get("text") or "")
        return ""


def intents_behind(parse_data: Mapping[str, Any]) -> tuple[str, ...]:
    """Every intent ranked behind the caller's in a message's parse that reaches
    `BESIDE`, best first: what the caller may also mean."""
    ranking = list(parse_data.get("intent_ranking") or [])[1:]
    return tuple(str(entry["name"]) for entry in ranking
                 if entry.get("name") and float(entry.get("confidence") or 0) >= BESIDE)


def intent_beside(parse_data: Mapping[str, Any]) -> Optional[str]:
    """The intent ranked right behind the caller's in a message's parse, when it reaches
    `BESIDE`: what the caller also means."""
    behind = intents_behind(parse_data)
    return behind[0] if behind else None
