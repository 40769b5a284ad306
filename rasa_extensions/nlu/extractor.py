"""Rasa component: rule-based entities (spaCy number matcher, grammar patterns, lookups).

One extractor for everything that is not worth learning: phone/order/ticket
numbers (see `numbers`), surname/title/rating/time slot/address/staff/branch
patterns (see `patterns`) and the business vocabularies given as lookup tables
in the training data (product, complaint keywords, branch names). Overlaps are
resolved longest-first, and spans already claimed by an earlier extractor are
left alone. Values are canonical (digits, "先生"/"女士"); complaint keywords
are mapped to categories by the EntitySynonymMapper that follows.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language.fingerprint import language_fingerprint
from bot.language.lookups import LookupMatcher
from bot.language.numbers import NumberRules, find_numbers
from bot.language.patterns import FINDERS
from bot.language.spans import EntitySpan, drop_overlaps

logger = logging.getLogger(__name__)

NUMBER_ENTITIES = ("phone_number", "order_number", "ticket_number")
LOOKUPS_FILE = "lookups.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class HotlineEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Numbers via spaCy, spoken-Chinese patterns, and data lookup tables."""

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> Optional[str]:
        # its rules and word lists (bot/language) are part of what it computes
        return language_fingerprint()

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "numbers": True,
            "patterns": list(FINDERS),
            "lookup_entities": ["product", "complaint_category", "branch"],
            "order_min_digits": 8,
            "order_max_digits": 24,
            "bare_order_min_digits": 12,
            "ticket_prefix": "T",
            "ticket_digits": 12,
            # cue words before a number (None: the defaults in bot.language.numbers)
            "phone_cues": None,
            "order_cues": None,
            "ticket_cues": None,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        lookups: LookupMatcher | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.rules = NumberRules.from_config(self._config)
        self.lookups = lookups or LookupMatcher({})
        self.finders = [FINDERS[name] for name in self._config["patterns"]]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> HotlineEntityExtractor:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        wanted = set(self._config["lookup_entities"])
        tables = {
            table["name"]: _elements(table) for table in training_data.lookup_tables
            if table["name"] in wanted
        }
        self.lookups = LookupMatcher(tables)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / LOOKUPS_FILE).write_text(
                json.dumps(self.lookups.to_json(), ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> HotlineEntityExtractor:
        tables: dict[str, list[str]] = {}
        try:
            with model_storage.read_from(resource) as directory:
                tables = json.loads((directory / LOOKUPS_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.debug("no lookup tables stored for %s", resource.name)
        return cls(config, model_storage, resource, LookupMatcher(tables))

    def extract(self, text: str) -> list[EntitySpan]:
        """All entities of `text` (normalised text), without overlaps."""
        spans: list[EntitySpan] = []
        if self._config["numbers"]:
            spans.extend(find_numbers(text, self.rules))
        for finder in self.finders:
            spans.extend(finder(text))
        spans.extend(self.lookups.find(text))
        return _resolve(spans)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text or text.startswith("/"):
                continue
            existing = message.get(ENTITIES, [])
            taken = [(e["start"], e["end"]) for e in existing if "start" in e and "end" in e]
            new = [s for s in self.extract(text) if not any(s.overlaps(a, b) for a, b in taken)]
            entities = [span.as_rasa(text, self.name) for span in new]
            message.set(ENTITIES, existing + entities, add_to_output=True)
        return messages


def _elements(table: dict[str, Any]) -> list[str]:
    elements = table["elements"]
    if isinstance(elements, list):
        return [str(e) for e in elements]
    from rasa.nlu.utils.pattern_utils import read_lookup_table_file

    return read_lookup_table_file(elements)


def _resolve(spans: list[EntitySpan]) -> list[EntitySpan]:
    """Longest wins; a surname and its title sit side by side, so both stay."""
    return drop_overlaps(spans)
