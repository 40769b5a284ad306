"""The entity span type shared by the rule-based matchers, and overlap handling."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EntitySpan:
    """One entity found in a text: [start, end) offsets, canonical value."""

    entity: str
    start: int
    end: int
    value: str

    def overlaps(self, start: int, end: int) -> bool:
        return self.start < end and start < self.end

    def as_rasa(self, text: str, extractor: str) -> dict[str, Any]:
        """The dict Rasa expects in a message's `entities` list."""
        return {
            "entity": self.entity,
            "start": self.start,
            "end": self.end,
            "value": self.value,
            "confidence_entity": 1.0,
            "extractor": extractor,
            "text": text[self.start : self.end],
        }


def drop_overlaps(
    spans: Iterable[EntitySpan], taken: Iterable[tuple[int, int]] = ()
) -> list[EntitySpan]:
    """Keep the longest spans, earliest first, that overlap neither each other nor `taken`."""
    occupied = list(taken)
    kept: list[EntitySpan] = []
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), s.start)):
        if any(span.overlaps(a, b) for a, b in occupied):
            continue
        kept.append(span)
        occupied.append((span.start, span.end))
    return sorted(kept, key=lambda s: s.start)
