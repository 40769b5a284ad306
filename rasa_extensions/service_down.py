"""Action server unreachable: the caller hears the holding line, is handed off, and the
ticket request is kept in the durable outbox (bot/outbox.py) until the action server is back.

Why here (the extension point). When a custom action cannot reach the action server,
`RemoteAction.run` raises `RasaException` (connection refused, non-2xx) or
`asyncio.TimeoutError`; forms fail the same way through their `validate_<form>` call.
`MessageProcessor._run_action` catches every exception, logs it, drops the action's events
and lets the policy predict on: the caller gets `utter_nomatch`, or nothing at all when the
failing action is the custom `action_session_start`. Other places were considered:

- an NLG wrapper only sees response names, never that an action failed;
- the channels only see the (empty or wrong) answer, after the turn was already logged;
- patching `RemoteAction.run` alone misses the form's own handling of its validation call.

So we wrap `MessageProcessor._run_action` (the one place every action of every channel runs
through, including session start) and give the failing remote or form action replacement
events instead of none: the holding line (`utter_service_unavailable`, said once per turn),
a hand-off (Redis queue, idempotent per conversation) with the channels' `handoff` control
message, the form deactivated, and `action_listen` next so the turn ends cleanly. When the
caller was complaining, the ticket request is deferred to the outbox under one key per
session; the callback worker's `replay_outbox()` creates it once the ticket writer is back,
and the key makes any repeat (another failed turn, a replay run twice) the same ticket.

Rejections (`ActionExecutionRejection`) and errors of in-process actions are left to Rasa.
`install()` is called by the server's start-up hook (rasa_extensions/startup.py).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Optional

from rasa.core.actions.action import (
    Action,
    ActionExecutionRejection,
    ActionSessionStart,
    RemoteAction,
    create_bot_utterance,
)
from rasa.core.actions.forms import FormAction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    FollowupAction,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.shared.exceptions import RasaException

from bot.conversation import Conversation
from bot.handoffs import HandoffQueue
from bot.redis_client import build_redis
from bot.tickets.from_conversation import ticket_request
from bot.wiring import build_ticket_service

logger = logging.getLogger(__name__)

HOLDING_RESPONSE = "utter_service_unavailable"
MARKER = "hotline_service_down"  # BotUttered metadata: which failed action said it
HANDOFF_REASON = "service_unavailable"
# A complaint in progress: these actions, forms or intents mean a ticket is owed.
TICKET_ACTIONS = {"action_create_ticket": False, "action_pursue_request": True,
                  "action_handle_hangup": True}  # name -> incomplete
TICKET_FORMS = ("complaint_form", "callback_form")
TICKET_INTENTS = ("complaint", "pursue_request", "angry")
FAILURES: tuple[type[BaseException], ...] = (RasaException, asyncio.TimeoutError)

_installed = False


def install() -> None:
    """Wrap `MessageProcessor._run_action` once (idempotent)."""
    global _installed
    if _installed:
        return
    original = MessageProcessor._run_action

    async def _run_action(  # type: ignore[no-untyped-def]
        self, action, tracker, output_channel, nlg, prediction
    ):
        if isinstance(action, (RemoteAction, FormAction)) and not getattr(
            action, "_hotline_guarded", False
        ):
            _guard(action)
        return await original(self, action, tracker, output_channel, nlg, prediction)

    MessageProcessor._run_action = _run_action  # type: ignore[method-assign]
    _installed = True


def installed() -> bool:
    return _installed


def _guard(action: Action) -> None:
    inner = action.run

    async def run(output_channel, nlg, tracker, domain):  # type: ignore[no-untyped-def]
        try:
            return await inner(output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except FAILURES as exc:
            logger.error(
                "action %s failed (action server unreachable?): %s: %s",
                action.name(), type(exc).__name__, exc,
            )
            return await fallback_events(action.name(), output_channel, nlg, tracker, domain)

    action.run = run  # type: ignore[method-assign]
    action._hotline_guarded = True  # type: ignore[attr-defined]


def said_this_turn(events: list[Event]) -> bool:
    """The holding line was already said for the message being handled: after the latest
    user message, or by the session start that ran just before that message was logged."""
    users = 0
    for event in reversed(events):
        if isinstance(event, UserUttered):
            users += 1
            if users > 1:
                return False
        elif isinstance(event, BotUttered) and (event.metadata or {}).get(MARKER):
            return users == 0 or event.metadata[MARKER] == ACTION_SESSION_START_NAME
    return False


async def fallback_events(
    action_name: str, output_channel: Any, nlg: Any, tracker: Any, domain: Any
) -> list[Event]:
    """What the failed action does instead (see the module docstring)."""
    said: list[Event] = []
    if not said_this_turn(list(tracker.events)):
        said = await _holding_line(action_name, output_channel, nlg, tracker)
        await _run_blocking(_hand_off, tracker)
    if action_name == ACTION_SESSION_START_NAME:
        started = await ActionSessionStart().run(output_channel, nlg, tracker, domain)
        # Rasa's own session start: SessionStarted, carried-over slots, action_listen last.
        body = [e for e in started if not _is_listen(e)]
        return [*body, *said, SlotSet("handed_off", True), ActionExecuted(ACTION_LISTEN_NAME)]
    number = tracker.get_slot("ticket_id")
    if not number and _owes_ticket(action_name, tracker):
        await _run_blocking(_defer_ticket, action_name, tracker)
    events: list[Event] = [*said, SlotSet("handed_off", True)]
    if tracker.active_loop_name:
        events.append(ActiveLoop(None))
    return [*events, FollowupAction(ACTION_LISTEN_NAME)]


def _is_listen(event: Event) -> bool:
    return isinstance(event, ActionExecuted) and event.action_name == ACTION_LISTEN_NAME


async def _holding_line(action_name: str, output_channel: Any, nlg: Any, tracker: Any) -> list:
    message = await nlg.generate(HOLDING_RESPONSE, tracker, output_channel.name())
    lines: list[Event] = []
    if message:
        message["utter_action"] = HOLDING_RESPONSE
        message[MARKER] = action_name
        lines.append(create_bot_utterance(message))
    control = {"custom": {"hotline": {"event": "handoff", "reason": HANDOFF_REASON,
                                      "priority": True, "ticket_id": None}},
               MARKER: action_name}
    lines.append(create_bot_utterance(control))
    return lines


async def _run_blocking(function: Any, *args: Any) -> None:
    """Redis and fsync calls off the event loop; a failure is logged, never raised."""
    try:
        await asyncio.get_running_loop().run_in_executor(None, function, *args)
    except Exception:  # noqa: BLE001 - the caller already hears the holding line
        logger.exception("%s failed", function.__name__)


def _owes_ticket(action_name: str, tracker: Any) -> bool:
    if action_name in TICKET_ACTIONS or tracker.active_loop_name in TICKET_FORMS:
        return True
    intent = (tracker.latest_message.intent or {}).get("name") if tracker.latest_message else None
    return intent in TICKET_INTENTS


def conversation_of(tracker: DialogueStateTracker) -> Conversation:
    """The tracker as the domain reads a conversation (bot/conversation.py)."""
    return Conversation.from_state(tracker.current_state(EventVerbosity.ALL))


def _hand_off(tracker: DialogueStateTracker) -> None:
    HandoffQueue(build_redis()).hand_off(
        tracker.sender_id, HANDOFF_REASON, conversation_of(tracker).channel,
        caller_phone=tracker.get_slot("caller_phone") or tracker.get_slot("phone_number"),
        priority=True,
    )


def outage_key(tracker: Any) -> str:
    """One key per conversation session: every failed turn defers the same ticket."""
    sessions = sum(1 for e in tracker.events if isinstance(e, SessionStarted))
    return f"{tracker.sender_id}:session{sessions}:service_down"


def _defer_ticket(action_name: str, tracker: DialogueStateTracker) -> Optional[str]:
    incomplete = TICKET_ACTIONS.get(action_name, True)
    request = ticket_request(conversation_of(tracker), incomplete=incomplete)
    key = outage_key(tracker)
    build_ticket_service().defer_ticket(request, key, f"{action_name}: action server down")
    return key
