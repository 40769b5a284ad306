"""Business requests answered from the company's backend (hotline.yml business_intents)."""

from __future__ import annotations

import importlib
import os
import time
from functools import lru_cache
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.support import dialogue_settings, utter
from bot.backend import BusinessBackend, JsonBusinessBackend
from bot.config import hotline_config
from bot.conversation import intents_behind


@lru_cache(maxsize=1)
def backend() -> BusinessBackend:
    """The backend named by HOTLINE_BACKEND (module:Class), else the shipped sample."""
    spec = os.environ.get("HOTLINE_BACKEND")
    if not spec:
        return JsonBusinessBackend()
    module_name, _, class_name = spec.partition(":")
    return getattr(importlib.import_module(module_name), class_name)()


def hold_threshold_s() -> float:
    return dialogue_settings().hold_after_s


# What each lookup contributes to its response.
LOOKUP_VALUES = {
    "order": lambda o: {"order_status_text": o.status_text},
    "refund": lambda o: {"refund_text": o.refund_text},
    "warranty": lambda o: {"warranty_text": o.warranty_text, "product": o.product},
}


LOOKUP_FORM = "order_lookup_form"


def requested_topic(tracker: Tracker) -> Optional[str]:
    """The business intent the caller asked about most recently in this session."""
    config = hotline_config()
    topics = config.business_intents
    latest = True
    for event in reversed(tracker.events):
        if event.get("event") in ("session_started", "restart"):
            return None
        if event.get("event") == "user":
            parse = event.get("parse_data") or {}
            name = (parse.get("intent") or {}).get("name")
            if name in topics:
                return str(name)
            repair = config.repair
            if latest and (name in repair.cancel | repair.corrects
                           or name in (repair.nomatch_intent, repair.angry)):
                # `等等，我想先问一下发票怎么开`: not understood, the question close behind;
                # `算了不投诉了，积分怎么用`, `说错了，我是想问积分`: a cancel or a
                # correction, the question behind it; `气死我了，发票到底怎么开`: anger
                asked = next((n for n in intents_behind(parse) if n in topics), None)
                if asked:
                    return asked
            latest = False
    return None


class ActionAnswerBusiness(Action):
    """Answer a business request; a lookup's order number was asked for by the lookup
    form (actions/lookups.py), which also checked that the backend knows it."""

    def name(self) -> str:
        return "action_answer_business"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        # After the lookup form, the request that started it; else the one just made.
        after_lookup = tracker.latest_action_name == LOOKUP_FORM
        topic = (tracker.get_slot("business_topic") if after_lookup else None) or (
            requested_topic(tracker))
        spec = hotline_config().business_intents.get(topic or "")
        if not spec:
            utter(dispatcher, "utter_how_can_i_help")
            return []
        served = [SlotSet("served", True)]
        lookup = spec.lookup
        if not lookup:
            utter(dispatcher, spec.response)
            return served
        number = str(tracker.get_slot("order_number") or "")
        started = time.monotonic()
        order = backend().order(number) if number else None
        if time.monotonic() - started > hold_threshold_s():
            # A slow backend: the manual's hold and resume lines (004:307).
            utter(dispatcher, "utter_hold")
            utter(dispatcher, "utter_resume")
        if order is None:
            utter(dispatcher, "utter_order_not_found", order_number=number or None)
            return [SlotSet("order_number", None)]
        utter(dispatcher, spec.response, order_number=order.order_number,
              **LOOKUP_VALUES[lookup](order))
        # The next lookup asks for its number again, unless a form set aside (a complaint
        # about this order) still needs it.
        forget = [] if tracker.get_slot("form_aside") else [SlotSet("order_number", None)]
        return served + forget
