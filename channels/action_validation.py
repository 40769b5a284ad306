"""Validate action-server responses with one compiled JSON-schema validator.

Rasa 3.6's `RemoteAction._validate_action_result` calls `jsonschema.validate()` on
every custom-action response. That call checks the (constant) schema itself and builds
a new validator each time; under load it took about 40 % of the Rasa server's CPU
(py-spy profile in docs/BENCHMARKS.md). This keeps Rasa's behaviour (same schema, same
`ValidationError` with the same hint) with the validator compiled once. Installed by
the channel modules, so it runs in the Rasa server only.
"""

from __future__ import annotations

from typing import Any

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.shared.constants import DOCS_BASE_URL
from rasa.core.actions.action import RemoteAction

_installed = False


def install() -> None:
    """Replace `RemoteAction._validate_action_result` once (idempotent)."""
    global _installed
    if _installed:
        return
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
        except ValidationError as error:
            error.message += (
                ". Failed to validate Action server response from API, make sure your "
                "response from the Action endpoint is valid. For more information about "
                f"the format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise
        return True

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    _installed = True
