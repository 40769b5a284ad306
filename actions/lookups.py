"""The lookup forms: an order number for order/refund/warranty questions, a ticket
number (or the phone and surname it was filed with) for a ticket's progress.

They read the caller like every form (actions/forms.py) and check the answer against
the backend, so a number that finds nothing is asked again with the reason.
"""

from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.business import backend
from actions.forms import NOT_GIVEN, CallerMessage, FormReading, form_when_caller_spoke, given
from actions.support import conversation_of, latest_intent, latest_text, utter
from bot.config import hotline_config
from bot.conversation import intents_behind
from bot.dialogue.planner import LOOKUP_MISSES as MISSES_SLOT
from bot.dialogue.planner import asked_in_words, follow_up_of
from bot.language.numbers import ANSWER_TICKET_CUES, mentions, ticket_number_in
from bot.language.replies import names_another_order, refers_to_that_order
from bot.tickets.errors import TicketError
from bot.tickets.model import normalize_ticket_number


class LookupReading(FormReading):
    """A lookup form that counts the numbers it did not find in a row. At
    `dialogue.repair.lookup_misses` the form is rejected, with the count set, and the
    dialogue takes the request down (bot/dialogue/planner.py) instead of asking for
    the number again."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        begins = form_when_caller_spoke(tracker) != self.form_name()
        if begins:
            tracker.slots[MISSES_SLOT] = None  # a lookup begins: no misses counted yet
        events = await super().run(dispatcher, tracker, domain)
        misses = next((e.get("value") for e in reversed(events)
                       if e.get("event") == "slot" and e.get("name") == MISSES_SLOT), None)
        if misses is None and begins:
            events.append(SlotSet(MISSES_SLOT, None))  # an earlier lookup's count is gone
        if misses and int(misses) >= hotline_config().repair.lookup_misses:
            events.append(ActionExecutionRejected(self.form_name()))
        return events

    def missed(self, tracker: Tracker) -> dict[str, Any]:
        """One more number not found in a row."""
        return {MISSES_SLOT: int(tracker.get_slot(MISSES_SLOT) or 0) + 1}


def _request_meant(tracker: Tracker) -> str:
    """The latest message's request, or the one just answered when the message is a
    doubtful follow-up of it (bot.dialogue.planner.follow_up_of, as the dialogue read it)."""
    intent = latest_intent(tracker) or ""
    parse = tracker.latest_message or {}
    raw = (parse.get("intent") or {}).get("confidence")
    confidence = 1.0 if raw is None else float(raw)  # none given (a payload): taken as sure
    said = conversation_of(tracker).said_before_latest_message()
    return follow_up_of(intent, confidence, intents_behind(parse), said,
                        hotline_config().repair) or intent


class ValidateOrderLookupForm(LookupReading):
    """The order number for the request that started the lookup (kept in
    `business_topic`: an invoice question asked meanwhile does not change what the
    number is for)."""

    def name(self) -> str:
        return "validate_order_lookup_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events = await super().run(dispatcher, tracker, domain)
        topics = hotline_config().business_intents
        intent = _request_meant(tracker)
        if intent not in topics:
            # started by a switch (`不投诉了，帮我查下订单到哪了`): the request beside
            # or named in so many words in a message read as anger (`订单到底到哪了`)
            intent = next((name for name in intents_behind(tracker.latest_message or {})
                           if name in topics), None) or asked_in_words(
                               latest_text(tracker), hotline_config().repair)
        started_here = form_when_caller_spoke(tracker) != self.form_name()
        if intent in topics and (started_here or (
                intent in self._form_intents() and intent != tracker.get_slot("business_topic"))):
            # what the number is for: the request that started the lookup, or another one
            # this lookup serves named meanwhile (`哦不对，我想问退款的事`)
            events.append(SlotSet("business_topic", intent))
        return events

    def stated_order_number(self, message: CallerMessage, tracker: Tracker) -> Optional[str]:
        stated = super().stated_order_number(message, tracker)
        if stated is None and (refers_to_that_order(message.text)
                               or self._same_question_again(message, tracker)):
            # `那这个订单的退款呢`, or `那大概什么时候能到` right after the status: the order
            # just looked up (its answer forgot the number)
            return conversation_of(tracker).last_value_this_session("order_number")
        return stated

    def _same_question_again(self, message: CallerMessage, tracker: Tracker) -> bool:
        """The request this session's last lookup answered, asked again as the lookup
        starts, about no other order."""
        conversation = conversation_of(tracker)
        return (form_when_caller_spoke(tracker) != self.form_name()
                and not names_another_order(message.text)
                and _request_meant(tracker) == conversation.last_value_this_session(
                    "business_topic"))

    def validate_order_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = str(value or "").strip()
        if not number:
            return {"order_number": None}
        if backend().order(number) is None:
            utter(dispatcher, "utter_order_not_found", order_number=number)
            return {"order_number": None, **self.missed(tracker)}
        return {"order_number": number, MISSES_SLOT: None}


class ValidateTicketLookupForm(LookupReading):
    """By ticket number; or by the phone it was filed with, after the surname matches."""

    def name(self) -> str:
        return "validate_ticket_lookup_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if not given(tracker.get_slot("ticket_number")) and given(tracker.get_slot("phone_number")):
            return ["phone_number", "surname"]
        return ["ticket_number"]

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events = await super().get_extraction_events(dispatcher, tracker, domain)
        if tracker.get_slot("surname") == NOT_GIVEN and not any(
            e.get("name") == "surname" for e in events
        ):
            # A surname skipped elsewhere is still needed here: it is the identity check.
            events.append(SlotSet("surname", None))
        return events

    def stated_ticket_number(self, message: CallerMessage, tracker: Tracker) -> Optional[str]:
        entity = message.entities.get("ticket_number")
        if entity:
            return normalize_ticket_number(entity)
        number = ticket_number_in(message.digits)
        return number if number and mentions(message.text, ANSWER_TICKET_CUES) else None

    def bare_ticket_number(self, message: CallerMessage, tracker: Tracker) -> Optional[str]:
        return ticket_number_in(message.digits)

    def validate_ticket_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = normalize_ticket_number(str(value or ""))
        try:
            found = bool(number) and services.tickets().get_ticket(number) is not None
        except TicketError:
            found = False
        if not found:
            utter(dispatcher, "utter_ticket_not_found")
            return {"ticket_number": None, **self.missed(tracker)}
        return {"ticket_number": number, MISSES_SLOT: None}

    def validate_surname(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        checked = super().validate_surname(value, dispatcher, tracker, domain)
        surname, phone = checked.get("surname"), tracker.get_slot("phone_number")
        if not given(surname) or not given(phone):
            return checked
        try:
            matches = services.tickets().find_for_caller(str(surname), phone=str(phone))
        except TicketError:
            matches = []
        if not matches:
            utter(dispatcher, "utter_ticket_not_found")
            return {"surname": None, "phone_number": None, "phone_display": None,
                    **self.missed(tracker)}
        return {**checked, MISSES_SLOT: None}
