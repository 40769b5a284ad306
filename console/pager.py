"""Pagination of lists: which slice to show and the links to the other pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    number: int  # 1-based
    size: int
    total: int
    param: str = "page"

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_row(self) -> int:
        return (self.number - 1) * self.size + 1 if self.total else 0

    @property
    def last_row(self) -> int:
        return min(self.total, self.number * self.size)

    def url(self, path: str, args: Mapping[str, Any], number: int) -> str:
        """`path` with `args`, this pager's page set to `number`."""
        values = {k: v for k, v in args.items() if k != self.param and v not in ("", None)}
        if number > 1:
            values[self.param] = number
        return f"{path}?{urlencode(values)}" if values else path

    def numbers(self) -> list[int | None]:
        """Page numbers to link, with None for a gap: 1 … 4 5 6 … 12."""
        shown = {1, self.pages, *range(self.number - 2, self.number + 3)}
        out: list[int | None] = []
        for n in range(1, self.pages + 1):
            if n in shown:
                out.append(n)
            elif out and out[-1] is not None:
                out.append(None)
        return out


def paginate(items: Sequence[T], raw: Any, size: int, param: str = "page") -> Page[T]:
    """The page `raw` (as sent; anything odd means page 1, past the end the last page)."""
    try:
        number = int(str(raw))
    except (TypeError, ValueError):
        number = 1
    pages = max(1, -(-len(items) // size))
    number = min(max(1, number), pages)
    start = (number - 1) * size
    return Page(items[start:start + size], number, size, len(items), param)
