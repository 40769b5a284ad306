"""Traditional to Simplified Chinese with OpenCC (t2s), loaded once and lazily."""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol


class _Converter(Protocol):
    def convert(self, text: str) -> str: ...


@lru_cache(maxsize=1)
def _t2s() -> _Converter:
    from opencc import OpenCC  # opencc-python-reimplemented, pure Python, bundled data

    converter: _Converter = OpenCC("t2s")
    return converter


def to_simplified(text: str) -> str:
    """Convert Traditional characters and phrases to Simplified.

    >>> to_simplified("這個產品質量太差了")
    '这个产品质量太差了'
    """
    if not text or text.isascii():
        return text
    return _t2s().convert(text)
