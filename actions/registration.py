"""Taking a request down as a ticket: a repair, an installation, a return, an
appointment, a lookup without its order number (docs/DIALOGUE.md).

hotline.yml `business_intents.<intent>.registers` says which requests and how. When the
caller accepts an answer's offer (`需要报修的话我可以为您登记`), asks for an appointment, or
has no order number for the lookup, the dialogue policy runs `action_start_registration`
and then the complaint form: this action ends the lookup that was asking, says the
request's line, and presets the form's category, the order number looked up, and the
description: the caller's request (`洗衣机什么时候来安装`; for a repair only when it says
what is wrong, `空调不制冷,能不能派人来修`), so none of them is asked again.
"""

from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import REFUSED_SLOT
from actions.repair import leave_form_events
from actions.support import conversation_of, latest_text, utter
from bot.config import hotline_config
from bot.config.business import Registration
from bot.dialogue.planner import LOOKUP_MISSES as MISSES_SLOT

TOPIC_SLOT = "business_topic"
ORDER_SLOT = "order_number"


def registered_request(tracker: Tracker) -> tuple[Optional[str], Optional[Registration]]:
    """The request being taken down: the lookup's, else the one the last answer offered
    (`那帮我预约一下` after the installation answer is the installation), else the latest
    one asked this session that registers."""
    config = hotline_config()
    lookup = tracker.get_slot(TOPIC_SLOT) if tracker.active_loop_name else None
    conversation = conversation_of(tracker)
    offered = [config.repair.offers.get(said) for said in conversation.said_before_latest_message()]
    asked = reversed(conversation.user_intents_this_session())
    for topic in (lookup, *offered, *asked):
        spec = config.business_intents.get(topic or "")
        if spec and spec.registers:
            return topic, spec.registers
    return None, None


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
        latest = latest_text(tracker)
        events: list[EventType] = []
        if tracker.active_loop_name:
            not_found = (tracker.get_slot(MISSES_SLOT) or 0) >= (
                hotline_config().repair.lookup_misses)
            fault_told = (registration is not None and registration.needs_fault
                          and names_the_fault(latest, registration))
            # the manual's line for what cannot be answered now, or "no number needed"
            # (not to a caller who told what is wrong instead, and never lacked one)
            if not_found or not fault_told:
                utter(dispatcher, "utter_cannot_answer_now" if not_found
                      else "utter_no_order_number_needed")
            # (the misses stay counted: the dialogue follows them to the complaint form;
            # the next lookup starts its own count)
            events += [*leave_form_events(), SlotSet(REFUSED_SLOT, None)]
        if registration is None:
            return events  # nothing to take down: the complaint form asks what happened
        utter(dispatcher, registration.line)
        events.append(SlotSet("complaint_category", registration.category))
        conversation = conversation_of(tracker)
        looked_up = conversation.last_value_this_session(ORDER_SLOT)
        if looked_up and not tracker.get_slot(ORDER_SLOT):
            events.append(SlotSet(ORDER_SLOT, looked_up))  # the lookup's answer forgot it
        words = conversation.latest_text_of([topic]) if topic else ""
        if words and (not registration.needs_fault or names_the_fault(words, registration)
                      or names_the_fault(latest, registration)):
            # `我要报修;洗衣机不脱水了`: the request, and the fault told after it
            events.append(SlotSet("complaint_description",
                                  _with_the_reason(words, latest, registration)))
        return events


def _with_the_reason(request: str, latest: str, registration: Registration) -> str:
    """The request's words, and the reason or fault the caller gave when taking up the
    offer (`我想换货` … `鞋子尺码小了`): the person who calls back reads both."""
    gives_reason = latest and latest != request and (
        names_the_fault(latest, registration)
        or any(word in latest for word in registration.reasons))
    return (f"{request};{latest}" if gives_reason else request)[:2000]
