"""A string that remembers, for each character, where it came from in the original."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class AlignedText:
    """`text` plus `origin[i]`, the index in the original text of `text[i]`.

    `length` is the length of the original text (needed to map an end offset
    that points past the last character).
    """

    text: str
    origin: tuple[int, ...]
    length: int

    @classmethod
    def of(cls, text: str) -> AlignedText:
        return cls(text, tuple(range(len(text))), len(text))

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the span [start, end) of `text` back to the original text."""
        if start >= len(self.text):
            return self.length, self.length
        if end <= start:
            orig = self.origin[start]
            return orig, orig
        return self.origin[start], self.origin[end - 1] + 1

    def from_original(self, start: int, end: int) -> tuple[int, int] | None:
        """Map the span [start, end) of the original text onto `text`.

        Returns None when nothing of the span survived normalisation.
        """
        inside = [i for i, orig in enumerate(self.origin) if start <= orig < end]
        if not inside:
            return None
        return inside[0], inside[-1] + 1


Replacer = Callable[["re.Match[str]"], str]


def substitute(aligned: AlignedText, pattern: re.Pattern[str], repl: Replacer) -> AlignedText:
    """Like `pattern.sub(repl, text)`, keeping the alignment.

    A replacement of the same length maps character by character; otherwise
    every new character points at the first character of the match (a deleted
    match leaves no trace).
    """
    out: list[str] = []
    origin: list[int] = []
    pos = 0
    text = aligned.text
    for match in pattern.finditer(text):
        start, end = match.span()
        out.append(text[pos:start])
        origin.extend(aligned.origin[pos:start])
        new = repl(match)
        out.append(new)
        if len(new) == end - start:
            origin.extend(aligned.origin[start:end])
        elif new:
            anchor = aligned.origin[start] if start < len(text) else aligned.length
            origin.extend([anchor] * len(new))
        pos = end
    out.append(text[pos:])
    origin.extend(aligned.origin[pos:])
    return AlignedText("".join(out), tuple(origin), aligned.length)


def map_chars(aligned: AlignedText, convert: Callable[[str], str]) -> AlignedText:
    """Apply a conversion that must keep the length (e.g. width folding).

    If `convert` changes the length of the whole string, it is applied to each
    character separately, which always keeps the alignment.
    """
    converted = convert(aligned.text)
    if len(converted) == len(aligned.text):
        return AlignedText(converted, aligned.origin, aligned.length)
    chars = []
    origin: list[int] = []
    for char, orig in zip(aligned.text, aligned.origin, strict=True):
        new = convert(char)
        chars.append(new)
        origin.extend([orig] * len(new))
    return AlignedText("".join(chars), tuple(origin), aligned.length)
