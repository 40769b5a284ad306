"""Response generation that never sends a line with a missing value.

Rasa's templated generator picks any variation of a response and fills it with
slot values, leaving `{slot}` or a blank where a value is missing. This one first
drops the variations that name an unknown or blank value (bot/responses.py) and
says the fullest of the rest (a variation without a value is the fallback); a
response with no complete variation is not sent, and that is logged as an error,
so domain.yml gives such responses a variation without the value.
Configured in endpoints.yml (`nlg: type: rasa_extensions.nlg.CompleteResponseNLG`).
"""

from __future__ import annotations

import copy
import logging
import random
from typing import Any, Optional

from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from bot.responses import can_be_said, placeholders

logger = logging.getLogger(__name__)


class CompleteResponseNLG(TemplatedNaturalLanguageGenerator):
    def __init__(
        self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None
    ) -> None:
        super().__init__((domain or Domain.empty()).responses)

    def generate_from_slots(
        self,
        utter_action: str,
        filled_slots: dict[str, Any],
        output_channel: str,
        **kwargs: Any,
    ) -> Optional[dict[str, Any]]:
        if utter_action not in self.responses:
            return None
        values = {**(filled_slots or {}), **kwargs}
        variations = ResponseVariationFilter(self.responses).responses_for_utter_action(
            utter_action, output_channel, filled_slots or {}
        )
        sayable = [variation for variation in variations if can_be_said(variation, values)]
        if not sayable:
            logger.error("response %s has no variation with every value known; not sent",
                         utter_action)
            return None
        # The fullest line that can be said whole: a variation without a value is the
        # fallback for when that value is unknown, not an alternative to it.
        most = max(len(placeholders(str(v.get("text") or ""))) for v in sayable)
        fullest = [v for v in sayable if len(placeholders(str(v.get("text") or ""))) == most]
        return self._fill_response(copy.deepcopy(random.choice(fullest)), filled_slots, **kwargs)
