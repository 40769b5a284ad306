"""The compiled validator for action-server responses keeps Rasa's verdicts."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from channels import action_validation

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "ticket_number", "value": "T1"}],
     "responses": [{"response": "utter_ticket_created"}]},
    {"events": [{"event": "followup", "name": "action_listen"}]},
    {},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"event": "slot"}]},  # a slot event needs a name
    {"events": [{"event": "no_such_event"}]},
    {"responses": ["not an object"]},
    [],
]


@pytest.mark.parametrize("result", VALID + INVALID)
def test_same_verdict_as_rasa(result: object) -> None:
    from jsonschema import validate

    action = RemoteAction("action_x", EndpointConfig("http://127.0.0.1:1"))
    try:
        validate(result, RemoteAction.action_response_format_spec())
        expected_valid = True
    except ValidationError:
        expected_valid = False
    action_validation.install()
    if expected_valid:
        assert action._validate_action_result(result) is True  # type: ignore[arg-type]
    else:
        with pytest.raises(ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result(result)  # type: ignore[arg-type]
    assert (result in VALID) == expected_valid
