"""A Rasa tracker described as the planner's `CallerTurn` and `TurnProgress`.

The turn is read as it stood when the caller spoke (active form, pending question,
the last line said), by walking back from the caller's latest message to the start
of the session; the progress is what happened after it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Optional

from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.conversation import BESIDE, intent_beside, intents_behind
from bot.dialogue.planner import OPENED_ON_CONNECT, REJECTED, CallerTurn, TurnProgress

CLOSED_SLOT = "session_closed"
SERVED_SLOT = "served"
FORM_ASIDE_SLOT = "form_aside"
REFUSED_SLOT = "refused_slot"
TOPIC_SLOT = "business_topic"
OPENING_RESPONSE = "utter_opening"
UTTER_PREFIX = "utter_"


class _Slots(Mapping[str, Any]):
    """The tracker's current slot values, read on demand."""

    def __init__(self, tracker: DialogueStateTracker) -> None:
        self._tracker = tracker

    def __getitem__(self, key: str) -> Any:
        if key not in self._tracker.slots:
            raise KeyError(key)
        return self._tracker.get_slot(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._tracker.slots)

    def __len__(self) -> int:
        return len(self._tracker.slots)


def _latest_user_index(events: list[Event]) -> Optional[int]:
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, UserUttered):
            return index
        if isinstance(event, (SessionStarted, Restarted)):
            return None
    return None


def _opening_before(events: list[Event], position: int) -> Optional[str]:
    """The opening line, which Rasa logs just before `session_started`."""
    for event in reversed(events[:position]):
        if isinstance(event, BotUttered):
            return (event.metadata or {}).get("utter_action")
        if isinstance(event, (ActionExecuted, UserUttered)):
            return None
    return None


def caller_turn(tracker: DialogueStateTracker) -> Optional[CallerTurn]:
    """The caller's latest message in this session and the state it found, or None."""
    events = list(tracker.events)
    user_index = _latest_user_index(events)
    if user_index is None:
        return None
    user = events[user_index]
    assert isinstance(user, UserUttered)
    found: dict[str, Any] = {}
    loop_known = False
    form: Optional[str] = None
    last_response: Optional[str] = None
    last_form: Optional[str] = None
    said: list[str] = []
    said_before: list[str] = []
    earlier_users = 0
    for position in range(user_index - 1, -1, -1):
        event = events[position]
        if isinstance(event, Restarted):
            break
        if isinstance(event, SessionStarted):
            # Rasa logs the session start's metadata and opening line before
            # `session_started`.
            last_response = last_response or _opening_before(events, position)
            break
        if isinstance(event, ActiveLoop):
            if not loop_known:
                loop_known, form = True, event.name
            last_form = last_form or event.name
        elif isinstance(event, SlotSet) and event.key not in found:
            found[event.key] = event.value
        elif isinstance(event, BotUttered):
            response = (event.metadata or {}).get("utter_action")
            last_response = last_response or response
            if response and earlier_users == 0:
                said.append(str(response))
            elif response and earlier_users == 1:
                said_before.append(str(response))
        elif (isinstance(event, ActionExecuted) and last_response is None
              and str(event.action_name or "").startswith(UTTER_PREFIX)):
            last_response = event.action_name  # stories carry no bot messages
        elif isinstance(event, UserUttered):
            earlier_users += 1
    opened_on_connect = bool(found.get(OPENED_ON_CONNECT))
    return CallerTurn(
        intent=str(user.intent_name or ""),
        text=str(user.text or ""),
        form=form,
        requested_slot=found.get(REQUESTED_SLOT) if form else None,
        last_response=last_response,
        served=bool(found.get(SERVED_SLOT)),
        opening_this_turn=(
            last_response == OPENING_RESPONSE and not earlier_users and not opened_on_connect
        ),
        form_aside=found.get(FORM_ASIDE_SLOT),
        caller_state=caller_state(user.parse_data or {}),
        refused_slot=found.get(REFUSED_SLOT) if form else None,
        last_form=last_form,
        also_asks=intent_beside(user.parse_data or {}),
        behind=intents_behind(user.parse_data or {}),
        confidence=_confidence(user.parse_data or {}),
        said=tuple(reversed(said)),
        said_before=tuple(reversed(said_before)),
        topic=found.get(TOPIC_SLOT) if form else None,
        values=frozenset(str(entity.get("entity")) for entity in
                         (user.parse_data or {}).get("entities") or [] if entity.get("entity")),
    )


def _confidence(parse_data: Mapping[str, Any]) -> float:
    """The NLU's confidence in the intent; a message without one (a story, a payload
    handler that gives none) is taken as sure, like the planner's default."""
    confidence = (parse_data.get("intent") or {}).get("confidence")
    return 1.0 if confidence is None else float(confidence)


STATES = ("angry", "malicious")


def caller_state(parse_data: Mapping[str, Any]) -> Optional[str]:
    """How the caller feels beside what they ask: the NLU's `caller_state` when it gives
    one, else a caller state close behind the intent in the ranking."""
    if "caller_state" in parse_data:  # the NLU's own reading (HotlineCallerState)
        state = parse_data.get("caller_state")
        return str(state["name"]) if isinstance(state, Mapping) and state.get("name") else None
    for ranked in list(parse_data.get("intent_ranking") or [])[1:3]:
        if ranked.get("name") in STATES and float(ranked.get("confidence") or 0) >= BESIDE:
            return str(ranked["name"])
    return None


def turn_progress(tracker: DialogueStateTracker) -> TurnProgress:
    """What was done since the caller's latest message."""
    events = list(tracker.events)
    user_index = _latest_user_index(events)
    done: list[str] = []
    if user_index is not None:
        for event in events[user_index + 1:]:
            if isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
                done.append(str(event.action_name))
            elif isinstance(event, ActionExecutionRejected):
                done.append(REJECTED + str(event.action_name))
    return TurnProgress(
        done=tuple(done),
        slots=_Slots(tracker),
        session_closed=bool(tracker.get_slot(CLOSED_SLOT)),
    )
