"""`business_intents:` how each business request is answered: a lookup of the business
backend and/or a domain response."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Optional

from bot.config.errors import ConfigError
from bot.config.parse import mapping


@dataclass(frozen=True)
class Registration:
    """A request the answer offers to take down (`需要报修的话我可以为您登记`): accepted, or
    asked for without an order number, it becomes a ticket of the complaint form in
    `category`, introduced by `line`."""

    category: str
    line: str
    # The caller's request is the description unless it has to say what is wrong (a
    # repair: `我的洗衣机还在保修期吗` is no fault) and does not.
    needs_fault: bool = False
    # The answer that offers it (the request's `response` with `offered: true`): a yes
    # right after it takes it down.
    offered_by: str = ""
    # The lookup needs the order number: a caller without one is told where to find it
    # first, and taken down on a second refusal (a repair is taken down at once).
    order_needed: bool = False
    # Asking is enough: the request is taken down at once (`我想预约上门安装`).
    at_once: bool = False
    # Words that say why the caller wants it (`鞋子尺码小了` after the return policy):
    # said right after the offer, they take it up, as a fault does.
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class BusinessIntent:
    response: str
    lookup: str = ""  # a query of the business backend (bot/backend): order, refund, warranty
    registers: Optional[Registration] = None
    # Patterns that name the request unmistakably (`订单到底到哪了`): read when the message
    # as a whole is anger with no request close behind, so the request is still served.
    asked_in_words: tuple[str, ...] = ()


def parse_business_intents(raw: Mapping[str, Any],
                           categories: Iterable[str] = ()) -> dict[str, BusinessIntent]:
    known = set(categories)
    intents = {}
    for name, spec in raw.items():
        spec = mapping(spec, f"business_intents.{name}")
        if not spec.get("response"):
            raise ConfigError(f"hotline.yml: business_intents.{name} needs a response")
        response = str(spec["response"])
        intents[str(name)] = BusinessIntent(
            response, str(spec.get("lookup") or ""),
            _registration(name, spec.get("registers"), known, response),
            word_patterns(spec.get("asked_in_words"), f"business_intents.{name}.asked_in_words"))
    return intents


def word_patterns(raw: Any, where: str) -> tuple[str, ...]:
    """A list of regular expressions over the caller's normalised words, checked here so
    a bad one stops the start, not a caller's turn."""
    patterns = tuple(str(pattern) for pattern in raw or () if str(pattern))
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ConfigError(
                f"hotline.yml: {where}: {pattern!r} is no pattern ({error})") from error
    return patterns


def _registration(name: str, raw: Any, categories: set[str],
                  response: str) -> Optional[Registration]:
    if raw is None:
        return None
    spec = mapping(raw, f"business_intents.{name}.registers")
    category, line = str(spec.get("category") or ""), str(spec.get("line") or "")
    if not line or (categories and category not in categories):
        raise ConfigError(f"hotline.yml: business_intents.{name}.registers needs a line and "
                          "a category of complaint_categories")
    return Registration(category, line, bool(spec.get("needs_fault", False)),
                        response if spec.get("offered", False) else "",
                        bool(spec.get("order_needed", False)), bool(spec.get("at_once", False)),
                        tuple(str(word) for word in spec.get("reasons") or () if str(word)))
