"""Session start: the standard opening line, company names and channel facts as slots."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.support import SESSION_METADATA_SLOT, dialogue_setting, utter
from bot.config import hotline_config
from bot.dialogue.planner import OPENED_ON_CONNECT

KNOWN_CHANNELS = {"rest", "webchat", "phone"}


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        metadata = tracker.get_slot(SESSION_METADATA_SLOT) or {}
        if not isinstance(metadata, dict):
            metadata = {}
        company = hotline_config().slot_values()
        channel = metadata.get("channel")
        events: list[EventType] = [SessionStarted()]
        events += [SlotSet(name, value) for name, value in company.items()]
        events.append(SlotSet("channel", channel if channel in KNOWN_CHANNELS else "rest"))
        events.append(SlotSet("address_as", dialogue_setting("default_address", "先生(女士)")))
        # Web chat and phone say the opening line when the caller connects, before the
        # caller's first message (which is then not answered by the opening alone).
        events.append(SlotSet(OPENED_ON_CONNECT, bool(metadata.get(OPENED_ON_CONNECT))))
        caller_phone = metadata.get("caller_phone")
        if isinstance(caller_phone, str) and caller_phone:
            events.append(SlotSet("caller_phone", caller_phone))
        # Slots set here are not applied yet when the opening is rendered: pass them along.
        utter(dispatcher, "utter_opening", **company)
        events.append(ActionExecuted("action_listen"))
        return events
