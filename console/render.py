"""The console's page templates: Jinja2 files in console/templates/, autoescaped."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from bot.tickets.model import Severity

HANGUP_LABELS = {"caller": "来电方", "bot": "机器人", "none": "未接通"}

ENV = Environment(
    loader=PackageLoader("console", "templates"),
    autoescape=select_autoescape(),  # on for .html files
)
ENV.globals.update(hangup_labels=HANGUP_LABELS, severities=[s.value for s in Severity])


def render(name: str, **context: Any) -> str:
    """The page `name` (a file in console/templates/) filled with `context`."""
    return ENV.get_template(name).render(**context)
