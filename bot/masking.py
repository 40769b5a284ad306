"""Masking of personal numbers in transcripts shown to agents and in logs: keep only the
last 4 digits.

One function for logs, transcripts and the agent tools. It recognises mainland
mobile and landline numbers, 18-digit ID-card numbers and 12-19 digit bank-card
numbers, including ones written with spaces or dashes between digit groups.
"""

from __future__ import annotations

import re

# A run of digits, optionally grouped by single spaces or dashes, possibly ending in X (ID cards).
_NUMBER_RUN = re.compile(r"(?<![0-9A-Za-z])(?:\d[\d\- ]{5,30}\d[Xx]?|\d{7,}[Xx]?)(?![0-9A-Za-z])")


def _mask_run(match: re.Match[str]) -> str:
    run = match.group(0)
    digits = [c for c in run if c.isdigit() or c in "Xx"]
    if len(digits) < 7:  # short numbers (amounts, times) are not personal data
        return run
    keep = 4
    masked_total = len(digits) - keep
    seen = 0
    out = []
    for char in run:
        if char.isdigit() or char in "Xx":
            out.append("*" if seen < masked_total else char)
            seen += 1
        else:
            out.append(char)
    return "".join(out)


def mask_sensitive(text: str) -> str:
    """Mask phone, ID-card and bank-card numbers in free text, keeping the last 4 digits."""
    if not text:
        return text
    return _NUMBER_RUN.sub(_mask_run, text)


def mask_number(number: str) -> str:
    """Mask a single number value (e.g. a phone slot) keeping the last 4 digits."""
    digits = re.sub(r"\D", "", number or "")
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]
