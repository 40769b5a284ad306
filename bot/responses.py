"""Response templates: which values a line names, and whether it can be said whole.

A line is never sent with a missing value (`我们会在 前给您回电` is a broken promise):
the response generator (rasa_extensions/nlg.py) only chooses a variation whose every
`{value}` is known and not blank, and the script audit (bot/script_audit.py) flags a
sent line that still has one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# `{name}` but not the escaped `{{`/`}}` of button payloads.
PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")


def placeholders(text: str) -> list[str]:
    """The value names a template text uses, in order."""
    return PLACEHOLDER.findall(text or "")


def has_value(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def can_be_said(template: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    """Whether every value the variation's text names is known and not blank."""
    text = str(template.get("text") or "")
    return all(has_value(values.get(name)) for name in placeholders(text))
