"""How two texts are compared as "the same words": no punctuation, no spaces, lower case."""

from __future__ import annotations

import re

_NOT_COMPARED = re.compile(r"[\W_]+")


def comparison_key(normalised: str) -> str:
    """The words of an already normalised text (Simplified, half width), without
    punctuation or spaces, lower case: `我想投诉!` and `我想 投诉` are the same words."""
    return _NOT_COMPARED.sub("", normalised).lower()


def meaningful_chars(text: str) -> int:
    """Letters and digits in a text (CJK characters count one each): how much was said."""
    return sum(1 for char in text if char.isalnum())
