"""The conversation-repair policy: bot/dialogue/planner.py as a Rasa policy.

It sits above RulePolicy (priority 6 against 4) and marks its predictions as not
depending on the user's message, as RulePolicy's own form predictions are, so that
when the planner has a step it wins over the rules' "the form goes on"; when the
planner has none (the happy paths) it predicts nothing and the rules decide.
Nothing is learned: `train` stores only a marker.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.config import current_repair_config
from bot.dialogue.planner import next_step
from rasa_extensions.turns import caller_turn, turn_progress

logger = logging.getLogger(__name__)

MARKER_FILE = "conversation_repair.txt"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class ConversationRepairPolicy(Policy):
    """Predicts the planner's next step with certainty, or nothing."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": 6}

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_DATA

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        with self._model_storage.write_to(self._resource) as path:
            (path / MARKER_FILE).write_text("conversation repair: nothing to learn\n")
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ConversationRepairPolicy:
        return cls(config, model_storage, resource, execution_context)

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[dict[str, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        step = next_step(caller_turn(tracker), turn_progress(tracker), current_repair_config())
        if step is None:
            return self._prediction(probabilities)
        if step.action not in domain.action_names_or_texts:
            logger.error("conversation repair planned %s, which the domain lacks", step.action)
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(step.action)] = 1.0
        return self._prediction(probabilities, is_no_user_prediction=True)

