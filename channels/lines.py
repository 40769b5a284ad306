"""Lines a channel says itself, outside a dialogue turn (a refused message, a technical
apology, the recording notice, the callback script): domain.yml responses, like every
other line the assistant says.

The channels read them from the domain of the running Rasa agent (`agent.domain`), and
from domain.yml itself while no model is loaded (a caller must still hear the apology).
A response's variant for the channel (`channel: phone`) wins over its plain variant;
`{name}` placeholders are filled from the values the channel passes (company names from
hotline.yml, limits), unknown ones with nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Optional, Protocol

import yaml

from bot.config import PROJECT_ROOT

Responses = Mapping[str, Sequence[Mapping[str, Any]]]


class Lines(Protocol):
    def text(self, response: str, **values: Any) -> str:
        """The response's text for the channel, filled; "" when the domain has none."""
        ...


@lru_cache(maxsize=1)
def domain_file_responses() -> Responses:
    """domain.yml's responses (before a model is loaded, and for tests)."""
    with open(PROJECT_ROOT / "domain.yml", encoding="utf-8") as handle:
        return (yaml.safe_load(handle) or {}).get("responses") or {}


def choose_variant(variants: Sequence[Mapping[str, Any]], channel: str) -> Optional[Mapping]:
    """The channel's own variant, else the first one without a channel."""
    own = [v for v in variants if v.get("channel") == channel]
    plain = [v for v in variants if not v.get("channel")]
    return (own or plain or [None])[0]


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, values: Mapping[str, Any]) -> str:
    return template.format_map(_Blank({k: "" if v is None else v for k, v in values.items()}))


class DomainLines:
    """`Lines` over the agent's domain (`responses_of()`), else domain.yml."""

    def __init__(
        self,
        channel: str,
        values: Mapping[str, Any] | None = None,
        responses_of: Callable[[], Optional[Responses]] = lambda: None,
    ) -> None:
        self.channel = channel
        self.values = dict(values or {})
        self._responses_of = responses_of

    def responses(self) -> Responses:
        return self._responses_of() or domain_file_responses()

    def text(self, response: str, **values: Any) -> str:
        variant = choose_variant(self.responses().get(response) or (), self.channel)
        if variant is None or not variant.get("text"):
            return ""
        return fill(str(variant["text"]), {**self.values, **values})


def agent_responses(agent: Any) -> Optional[Responses]:
    """The responses of a Rasa agent's domain, None while it has none."""
    domain = getattr(agent, "domain", None)
    return getattr(domain, "responses", None) if domain is not None else None
