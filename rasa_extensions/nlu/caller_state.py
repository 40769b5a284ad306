"""Rasa component: the caller's state beside the request, as its own parse output.

A caller can be angry *and* asking about a delivery. The intent names what the caller
wants; this component adds what the caller feels as the parse-data key
`caller_state` (`{"name", "confidence", "source"}`, or `{}`): the intent when it is a
caller state, else anger close behind the request or in its words
(`bot.language.states.read_caller_state`). The dialogue reads it
(rasa_extensions/turns.py): a request said in anger gets the manual's calming line
first. Place it last, after the FallbackClassifier, so it reads the final intent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.config import hotline_config
from bot.conversation import BESIDE
from bot.language.fingerprint import language_fingerprint
from bot.language.states import read_caller_state

OUTPUT_KEY = "caller_state"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class HotlineCallerState(GraphComponent, IntentClassifier):
    """Adds `caller_state` beside the intent; changes no intent."""

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> Optional[str]:
        return language_fingerprint()  # the anger words are part of what it reads

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> HotlineCallerState:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        repair = hotline_config().repair
        states = {repair.angry, repair.malicious, repair.complaint, repair.praise,
                  repair.out_of_scope}
        for message in messages:
            intent = message.get(INTENT)
            if not isinstance(intent, Mapping):
                continue  # a training example (its intent a label), not a parse
            ranking = [(str(entry.get("name")), float(entry.get("confidence") or 0.0))
                       for entry in message.get("intent_ranking") or []]
            state = read_caller_state(
                str(intent.get("name") or ""), float(intent.get("confidence") or 0.0),
                ranking, str(message.get(TEXT) or ""), states=states, angry=repair.angry,
                beside=BESIDE)
            # {} rather than None, which Rasa leaves out of the parse: "no state" is a reading
            message.set(OUTPUT_KEY, {} if state is None else {
                "name": state.name, "confidence": round(state.confidence, 4),
                "source": state.source}, add_to_output=True)
        return messages
