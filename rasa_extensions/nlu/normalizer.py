"""Rasa component: normalise the message text before the tokenizer.

Registered as a MESSAGE_FEATURIZER on purpose: the default recipe only runs
`process_training_data` (and chains a node in front of the tokenizer) for
tokenizers and featurizers; intent classifiers and entity extractors never see
the training data before it is featurised. It must be the first pipeline item.
Entity annotations of training examples are moved onto the normalised text.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language.fingerprint import language_fingerprint
from bot.language.text import AlignedText, NormalizeOptions, normalize

logger = logging.getLogger(__name__)

INTENT_PAYLOAD_PREFIX = "/"  # "/silence", '/inform{"rating":"5"}': left for RegexMessageHandler
CALLER_SLASH = "／"  # a caller's leading slash, as the channels pass it (channels/payloads.py)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class HotlineTextNormalizer(GraphComponent):
    """Traditional→Simplified, full→half width, spoken digits, whitespace, fillers."""

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> Optional[str]:
        # its rules and word lists (bot/language) are part of what it computes
        return language_fingerprint()

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "half_width": True,
            "simplified": True,
            "whitespace": True,
            "fillers": True,
            "spoken_digits": True,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        fields = NormalizeOptions.__dataclass_fields__
        self.options = NormalizeOptions(**{k: bool(v) for k, v in config.items() if k in fields})

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> HotlineTextNormalizer:
        return cls({**cls.get_default_config(), **config})

    def normalize_message(self, message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str) or not text or text.startswith(INTENT_PAYLOAD_PREFIX):
            return
        aligned = normalize(text, self.options)
        if aligned.text == text:
            return
        normalized = aligned.text
        if normalized.startswith(INTENT_PAYLOAD_PREFIX):
            # A caller's `／…` (channels/payloads.py) stays text: Rasa's payload reader
            # runs after the normaliser and would take `/…` for an intent.
            normalized = CALLER_SLASH + normalized[1:]
        message.set(TEXT, normalized)
        entities = message.get(ENTITIES)
        if entities:
            message.set(ENTITIES, _move_entities(entities, text, aligned))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self.normalize_message(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self.normalize_message(example)
        return training_data


def _move_entities(
    entities: list[dict[str, Any]], original: str, aligned: AlignedText
) -> list[dict[str, Any]]:
    moved = []
    for entity in entities:
        start, end = entity.get("start"), entity.get("end")
        if start is None or end is None:
            moved.append(entity)
            continue
        span = aligned.from_original(int(start), int(end))
        if span is None:
            logger.warning("entity %s lost by normalisation in %r", entity, original)
            continue
        new = dict(entity, start=span[0], end=span[1])
        if entity.get("value") == original[start:end]:
            new["value"] = aligned.text[span[0] : span[1]]
        moved.append(new)
    return moved
