"""Taking a request down as a ticket: a repair or an installation (docs/DIALOGUE.md).

The answer to such a request offers it (`需要报修的话我可以为您登记`, hotline.yml
`business_intents.<intent>.registers`). When the caller accepts, or has no order number
for the warranty lookup, the dialogue policy runs `action_start_registration` and then
the complaint form: this action ends the lookup that was asking, says the request's
line, and presets the form's category and its description, the caller's request
(`洗衣机什么时候来安装`; for a repair only when it says what is wrong:
`空调不制冷,能不能派人来修`), so neither is asked again.
"""

from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.repair import leave_form_events
from actions.support import conversation_of, utter
from bot.config import hotline_config
from bot.config.business import Registration

REFUSED_SLOT = "refused_slot"
TOPIC_SLOT = "business_topic"
ORDER_SLOT = "order_number"


def registered_request(tracker: Tracker) -> tuple[Optional[str], Optional[Registration]]:
    """The request being taken down: the lookup's, else the one the last answer offered
    (`那帮我预约一下` after the installation answer is the installation), else the latest
    one asked this session that registers."""
    config = hotline_config()
    lookup = tracker.get_slot(TOPIC_SLOT) if tracker.active_loop_name else None
    offered = [config.repair.offers.get(said) for said in said_before_the_caller(tracker)]
    asked = reversed(conversation_of(tracker).user_intents_this_session())
    for topic in (lookup, *offered, *asked):
        spec = config.business_intents.get(topic or "")
        if spec and spec.registers:
            return topic, spec.registers
    return None, None


def said_before_the_caller(tracker: Tracker) -> list[str]:
    """The responses said between the caller's last two messages, latest first."""
    said: list[str] = []
    users = 0
    for event in reversed(tracker.events):
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


def order_looked_up(tracker: Tracker) -> Optional[str]:
    """The order number a lookup of this session last used (the answer forgets it)."""
    for event in reversed(tracker.events):
        if event.get("event") in ("session_started", "restart"):
            return None
        if event.get("event") == "slot" and event.get("name") == ORDER_SLOT and event.get("value"):
            return str(event["value"])
    return None


def names_the_fault(text: str, registration: Registration) -> bool:
    """The caller's words say what is wrong (`洗衣机不脱水了`), not only what they want
    (`保修`, `安装`: the registration's own category words)."""
    words = hotline_config().complaints.category_words
    return any(word in text for category, listed in words.items()
               if category != registration.category for word in listed)


class ActionStartRegistration(Action):
    def name(self) -> str:
        return "action_start_registration"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        topic, registration = registered_request(tracker)
        events: list[EventType] = []
        if tracker.active_loop_name:
            utter(dispatcher, "utter_no_order_number_needed")
            events += [*leave_form_events(), SlotSet(REFUSED_SLOT, None)]
        if registration is None:
            return events  # nothing to take down: the complaint form asks what happened
        utter(dispatcher, registration.line)
        events.append(SlotSet("complaint_category", registration.category))
        looked_up = order_looked_up(tracker)
        if looked_up and not tracker.get_slot(ORDER_SLOT):
            events.append(SlotSet(ORDER_SLOT, looked_up))  # the answer forgot it
        words = conversation_of(tracker).latest_text_of([topic]) if topic else ""
        if words and (not registration.needs_fault or names_the_fault(words, registration)):
            events.append(SlotSet("complaint_description", words[:2000]))
        return events
