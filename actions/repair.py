"""Leaving a form before it is complete, and coming back to one (docs/DIALOGUE.md).

The dialogue policy (bot/dialogue/planner.py) decides when; these actions do it:

- `action_cancel_form`: the caller cancels; a complaint already described is kept as
  an incomplete ticket, and the caller is told which of the two happened;
- `action_close_form`: the caller says goodbye; what was said is kept, and the caller is
  told we will call back when a phone number is known (the closing line follows); a
  form left before anything was told, with no number to call, keeps nothing;
- `action_keep_form`: the form ends for another reason (a person takes over, a scripted
  closing): what was said is kept, nothing is said;
- `action_set_form_aside` / `action_resume_form`: a digression that needs its own
  question (an order lookup in the middle of a complaint) sets the form aside and
  brings it back, with its pending question, once the digression is answered.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.support import utter
from actions.tickets import file_ticket
from bot.config import hotline_config
from bot.tickets.errors import TicketError

logger = logging.getLogger(__name__)

FORM_ASIDE_SLOT = "form_aside"


def leave_form_events() -> list[EventType]:
    """The events that end the active form (and forget one set aside)."""
    return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet(FORM_ASIDE_SLOT, None)]


def worth_keeping(tracker: Tracker, cancelled: bool) -> bool:
    """Is what the caller said, in the active form or one set aside, kept as a ticket?"""
    config = hotline_config().repair
    for name in (tracker.active_loop_name, tracker.get_slot(FORM_ASIDE_SLOT)):
        spec = config.form(name)
        if spec is None or not spec.files_ticket:
            continue
        if not cancelled or any(tracker.get_slot(slot) for slot in spec.keeps_ticket_when):
            return True
    return False


def told_anything(tracker: Tracker) -> bool:
    """Has the caller told what the form is about? A complaint only once described
    (`keeps_ticket_when`); a form without that list (a question for a callback) by the
    message that started it."""
    config = hotline_config().repair
    for name in (tracker.active_loop_name, tracker.get_slot(FORM_ASIDE_SLOT)):
        spec = config.form(name)
        if spec is not None and spec.files_ticket and (
                not spec.keeps_ticket_when
                or any(tracker.get_slot(slot) for slot in spec.keeps_ticket_when)):
            return True
    return False


def keep_incomplete(
    dispatcher: CollectingDispatcher, tracker: Tracker, cancelled: bool = False
) -> tuple[bool, list[EventType]]:
    """File what the caller said as an incomplete ticket, if it is kept."""
    if not worth_keeping(tracker, cancelled):
        return False, []
    try:
        return True, file_ticket(dispatcher, tracker, incomplete=True)
    except TicketError:
        logger.exception("incomplete ticket for %s not recorded", tracker.sender_id)
        return False, []


def callback_number(tracker: Tracker) -> Optional[str]:
    return tracker.get_slot("phone_number") or tracker.get_slot("caller_phone")


class ActionCancelForm(Action):
    def name(self) -> str:
        return "action_cancel_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        aside = tracker.get_slot(FORM_ASIDE_SLOT)
        if aside:
            # Cancelling a digression's own question: the form set aside comes back.
            utter(dispatcher, "utter_cancelled")
            return [ActiveLoop(None), SlotSet("requested_slot", None)]
        kept, events = keep_incomplete(dispatcher, tracker, cancelled=True)
        utter(dispatcher, "utter_cancelled_kept" if kept else "utter_cancelled")
        return events + leave_form_events()


class ActionCloseForm(Action):
    def name(self) -> str:
        return "action_close_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if not callback_number(tracker) and not told_anything(tracker):
            # `我要投诉` … `算了，再见` on the web: nothing said and no number to call, so
            # nothing to keep, and no "your problem is recorded"
            return leave_form_events()
        kept, events = keep_incomplete(dispatcher, tracker)
        if kept:
            line = "utter_goodbye_kept_callback" if callback_number(tracker) else (
                "utter_goodbye_kept")
            utter(dispatcher, line)
        return events + leave_form_events()


class ActionKeepForm(Action):
    def name(self) -> str:
        return "action_keep_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        _, events = keep_incomplete(dispatcher, tracker)
        return events + leave_form_events()


class ActionSetFormAside(Action):
    def name(self) -> str:
        return "action_set_form_aside"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return [SlotSet(FORM_ASIDE_SLOT, tracker.active_loop_name), ActiveLoop(None),
                SlotSet("requested_slot", None)]


class ActionResumeForm(Action):
    def name(self) -> str:
        return "action_resume_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        form = tracker.get_slot(FORM_ASIDE_SLOT)
        if not form:
            return []
        utter(dispatcher, "utter_resume_form")
        # The form is active again; it asks its pending question without reading the
        # message that the digression answered (actions/forms.py).
        return [SlotSet(FORM_ASIDE_SLOT, None), ActiveLoop(form)]
