"""Business requests answered from the company's backend (hotline.yml business_intents)."""

from __future__ import annotations

import importlib
import os
import time
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.support import dialogue_setting, latest_intent, latest_text, order_number_in, utter
from bot.backend import BusinessBackend, JsonBusinessBackend
from bot.config import hotline_config


@lru_cache(maxsize=1)
def backend() -> BusinessBackend:
    """The backend named by HOTLINE_BACKEND (module:Class), else the shipped sample."""
    spec = os.environ.get("HOTLINE_BACKEND")
    if not spec:
        return JsonBusinessBackend()
    module_name, _, class_name = spec.partition(":")
    return getattr(importlib.import_module(module_name), class_name)()


def hold_threshold_s() -> float:
    return float(dialogue_setting("hold_after_ms", 1500)) / 1000


# What each lookup contributes to its response.
LOOKUP_VALUES = {
    "order": lambda o: {"order_status_text": o.status_text},
    "refund": lambda o: {"refund_text": o.refund_text},
    "warranty": lambda o: {"warranty_text": o.warranty_text, "product": o.product},
}


class ActionAnswerBusiness(Action):
    def name(self) -> str:
        return "action_answer_business"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        topics = hotline_config().business_intents
        intent = latest_intent(tracker)
        topic = intent if intent in topics else tracker.get_slot("business_topic")
        spec = topics.get(topic or "")
        if not spec:
            utter(dispatcher, "utter_nomatch")
            return [SlotSet("business_step", "asked")]
        lookup = spec.get("lookup")
        if lookup:
            order_number = tracker.get_slot("order_number")
            if not order_number and tracker.get_slot("business_step") == "asked":
                order_number = order_number_in(latest_text(tracker))  # keyed in on the phone
            if not order_number:
                utter(dispatcher, "utter_ask_order_number")
                return [SlotSet("business_topic", topic), SlotSet("business_step", "asked")]
            started = time.monotonic()
            order = backend().order(order_number)
            if time.monotonic() - started > hold_threshold_s():
                # A slow backend: the manual's hold and resume lines (004:307).
                utter(dispatcher, "utter_hold")
                utter(dispatcher, "utter_resume")
            if order is None:
                utter(dispatcher, "utter_order_not_found", order_number=order_number)
                return [
                    SlotSet("business_topic", topic), SlotSet("order_number", None),
                    SlotSet("business_step", "asked"),
                ]
            utter(dispatcher, spec["response"], order_number=order_number,
                  **LOOKUP_VALUES[lookup](order))
        else:
            utter(dispatcher, spec["response"])
        return [
            SlotSet("business_topic", None), SlotSet("served", True),
            SlotSet("business_step", "answered"),
        ]
