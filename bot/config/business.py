"""`business_intents:` how each business request is answered: a lookup of the business
backend and/or a domain response."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.config.errors import ConfigError
from bot.config.parse import mapping


@dataclass(frozen=True)
class BusinessIntent:
    response: str
    lookup: str = ""  # a query of the business backend (bot/backend): order, refund, warranty


def parse_business_intents(raw: Mapping[str, Any]) -> dict[str, BusinessIntent]:
    intents = {}
    for name, spec in raw.items():
        spec = mapping(spec, f"business_intents.{name}")
        if not spec.get("response"):
            raise ConfigError(f"hotline.yml: business_intents.{name} needs a response")
        intents[str(name)] = BusinessIntent(str(spec["response"]), str(spec.get("lookup") or ""))
    return intents
