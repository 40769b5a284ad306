"""Chinese phone numbers: validation and the canonical form used as an index key.

Accepted (after NFKC, so full-width digits work, and without spaces/dots/brackets):
- mainland mobile `1[3-9]\\d{9}`, optionally prefixed by +86 / 0086 / 86;
- landline `0\\d{2,3}-?\\d{7,8}` (area code + number);
- service numbers 400/800 `[48]00-?\\d{3}-?\\d{4}`.
The canonical form is digits only (landline keeps its leading 0).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum


class PhoneKind(str, Enum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    SERVICE = "service"  # 400 / 800


_MOBILE = re.compile(r"^(?:\+?86|0086)?(1[3-9]\d{9})$")
_LANDLINE = re.compile(r"^(0\d{2,3})-?(\d{7,8})$")
_SERVICE = re.compile(r"^([48]00)-?(\d{3})-?(\d{4})$")
_SEPARATORS = re.compile(r"[\s.()\u00a0]")


@dataclass(frozen=True)
class PhoneNumber:
    digits: str
    kind: PhoneKind

    @property
    def last4(self) -> str:
        return self.digits[-4:]


def parse_phone(raw: str) -> PhoneNumber | None:
    """The number in `raw`, or None when it is not a valid Chinese number."""
    cleaned = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    mobile = _MOBILE.match(cleaned.replace("-", ""))
    if mobile:
        return PhoneNumber(mobile.group(1), PhoneKind.MOBILE)
    service = _SERVICE.match(cleaned)
    if service:
        return PhoneNumber("".join(service.groups()), PhoneKind.SERVICE)
    landline = _LANDLINE.match(cleaned)
    if landline:
        return PhoneNumber("".join(landline.groups()), PhoneKind.LANDLINE)
    return None


def normalize_phone(raw: str) -> str | None:
    """Canonical digits of a valid number, else None."""
    parsed = parse_phone(raw)
    return None if parsed is None else parsed.digits


def mask_phone(digits: str) -> str:
    """For logs: everything but the last 4 digits masked (numbers never appear whole)."""
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]
