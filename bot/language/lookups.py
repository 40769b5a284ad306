"""Business vocabularies (product names, complaint keywords, branches) from data.

The lists are Rasa lookup tables in data/nlu; they are normalised like the
messages (Simplified, half-width) and matched longest first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from bot.language.spans import EntitySpan
from bot.language.text import normalize_text


class LookupMatcher:
    """Finds lookup-table entries in normalised text."""

    def __init__(self, tables: Mapping[str, Iterable[str]]) -> None:
        self.tables: dict[str, list[str]] = {}
        self._patterns: dict[str, re.Pattern[str]] = {}
        for name, elements in tables.items():
            words = sorted({normalize_text(e).strip() for e in elements} - {""},
                           key=lambda w: (-len(w), w))
            if not words:
                continue
            self.tables[name] = words
            self._patterns[name] = re.compile("|".join(re.escape(w) for w in words), re.I)

    def find(self, text: str) -> list[EntitySpan]:
        spans = []
        for name, pattern in self._patterns.items():
            for match in pattern.finditer(text):
                spans.append(EntitySpan(name, *match.span(), match.group(0)))
        return spans

    def to_json(self) -> dict[str, list[str]]:
        return dict(self.tables)
