"""Escalation ladders: repeated anger, abuse, silence, misunderstanding, dialect, low volume.

Which stage the caller is on is computed from the conversation, not stored
counters, so a retried action call gives the same answer. The rules in
data/rules/situations.yml say what each stage does.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Iterable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.config import hotline_config


def user_intents_this_session(events: Iterable[dict[str, Any]]) -> list[str]:
    """Intents of the user turns since the latest session start, oldest first."""
    intents: list[str] = []
    for event in events:
        if event.get("event") in ("session_started", "restart"):
            intents = []
        elif event.get("event") == "user":
            intents.append(str((event.get("parse_data") or {}).get("intent", {}).get("name")))
    return intents


def consecutive_refusals(events: Iterable[dict[str, Any]]) -> int:
    """How many of the caller's latest turns in a row a form could not read."""
    refused: list[bool] = []
    for event in events:
        kind = event.get("event")
        if kind in ("session_started", "restart"):
            refused = []
        elif kind == "user":
            refused.append(False)
        elif kind == "action_execution_rejected" and refused:
            refused[-1] = True
    count = 0
    for was_refused in reversed(refused):
        if not was_refused:
            break
        count += 1
    return count


def occurrence_count(intents: list[str], intent: str, consecutive: bool) -> int:
    if not consecutive:
        return intents.count(intent)
    count = 0
    for name in reversed(intents):
        if name != intent:
            break
        count += 1
    return count


def stage_for(stages: list[str], count: int) -> str:
    return stages[min(max(count, 1), len(stages)) - 1]


class LadderStep(Action, metaclass=ABCMeta):
    """Move one ladder (hotline.yml `ladders.<ladder>`) to the stage this turn reaches.

    One action per ladder, so each rule names the one stage slot it branches on.
    """

    @property
    @abstractmethod
    def ladder(self) -> str: ...

    def name(self) -> str:
        return f"action_ladder_{self.ladder}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        spec = hotline_config().section("ladders")[self.ladder]
        intent = str(spec.get("intent", self.ladder))
        if spec.get("count") == "form_refusals":
            count = consecutive_refusals(tracker.events)
        else:
            intents = user_intents_this_session(tracker.events)
            count = occurrence_count(intents, intent, spec.get("count") != "session")
        return [SlotSet(spec["slot"], stage_for(list(spec["stages"]), count))]


class ActionLadderAngry(LadderStep):
    ladder = "angry"


class ActionLadderMalicious(LadderStep):
    ladder = "malicious"


class ActionLadderNomatch(LadderStep):
    ladder = "nomatch"


class ActionLadderSilence(LadderStep):
    ladder = "silence"


class ActionLadderLowVolume(LadderStep):
    ladder = "low_volume"


class ActionLadderDialect(LadderStep):
    ladder = "dialect"


class ActionLadderFormNomatch(LadderStep):
    ladder = "form_nomatch"
