"""The console's pages: Jinja2 files in console/templates/, autoescaped, with the filters
that turn codes into labels and instants into company time."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from console.config import ConsoleConfig
from console.messages import note_text
from console.timefmt import TimeFormat, ago, duration


def percent(rate: float | None, digits: int = 1) -> str:
    return "—" if rate is None else f"{rate * 100:.{digits}f}%"


class Renderer:
    def __init__(self, config: ConsoleConfig) -> None:
        self.config = config
        self.fmt = TimeFormat(config.tz)
        labels = config.labels
        env = Environment(
            loader=PackageLoader("console", "templates"),
            autoescape=select_autoescape(),  # on for .html files
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters.update(
            label=lambda code, kind: labels.of(kind, code),
            actor=labels.actor,
            when=self.fmt.when,
            day=self.fmt.day,
            clock=self.fmt.clock,
            ago=lambda value: ago(self.fmt, value),
            duration=duration,
            pct=percent,
            input_time=self.fmt.input_value,
            note=lambda text: note_text(str(text or ""), labels, self.fmt),
        )
        env.globals.update(labels=labels, company=config.company, fmt=self.fmt)
        self.env = env

    def render(self, name: str, **context: Any) -> str:
        """The page `name` (a file in console/templates/) filled with `context`."""
        return self.env.get_template(name).render(**context)
