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
from actions.support import channel_of, conversation_of, dialogue_settings, latest_text, utter
from bot.language.moments import spoken_deadline
from bot.tickets import from_conversation
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


def promised_text(ticket: Ticket) -> str:
    fmt = dialogue_settings().promised_time_format
    moment = ticket.promised_at
    if moment is None:
        return ""
    if fmt == "spoken":
        return spoken_deadline(moment, ticket.created_at)
    return moment.strftime(fmt)


def ticket_request(tracker: Tracker, incomplete: bool = False) -> TicketRequest:
    return from_conversation.ticket_request(conversation_of(tracker), incomplete)


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
