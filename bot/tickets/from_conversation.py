"""The ticket a conversation becomes: what the complaint and callback forms collected.

Shared by the action server (filing a ticket, actions/tickets.py) and the Rasa server
(deferring one while the action server is down, rasa_extensions/service_down.py); both
pass a `Conversation` (bot/conversation.py), never a framework's tracker.
"""

from __future__ import annotations

from typing import Any

from bot.conversation import NOT_GIVEN, Conversation
from bot.tickets.model import TicketRequest

# Intents whose words describe the caller's problem when the form has no description.
DESCRIBING_INTENTS = ("complaint", "product_question", "pursue_request", "angry")
MAX_EXTRA_TEXT = 2000


def _given(value: Any) -> str:
    return "" if not value or value == NOT_GIVEN else str(value)


def ticket_request(conversation: Conversation, incomplete: bool = False) -> TicketRequest:
    slot = conversation.slot
    description = slot("complaint_description") or conversation.latest_text_of(
        DESCRIBING_INTENTS)
    category = slot("complaint_category") or (
        "inquiry" if conversation.last_form() == "callback_form" else "other")
    return TicketRequest(
        conversation_id=conversation.sender_id,
        channel=conversation.channel,
        description=description,
        category=category,
        surname=_given(slot("surname")),
        title=slot("title") or "",
        phone=slot("phone_number") or slot("caller_phone") or "",
        address=_given(slot("caller_address")),
        order_number=_given(slot("order_number")),
        preferred_time_text=_given(slot("callback_time")),
        latest_intent=conversation.latest_intent,
        anger_streak=conversation.user_intents_this_session().count("angry"),
        extra_text=" ".join(conversation.user_texts())[-MAX_EXTRA_TEXT:],
        incomplete=incomplete,
    )
