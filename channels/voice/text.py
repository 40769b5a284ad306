"""Text in both directions: what may be spoken to a caller, what a caller's input may be.

Rasa's own emoji pattern (`rasa.utils.io.get_emoji_regex`) covers U+24C2..U+1F251,
which includes every CJK character, so it must not be used on Chinese text;
this module matches Unicode's Extended_Pictographic property instead.
"""

from __future__ import annotations

import unicodedata

import regex

from bot.language.text.digits import SPOKEN_DIGITS
from bot.masking import mask_number

_EMOJI = regex.compile(
    r"[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}\u200d\ufe0f\u20e3]+"
)
_MARKDOWN_LINK = regex.compile(r"\[([^\]]*)\]\((?:https?://|www\.)[^)]*\)")
_URL = regex.compile(r"(?:https?://|www\.)[^\s\u3000-\u303f\uff00-\uffef]+")
_MARKUP = regex.compile(r"[*_`#>]+")
_SPACES = regex.compile(r"[ \t\r\n\u3000]+")
_CONTROL = regex.compile(r"[\p{Cc}\p{Cf}\p{Co}\p{Cs}]")
_DIGITS_ONLY = regex.compile(r"[^0-9*#]")


def strip_emoji(text: str) -> str:
    return _EMOJI.sub("", text)


def voice_text(text: str | None) -> str:
    """The spoken form of a bot message: no emoji, links, markup or layout."""
    if not text:
        return ""
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = strip_emoji(text)
    text = _MARKUP.sub("", text)
    return _SPACES.sub(" ", text).strip()


def sanitize_speech(text: str | None, max_chars: int) -> tuple[str, bool]:
    """A caller's transcript as dialogue input, and whether it was truncated.

    Control characters go; a leading "/" goes too, so recognised speech can
    never pose as an intent payload (`/request_human`).
    """
    if not text:
        return "", False
    text = _CONTROL.sub("", unicodedata.normalize("NFKC", text))
    text = _SPACES.sub(" ", text).strip().lstrip("/").strip()
    if len(text) > max_chars:
        return text[:max_chars], True
    return text, False


def sanitize_digits(digits: str | None, max_len: int = 32) -> str:
    return _DIGITS_ONLY.sub("", digits or "")[:max_len]




def compact(text: str) -> str:
    """Letters and digits only, for phrase matching ("听 不 清!" ~ "听不清")."""
    return "".join(char for char in unicodedata.normalize("NFKC", text) if char.isalnum())


def masked(number: str | None) -> str:
    """A phone number for logs: the last 4 digits only."""
    return mask_number(number or "") or "-"


# `1`, `一`, `幺`, `按1`, `按一号键`: a key said instead of pressed
_SPOKEN_KEY = regex.compile(
    r"^(?:我)?(?:按|摁|选)?([0-9零一幺二两三四五六七八九])(?:号)?(?:键)?(?:吧)?$")


def spoken_key(text: str) -> str | None:
    """The key a caller says instead of pressing it, or None."""
    match = _SPOKEN_KEY.match(compact(text))
    if not match:
        return None
    return SPOKEN_DIGITS.get(match.group(1), match.group(1))
