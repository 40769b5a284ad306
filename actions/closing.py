"""Ending a conversation: satisfaction, the end control message, hand-offs, repeats."""

from __future__ import annotations

import logging
import re
from typing import Any

import redis
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.support import channel_of, control, dialogue_setting, latest_intent, latest_text

logger = logging.getLogger(__name__)

# Why a conversation ends, from the intent that ended it. Scripted exceptions
# hang up a few seconds after their closing line; a normal closing waits for
# the caller to hang up first (HOTLINE_SPEC 1).
END_REASONS = {
    "malicious": "malicious",
    "silence": "silence",
    "low_volume": "low_volume",
    "noisy_line": "noisy_line",
    "idle_timeout": "idle",
    "personal_call": "personal_call",
    "hangup": "caller_hangup",
}
SCRIPTED_HANGUP_REASONS = {"malicious", "silence", "low_volume", "noisy_line"}
# A bare score as an answer: "4", "五分", "5 分。" (longer texts rely on the rating entity).
RATING_PATTERN = re.compile(r"^\s*([1-5一二三四五])\s*分?\s*[。.!！]?\s*$")
CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}


def parse_rating(tracker: Tracker) -> int | None:
    """A 1-5 score from the rating entity (or button payload), or a bare score as the answer."""
    entity = next(tracker.get_latest_entity_values("rating"), None) or tracker.get_slot("rating")
    for candidate in (entity, latest_text(tracker)):
        if candidate is None:
            continue
        match = RATING_PATTERN.match(str(candidate))
        if match:
            char = match.group(1)
            return CHINESE_DIGITS.get(char) or int(char)
    return None


class ActionEndConversation(Action):
    def name(self) -> str:
        return "action_end_conversation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reason = END_REASONS.get(latest_intent(tracker) or "", "goodbye")
        channel = channel_of(tracker)
        hangup_after = (
            int(dialogue_setting("scripted_hangup_after_s", 5))
            if reason in SCRIPTED_HANGUP_REASONS else None
        )
        control(dispatcher, "end", reason=reason, hangup_after_s=hangup_after)
        try:
            services.outcomes().record_end(
                tracker.sender_id, reason, channel,
                served=bool(tracker.get_slot("served")),
                handed_off=bool(tracker.get_slot("handed_off")),
            )
            if reason == "malicious":
                caller = tracker.get_slot("caller_phone") or f"conversation:{tracker.sender_id}"
                services.handoffs().flag_caller(caller, tracker.sender_id, reason)
        except redis.RedisError:
            logger.exception("could not record the end of %s", tracker.sender_id)
        # Nothing follows a closing line: every form ends with the session, and the
        # dialogue policy says nothing more in a closed session. The channels open a
        # new session (with the opening line) on the next message.
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("form_aside", None),
                SlotSet("session_closed", True)]


class ActionStoreSatisfaction(Action):
    def name(self) -> str:
        return "action_store_satisfaction"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        score = parse_rating(tracker)
        if score is None:
            return [SlotSet("rating", None), SlotSet("survey_answer", "declined")]
        try:
            services.outcomes().record_satisfaction(tracker.sender_id, score)
        except redis.RedisError:
            logger.exception("could not store satisfaction of %s", tracker.sender_id)
        return [
            SlotSet("satisfaction", float(score)), SlotSet("rating", None),
            SlotSet("survey_answer", "rated"),
        ]


class ActionHandoff(Action):
    """Queue the conversation for a person and tell the channel to transfer it."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = latest_intent(tracker) or "request_human"
        reason = {"nlu_fallback": "repeated_nomatch"}.get(intent, intent)
        priority = intent in ("angry", "complaint")
        ticket_id = tracker.get_slot("ticket_id")
        try:
            services.handoffs().hand_off(
                tracker.sender_id, reason, channel_of(tracker),
                caller_phone=tracker.get_slot("caller_phone") or tracker.get_slot("phone_number"),
                ticket_id=ticket_id, priority=priority,
            )
        except redis.RedisError:
            logger.exception("could not queue the hand-off of %s", tracker.sender_id)
        control(dispatcher, "handoff", reason=reason, priority=priority, ticket_id=ticket_id)
        return [SlotSet("handed_off", True), SlotSet("served", True)]


class ActionRepeatLast(Action):
    """The caller asks us to say it again: the assistant's last turn, word for word.

    That is every line the assistant said between the caller's previous message and
    this request (an answer and the question after it), not only the last line.
    """

    def name(self) -> str:
        return "action_repeat_last"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        for line in last_turn_lines(tracker.events):
            # Already-approved text we said before: send it again unchanged.
            dispatcher.utter_message(
                text=line["text"], buttons=(line.get("data") or {}).get("buttons") or []
            )
        if not last_turn_lines(tracker.events):
            dispatcher.utter_message(response="utter_greet_short")
        return []


def last_turn_lines(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bot's text lines of its turn before the caller's latest message."""
    users_seen = 0
    lines: list[dict[str, Any]] = []
    for event in reversed(events):
        kind = event.get("event")
        if kind == "user":
            users_seen += 1
            if users_seen >= 2 and lines:
                break
            continue
        session_start = kind == "action" and event.get("name") == "action_session_start"
        if kind == "restart" or session_start:
            break
        if users_seen >= 1 and kind == "bot" and event.get("text"):
            lines.insert(0, event)
    return lines
