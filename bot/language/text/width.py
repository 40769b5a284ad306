"""Full-width (全角) to half-width (半角) folding, one character for one."""

from __future__ import annotations

_FULL_START = 0xFF01  # '！'
_FULL_END = 0xFF5E  # '～'
_OFFSET = 0xFEE0
_IDEOGRAPHIC_SPACE = "\u3000"


def fold_char(char: str) -> str:
    """Half-width form of one character (unchanged if it has none)."""
    code = ord(char)
    if _FULL_START <= code <= _FULL_END:
        return chr(code - _OFFSET)
    if char == _IDEOGRAPHIC_SPACE:
        return " "
    return char


def to_half_width(text: str) -> str:
    """Fold full-width ASCII variants (digits, letters, punctuation, space).

    CJK punctuation without an ASCII twin (。、「」…) is kept.
    >>> to_half_width("１３８ＡＢ，好！")
    '138AB,好!'
    """
    return "".join(fold_char(c) for c in text)
