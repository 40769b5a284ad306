"""Two hot paths of the Rasa 3.6 server, made cheap without changing what they do.

Found by profiling the server under load (py-spy; figures in docs/BENCHMARKS.md):

- `RemoteAction._validate_action_result` calls `jsonschema.validate()` on every
  custom-action response, which checks the constant schema itself and builds a new
  validator each time: about 40 % of the server's CPU. Here the validator is compiled
  once; same schema, same `ValidationError` with Rasa's hint.
- `Event.resolve_by_type` walks the whole `Event` class tree for every event it
  deserialises (every turn reads the whole tracker): about 13 %. Here the
  name → class map is built once (first match wins, as in Rasa's loop) and rebuilt
  when a name is missing, so event classes imported later are still found.

Installed by the server's start-up hook (rasa_extensions/startup.py), in the Rasa server only.
`HOTLINE_RASA_SPEEDUPS=0` leaves Rasa untouched (e.g. to compare with stock Rasa, or
if a Rasa upgrade changes these functions).
"""

from __future__ import annotations

import os
from typing import Any, Optional

import rasa.shared.utils.common
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event

_installed = False


def install() -> None:
    """Install both replacements once (idempotent)."""
    global _installed
    if _installed or os.environ.get("HOTLINE_RASA_SPEEDUPS", "1") == "0":
        return
    _compile_action_response_validator()
    _cache_event_types()
    _installed = True


def _compile_action_response_validator() -> None:
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


def _event_classes() -> dict[str, type[Event]]:
    classes: dict[str, type[Event]] = {}
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)
    return classes


def _cache_event_types() -> None:
    original = Event.resolve_by_type
    known = _event_classes()

    def resolve_by_type(
        type_name: str, default: Optional[type[Event]] = None
    ) -> Optional[type[Event]]:
        cls = known.get(type_name)
        if cls is None:
            known.update(_event_classes())
            cls = known.get(type_name)
        return cls if cls is not None else original(type_name, default)

    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]
