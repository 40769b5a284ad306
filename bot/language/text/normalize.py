"""The normalisation pipeline used before tokenisation."""

from __future__ import annotations

from dataclasses import dataclass

from bot.language.text.aligned import AlignedText, map_chars
from bot.language.text.chinese import to_simplified
from bot.language.text.digits import spoken_digits_to_arabic
from bot.language.text.spacing import collapse_whitespace, reduce_fillers
from bot.language.text.width import to_half_width


@dataclass(frozen=True)
class NormalizeOptions:
    """Which steps run; all on by default."""

    half_width: bool = True
    simplified: bool = True
    whitespace: bool = True
    fillers: bool = True
    spoken_digits: bool = True


DEFAULT_OPTIONS = NormalizeOptions()


def normalize(text: str, options: NormalizeOptions = DEFAULT_OPTIONS) -> AlignedText:
    """Normalise `text`, keeping the alignment to the input.

    Order: width folding, Traditional to Simplified, whitespace, fillers,
    spoken digits (last, so "幺 三 八" has lost its spaces and fillers first).
    """
    aligned = AlignedText.of(text)
    if options.half_width:
        aligned = map_chars(aligned, to_half_width)
    if options.simplified:
        aligned = map_chars(aligned, to_simplified)
    if options.whitespace:
        aligned = collapse_whitespace(aligned)
    if options.fillers:
        aligned = reduce_fillers(aligned)
    if options.spoken_digits:
        aligned = spoken_digits_to_arabic(aligned)
    return aligned


def normalize_text(text: str, options: NormalizeOptions = DEFAULT_OPTIONS) -> str:
    """`normalize(text).text`.

    >>> normalize_text("我的電話是 幺三八 一二三四 五六七八")
    '我的电话是13812345678'
    """
    return normalize(text, options).text
