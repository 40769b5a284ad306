"""Small helpers every action module shares: guarded utterances and control messages.

Actions never build caller-facing text: they name a domain.yml response and
pass values to fill it. Those values (backend data, caller-given names) pass
the forbidden-phrase guard before they are sent.
"""

from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.compliance import default_matcher
from bot.config import hotline_config
from bot.config.dialogue import DialogueSettings
from bot.conversation import Conversation
from bot.language.numbers import order_number_in as order_number_in


def utter(dispatcher: CollectingDispatcher, response: str, **values: Any) -> None:
    """Utter a domain response, filling it with `values` checked by the compliance guard."""
    matcher = default_matcher()
    for value in values.values():
        if isinstance(value, str):
            matcher.check(value)
    dispatcher.utter_message(response=response, **values)


def control(dispatcher: CollectingDispatcher, event: str, **data: Any) -> None:
    """A control message for the channels: end, handoff, handback (see docs/ARCHITECTURE.md)."""
    dispatcher.utter_message(json_message={"hotline": {"event": event, **data}})


def latest_intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message or {}).get("intent", {}).get("name")


def latest_text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "")


def conversation_of(tracker: Tracker) -> Conversation:
    """The tracker as the domain reads a conversation (bot/conversation.py)."""
    return Conversation(
        sender_id=tracker.sender_id,
        slots=tracker.slots,
        events=tracker.events,
        active_form=tracker.active_loop_name,
        latest_message=tracker.latest_message or {},
    )


def channel_of(tracker: Tracker) -> str:
    return conversation_of(tracker).channel


def dialogue_settings() -> DialogueSettings:
    """hotline.yml `dialogue:` (typed, defaults in bot/config/dialogue.py)."""
    return hotline_config().dialogue


def count_slot(tracker: Tracker, name: str) -> int:
    value = tracker.get_slot(name)
    return int(value) if isinstance(value, (int, float)) else 0
