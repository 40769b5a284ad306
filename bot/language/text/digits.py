"""Spoken digits (幺三八、两、零…) to Arabic digits, only inside number runs.

Callers read phone, order and ticket numbers digit by digit ("幺三八 一二三四…").
A run of digit characters (spoken or Arabic, optionally separated by a space
or a dash) is converted when it is clearly a number: at least
`MIN_SPOKEN_RUN` digits, or Arabic and spoken digits mixed. Short runs such as
"三五天", "七八个" and idioms such as "三三两两" are left alone.
"""

from __future__ import annotations

import re

from bot.language.text.aligned import AlignedText, map_chars, substitute

SPOKEN_DIGITS: dict[str, str] = {
    "零": "0",
    "〇": "0",
    "○": "0",
    "洞": "0",
    "一": "1",
    "幺": "1",
    "二": "2",
    "两": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "拐": "7",
    "八": "8",
    "九": "9",
    "勾": "9",
}
# Radio-style digits that are ordinary words outside a number.
_WEAK_DIGITS = frozenset("洞拐勾幺两")
MIN_SPOKEN_RUN = 4
IDIOMS = frozenset({"三三两两", "七七八八", "一一二二", "四四方方"})

_DIGIT_CLASS = "0-9" + "".join(SPOKEN_DIGITS)
_RUN = re.compile(rf"[{_DIGIT_CLASS}](?:[ \-][{_DIGIT_CLASS}]|[{_DIGIT_CLASS}])*")
_SPACE_IN_NUMBER = re.compile(r"(?<=[0-9]) (?=[0-9])")


def _qualifies(run: str) -> bool:
    digits = [c for c in run if c not in " -"]
    spoken = [c for c in digits if c in SPOKEN_DIGITS]
    if not spoken:
        return False
    if len(spoken) < len(digits):  # mixed with Arabic digits: certainly a number
        return True
    if "".join(digits) in IDIOMS or len(digits) < MIN_SPOKEN_RUN:
        return False
    strong = [c for c in spoken if c not in _WEAK_DIGITS]
    return len(strong) >= 2


def _convert_run(match: re.Match[str]) -> str:
    run = match.group(0)
    if not _qualifies(run):
        return run
    return "".join(SPOKEN_DIGITS.get(c, c) for c in run)


def spoken_digits_to_arabic(aligned: AlignedText) -> AlignedText:
    """Convert qualifying runs (one character for one) and drop spaces inside numbers."""
    converted = substitute(aligned, _RUN, _convert_run)
    return substitute(converted, _SPACE_IN_NUMBER, lambda _m: "")


def digit_view(text: str) -> str:
    """A same-length view of `text` with every run converted (for matchers)."""
    return map_chars(AlignedText.of(text), lambda t: _RUN.sub(_convert_run, t)).text


def chinese_number_value(word: str) -> int | None:
    """Value of a small Chinese numeral: 三 -> 3, 十二 -> 12, 二十三 -> 23, 两 -> 2."""
    if word.isdigit():
        return int(word)
    values = {k: int(v) for k, v in SPOKEN_DIGITS.items() if k not in "洞拐勾○〇"}
    if not word:
        return None
    if "十" not in word:
        if len(word) == 1 and word in values:
            return values[word]
        return None
    tens, _, units = word.partition("十")
    tens_value = values.get(tens, -1) if tens else 1
    units_value = values.get(units, -1) if units else 0
    if tens_value < 0 or units_value < 0:
        return None
    return tens_value * 10 + units_value
