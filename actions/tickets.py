"""Tickets: create from the complaint/callback form, look up status, record feedback.

Every write is keyed by conversation and turn, so a retried action call or a
duplicated webhook never files twice (bot/tickets is idempotent on that key).
"""

from __future__ import annotations

import logging
from abc import ABCMeta, abstractmethod
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.forms import NOT_GIVEN  # noqa: I001 - the forms define the skipped value
from actions.ladders import user_intents_this_session
from actions.support import channel_of, dialogue_setting, latest_intent, latest_text, utter
from bot.tickets.errors import TicketError, ValidationFailed
from bot.tickets.model import FeedbackRequest, Ticket, TicketRequest

logger = logging.getLogger(__name__)

# Slots the forms fill, emptied once a ticket is filed so a second complaint starts clean.
FORM_SLOTS = (
    "complaint_description", "complaint_category", "phone_confirmed", "callback_time",
)


def turn_key(tracker: Tracker, purpose: str) -> str:
    """Idempotency key: the conversation and the user turn this write belongs to."""
    turns = sum(1 for event in tracker.events if event.get("event") == "user")
    return f"{tracker.sender_id}:{turns}:{purpose}"


def first_text_of(tracker: Tracker, intents: tuple[str, ...]) -> str:
    """The caller's words in the latest turn with one of `intents` (their own description)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            name = (event.get("parse_data") or {}).get("intent", {}).get("name")
            if name in intents:
                return str(event.get("text") or "")
    return ""


def last_form(tracker: Tracker) -> Optional[str]:
    """The form that ran last in this session (active or just completed)."""
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name"):
            return str(event["name"])
        if event.get("event") in ("session_started", "restart"):
            return None
    return None


def anger_streak(tracker: Tracker) -> int:
    intents = user_intents_this_session(tracker.events)
    return sum(1 for name in intents if name == "angry")


def promised_text(ticket: Ticket) -> str:
    fmt = str(dialogue_setting("promised_time_format", "%m月%d日 %H:%M"))
    moment = ticket.promised_at
    return moment.strftime(fmt) if moment else ""


def _given(value: Optional[str]) -> str:
    return "" if not value or value == NOT_GIVEN else str(value)


def ticket_request(tracker: Tracker, incomplete: bool = False) -> TicketRequest:
    description = tracker.get_slot("complaint_description") or first_text_of(
        tracker, ("complaint", "product_question", "pursue_request", "angry")
    )
    return TicketRequest(
        conversation_id=tracker.sender_id,
        channel=channel_of(tracker),
        description=description,
        category=tracker.get_slot("complaint_category") or (
            "inquiry" if last_form(tracker) == "callback_form" else "other"
        ),
        surname=_given(tracker.get_slot("surname")),
        title=tracker.get_slot("title") or "",
        phone=tracker.get_slot("phone_number") or tracker.get_slot("caller_phone") or "",
        address=_given(tracker.get_slot("caller_address")),
        order_number=_given(tracker.get_slot("order_number")),
        preferred_time_text=_given(tracker.get_slot("callback_time")),
        latest_intent=latest_intent(tracker),
        anger_streak=anger_streak(tracker),
        extra_text=" ".join(
            str(e.get("text") or "") for e in tracker.events if e.get("event") == "user"
        )[-2000:],
        incomplete=incomplete,
    )


def file_ticket(
    dispatcher: CollectingDispatcher, tracker: Tracker, incomplete: bool = False
) -> list[EventType]:
    """Create the ticket (or queue it) and say so; the events to apply."""
    service = services.tickets()
    try:
        result = service.create_ticket(
            ticket_request(tracker, incomplete), turn_key(tracker, "ticket")
        )
    except ValidationFailed as failed:
        logger.warning("ticket for %s not valid: %s", tracker.sender_id, failed.fields)
        result = service.create_ticket(
            ticket_request(tracker, incomplete=True), turn_key(tracker, "ticket")
        )
    events: list[EventType] = [SlotSet(slot, None) for slot in FORM_SLOTS]
    events.append(SlotSet("served", True))
    if result.queued or result.ticket is None:
        if not incomplete:
            utter(dispatcher, "utter_ticket_queued")
        return events
    ticket = result.ticket  # its first callback is planned by the service
    if not incomplete:
        utter(
            dispatcher, "utter_ticket_created",
            ticket_id=ticket.number, ticket_promised_time=promised_text(ticket),
        )
    return events + [
        SlotSet("ticket_id", ticket.number),
        SlotSet("ticket_promised_time", promised_text(ticket)),
    ]


class ActionCreateTicket(Action):
    def name(self) -> str:
        return "action_create_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        try:
            return file_ticket(dispatcher, tracker)
        except TicketError:
            logger.exception("ticket for %s could not be recorded", tracker.sender_id)
            utter(dispatcher, "utter_service_unavailable")
            return [SlotSet("served", True)]


class ActionHandleHangup(Action):
    """The caller hung up: an unfinished complaint becomes an incomplete ticket + callback."""

    def name(self) -> str:
        return "action_handle_hangup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events: list[EventType] = []
        if tracker.active_loop_name in ("complaint_form", "callback_form"):
            try:
                events = file_ticket(dispatcher, tracker, incomplete=True)
            except TicketError:
                logger.exception("incomplete ticket for %s not recorded", tracker.sender_id)
        try:
            services.outcomes().record_end(
                tracker.sender_id, "caller_hangup", channel_of(tracker),
                served=bool(tracker.get_slot("served")),
                handed_off=bool(tracker.get_slot("handed_off")),
            )
        except Exception:  # noqa: BLE001 - the caller is gone; log and carry on
            logger.exception("could not record the hang-up of %s", tracker.sender_id)
        return events + [ActiveLoop(None)]


class ActionPursueRequest(Action):
    """A caller insists: a filed ticket goes up a tier; otherwise it is filed now."""

    def name(self) -> str:
        return "action_pursue_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        number = tracker.get_slot("ticket_id")
        if number:
            try:
                services.tickets().escalate(number, actor="assistant", note=latest_text(tracker))
            except TicketError:
                logger.exception("could not escalate %s", number)
            utter(dispatcher, "utter_pursue_not_soon")
            return [SlotSet("served", True)]
        utter(dispatcher, "utter_pursue_soon")
        try:
            return file_ticket(dispatcher, tracker)
        except TicketError:
            logger.exception("ticket for %s could not be recorded", tracker.sender_id)
            return [SlotSet("served", True)]


class ActionTicketStatus(Action):
    """The status of the ticket the lookup form found (by number, or phone + surname)."""

    def name(self) -> str:
        return "action_ticket_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        service = services.tickets()
        number = tracker.get_slot("ticket_number")
        ticket: Optional[Ticket] = None
        try:
            if number:
                ticket = service.get_ticket(str(number))
            elif tracker.get_slot("surname") and tracker.get_slot("phone_number"):
                matches = service.find_for_caller(
                    str(tracker.get_slot("surname")), phone=str(tracker.get_slot("phone_number"))
                )
                ticket = matches[0] if matches else None
        except TicketError:
            logger.exception("ticket lookup for %s failed", tracker.sender_id)
        if ticket is None:
            utter(dispatcher, "utter_ticket_not_found")
            return [SlotSet("ticket_number", None)]
        utter(
            dispatcher, f"utter_ticket_status_{ticket.status.value}",
            ticket_id=ticket.number, ticket_promised_time=promised_text(ticket),
        )
        return [SlotSet("ticket_number", None), SlotSet("served", True)]


class ActionRecordFeedback(Action, metaclass=ABCMeta):
    """Record praise or a suggestion; subclasses name the kind."""

    kind = ""

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        request = FeedbackRequest(
            kind=self.kind,
            text=latest_text(tracker),
            conversation_id=tracker.sender_id,
            channel=channel_of(tracker),
            staff_name=next(tracker.get_latest_entity_values("staff_name"), "") or "",
            branch=next(tracker.get_latest_entity_values("branch"), "") or "",
        )
        try:
            services.tickets().record_feedback(request, turn_key(tracker, self.kind))
        except TicketError:
            logger.exception("%s of %s not recorded", self.kind, tracker.sender_id)
        return [SlotSet("served", True)]


class ActionRecordPraise(ActionRecordFeedback):
    kind = "praise"

    def name(self) -> str:
        return "action_record_praise"


class ActionRecordSuggestion(ActionRecordFeedback):
    kind = "suggestion"

    def name(self) -> str:
        return "action_record_suggestion"
