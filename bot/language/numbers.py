"""Phone, order and ticket numbers in what callers say.

The NLU entity extractor finds them with a blank Chinese spaCy pipeline (`find_numbers`,
below); the forms read an answer with the simpler rules at the end of this module (a
number said where one was asked for needs no cue word), and read phone numbers back in
groups (`group_digits`).

The text is first viewed with Arabic half-width digits (same length, so the
offsets stay valid): "幺三八…" and "１３８…" read like "138…". spaCy's
character segmenter makes one token per character; a `Matcher` finds digit
runs (with dashes/brackets inside) and tickets (`T` + 12 digits), and a
`PhraseMatcher` finds the cue words ("电话", "订单号", "工单号"…) that decide
what an ambiguous run is. The classification rules live in `classify`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from bot.language.spans import EntitySpan, drop_overlaps
from bot.language.text.digits import digit_view
from bot.language.text.normalize import normalize_text
from bot.language.text.width import to_half_width

PHONE_CUES = ("电话", "手机", "号码", "座机", "联系方式", "回电", "打给我", "联系我", "来电")
ORDER_CUES = ("订单", "单号", "订单号", "运单", "快递单", "购买记录")
TICKET_CUES = ("工单", "投诉单", "受理单", "投诉编号", "受理号", "登记号", "工单号")
CUE_WINDOW = 12  # characters before a number in which a cue counts

_MOBILE = re.compile(r"^(?:86)?(1[3-9]\d{9})$")
_LANDLINE = re.compile(r"^\(?(0\d{2,3})\)?-?(\d{7,8})$")


@dataclass(frozen=True)
class NumberRules:
    """Tunable formats (component config), so a company can change them without code."""

    order_min_digits: int = 8
    order_max_digits: int = 24
    bare_order_min_digits: int = 12
    ticket_prefix: str = "T"
    ticket_digits: int = 12
    cues: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("phone_number", PHONE_CUES),
        ("order_number", ORDER_CUES),
        ("ticket_number", TICKET_CUES),
    )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> NumberRules:
        """Rules from component config; `phone_cues`/`order_cues`/`ticket_cues` replace
        the default cue words of one entity."""
        known = {k: config[k] for k in cls.__dataclass_fields__ if k in config and k != "cues"}
        cues = tuple(
            (entity, tuple(config.get(f"{entity.split('_')[0]}_cues") or words))
            for entity, words in cls.cues
        )
        return cls(**known, cues=cues)


@lru_cache(maxsize=1)
def _nlp() -> Any:
    import spacy

    return spacy.blank("zh")  # character segmenter: no model, no download


@lru_cache(maxsize=4)
def _matchers(rules: NumberRules) -> tuple[Any, Any]:
    from spacy.matcher import Matcher, PhraseMatcher

    nlp = _nlp()
    matcher = Matcher(nlp.vocab)
    matcher.add(
        "TICKET",
        [[{"LOWER": rules.ticket_prefix.lower()},
          {"TEXT": {"REGEX": r"^\d$"}, "OP": f"{{{rules.ticket_digits}}}"}]],
    )
    matcher.add(
        "DIGITS",
        [[{"TEXT": {"REGEX": r"^[\d(+]$"}},
          {"TEXT": {"REGEX": r"^[\d()\-]$"}, "OP": "*"},
          {"TEXT": {"REGEX": r"^\d$"}}]],
        greedy="LONGEST",
    )
    cues = PhraseMatcher(nlp.vocab)
    for label, words in rules.cues:
        cues.add(label, [nlp.make_doc(w) for w in words])
    return matcher, cues


def _valid_date(digits: str) -> bool:
    try:
        date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return 2000 <= int(digits[:4]) <= 2099


def _landline(raw: str) -> str | None:
    """'010-88886666' / '(0755)12345678'; without a separator the area code is
    3 digits for 010 and 02x, 4 digits otherwise."""
    match = _LANDLINE.match(raw)
    if match and ("-" in raw or "(" in raw):
        return f"{match.group(1)}-{match.group(2)}"
    digits = re.sub(r"\D", "", raw)
    if len(digits) < 10 or not digits.startswith("0") or digits.startswith("00"):
        return None  # shortest landline: 3-digit area code + 7 digits
    area = digits[:3] if digits[1] in "12" else digits[:4]
    local = digits[len(area):]
    if 7 <= len(local) <= 8 and len(area) + len(local) == len(digits):
        return f"{area}-{local}"
    return None


def classify(raw: str, cue: str | None, rules: NumberRules) -> tuple[str, str] | None:
    """(entity, value) for a digit run, given the nearest cue before it."""
    digits = re.sub(r"\D", "", raw)
    is_ticket_like = len(digits) == rules.ticket_digits and _valid_date(digits)
    if cue == "ticket_number" and is_ticket_like:
        return "ticket_number", rules.ticket_prefix + digits
    mobile = _MOBILE.match(digits)
    if mobile and cue != "order_number":
        return "phone_number", mobile.group(1)
    if cue != "order_number":
        landline = _landline(raw.lstrip("+"))
        if landline and (cue == "phone_number" or "-" in raw or "(" in raw or len(digits) <= 12):
            return "phone_number", landline
    if cue == "order_number" and rules.order_min_digits <= len(digits) <= rules.order_max_digits:
        return "order_number", digits
    if cue is None and rules.bare_order_min_digits <= len(digits) <= rules.order_max_digits:
        return "order_number", digits
    return None


def find_numbers(text: str, rules: NumberRules | None = None) -> list[EntitySpan]:
    """All phone/order/ticket numbers in `text` (offsets refer to `text`)."""
    rules = rules or NumberRules()
    view = digit_view(to_half_width(text))
    if not any(c.isdigit() for c in view):
        return []
    nlp = _nlp()
    matcher, cue_matcher = _matchers(rules)
    doc = nlp.make_doc(view)
    cue_spans = [(nlp.vocab.strings[m], doc[s:e].start_char, doc[s:e].end_char)
                 for m, s, e in cue_matcher(doc)]
    found: list[EntitySpan] = []
    for match_id, start, end in matcher(doc):
        span = doc[start:end]
        if nlp.vocab.strings[match_id] == "TICKET":
            digits = span.text[1:]
            if _valid_date(digits):
                found.append(EntitySpan("ticket_number", span.start_char, span.end_char,
                                        rules.ticket_prefix + digits))
            continue
        if span.start_char and view[span.start_char - 1].lower() == rules.ticket_prefix.lower():
            continue  # "T" + digits that are not a valid ticket: not an order number either
        cue = _nearest_cue(cue_spans, span.start_char)
        result = classify(span.text, cue, rules)
        if result:
            found.append(EntitySpan(result[0], span.start_char, span.end_char, result[1]))
    return drop_overlaps(found)


def _nearest_cue(cues: list[tuple[str, int, int]], position: int) -> str | None:
    before = [(end, label) for label, _start, end in cues
              if end <= position and position - end <= CUE_WINDOW]
    return max(before)[1] if before else None


# --- numbers in a form's answer ---------------------------------------------------
# The forms read digit views of normalised text (bot/language/text: digit_view).
_PHONE_CANDIDATE = re.compile(r"(?:\+?86)?[0-9][0-9\-]{6,14}[0-9]")
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_TICKET_IN_TEXT = re.compile(r"T?\s*(\d{12})")
_ORDER_CANDIDATE = re.compile(r"[A-Za-z]{0,3}\d{8,20}")
# Words that say a number in an answer is a phone, an order or a ticket number.
ANSWER_PHONE_CUES = ("电话", "手机", "号码", "打这个", "联系方式")
ANSWER_ORDER_CUES = ("订单", "单号")
ANSWER_TICKET_CUES = ("工单", "单号", "投诉单")


def phone_candidate(digits: str) -> str | None:
    """The first run that could be a phone number (landline, mobile, with +86)."""
    match = _PHONE_CANDIDATE.search(digits)
    return match.group(0) if match else None


def mobile_number(digits: str) -> str | None:
    """A mobile number said outright (needs no cue word)."""
    match = _MOBILE_IN_TEXT.search(digits)
    return match.group(0) if match else None


def ticket_number_in(digits: str) -> str | None:
    """A ticket number (`T` + 12 digits, the `T` may be missing or spoken apart)."""
    match = _TICKET_IN_TEXT.search(digits.upper())
    return f"T{match.group(1)}" if match else None


def order_number_in(text: str) -> str | None:
    """An order number read out or keyed in (spoken and full-width digits included)."""
    match = _ORDER_CANDIDATE.search(digit_view(normalize_text(text or "")))
    return match.group(0) if match else None


def mentions(text: str, cues: tuple[str, ...]) -> bool:
    return any(cue in text for cue in cues)


def group_digits(digits: str) -> str:
    """Read-back form of a number: 138 1234 5678 / 010 1234 5678."""
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if digits.startswith("0") and len(digits) >= 10:
        area = 3 if digits[1] in "12" else 4
        return f"{digits[:area]} {digits[area:]}"
    return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))
