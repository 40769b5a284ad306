"""Whitespace and hesitation-filler handling.

ASR output puts spaces between words and repeats fillers; written chat repeats
punctuation. Fillers that carry meaning on their own ("嗯" = yes, "那个" =
"that") are kept once, only repetitions and pure hesitation sounds go.
"""

from __future__ import annotations

import re

from bot.language.text.aligned import AlignedText, substitute

_WHITESPACE = re.compile(r"\s+")
# a space survives only between two ASCII letters/digits ("iPhone 15")
_USELESS_SPACE = re.compile(r"(?<![A-Za-z0-9]) | (?![A-Za-z0-9])")
_REPEATED_SOUND = re.compile(r"([嗯呃额唔哦噢啊哈呀哎诶欸])\1{2,}")
_HESITATION = re.compile(
    r"(?:^|(?<=[,.!?，。！？、\s]))(?:呃|额|唔|em+|e+m+|嗯哼)+[,，、.。…]*", re.I
)
_REPEATED_WORD = re.compile(r"(那个|就是|然后|这个|就是说|怎么说呢|反正)(?:[,，、 ]?\1)+")
_REPEATED_PUNCT = re.compile(r"([!?！？。,，~～.、…])\1{2,}")


def collapse_whitespace(aligned: AlignedText) -> AlignedText:
    """One space for any whitespace run; drop spaces next to CJK text; strip."""
    step = substitute(aligned, _WHITESPACE, lambda _m: " ")
    step = substitute(step, _USELESS_SPACE, lambda _m: "")
    return step


def reduce_fillers(aligned: AlignedText) -> AlignedText:
    """Drop hesitation sounds, collapse repeated fillers and punctuation.

    >>> reduce_fillers(AlignedText.of("呃,那个那个那个我想问一下!!!!")).text
    '那个我想问一下!!'
    """
    step = substitute(aligned, _REPEATED_SOUND, lambda m: m.group(1) * 2)
    stripped = substitute(step, _HESITATION, lambda _m: "")
    if stripped.text.strip():  # never empty a message that was only a filler
        step = stripped
    step = substitute(step, _REPEATED_WORD, lambda m: m.group(1))
    step = substitute(step, _REPEATED_PUNCT, lambda m: m.group(1) * 2)
    return step
