"""`complaint_categories`, `complaint_extra_slots`, `complaint_category_words`: what the
complaint form offers, asks for by category, and recognises without asking."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.config.errors import ConfigError
from bot.config.parse import mapping, strings, texts


@dataclass(frozen=True)
class ComplaintSettings:
    categories: Mapping[str, str] = field(default_factory=dict)  # code -> words
    # What else the form asks for, by category (slots: order_number, caller_address).
    extra_slots: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Caller words that place a complaint in a category without asking.
    category_words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def category_of(self, text: str) -> str | None:
        for category, words in self.category_words.items():
            if any(word in text for word in words):
                return category
        return None


def parse_complaints(raw: Mapping[str, Any]) -> ComplaintSettings:
    categories = texts(raw.get("complaint_categories"), "complaint_categories")
    if not categories:
        raise ConfigError("hotline.yml: complaint_categories must not be empty")
    extra = mapping(raw.get("complaint_extra_slots"), "complaint_extra_slots")
    words = mapping(raw.get("complaint_category_words"), "complaint_category_words")
    return ComplaintSettings(
        categories=categories,
        extra_slots={str(k): strings(v, f"complaint_extra_slots.{k}") for k, v in extra.items()},
        category_words={str(k): strings(v, f"complaint_category_words.{k}")
                        for k, v in words.items()},
    )
