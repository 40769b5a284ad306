"""Validation of the complaint and callback forms: what the caller said, checked and normalised.

A bad phone number or an impossible time is re-asked (with the domain's
`utter_invalid_*` line), never stored.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from datetime import timedelta
from typing import Any, Optional

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.support import (
    dialogue_setting,
    latest_intent,
    latest_text,
    order_number_in,
    utter,
)
from bot.clock import SystemClock
from bot.config import hotline_config
from bot.text.digits import digit_view
from bot.text.normalize import normalize_text
from bot.tickets.phone import PhoneKind, parse_phone
from bot.timeslots import ANY_TIME, parse_time_slot

SURNAME_PATTERN = re.compile(
    r"(?:我姓|免贵姓|姓)([\u4e00-\u9fff]{1,2}?)(?:[,，。 ]|先生|女士|小姐|$)"
)
TITLE_PATTERN = re.compile(r"(先生|女士|小姐)")
NOT_GIVEN = "none"  # the slot value when the caller has no order number at hand
PHONE_CANDIDATE = re.compile(r"(?:\+?86)?[0-9][0-9\-]{6,14}[0-9]")
MAX_CALLBACK_DAYS = 30

def group_digits(digits: str) -> str:
    """Read-back form of a number: 138 1234 5678 / 010 1234 5678."""
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if digits.startswith("0") and len(digits) >= 10:
        area = 3 if digits[1] in "12" else 4
        return f"{digits[:area]} {digits[area:]}"
    return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))


def address_form(surname: str, title: Optional[str]) -> str:
    """王先生 / 王女士, or 王先生(女士) while the title is unknown (manual 000:614)."""
    if title in ("先生", "女士"):
        return f"{surname}{title}"
    return f"{surname}{dialogue_setting('default_address', '先生(女士)')}"


class CommonContactValidation(FormValidationAction):
    """Surname, phone (confirmed back) and callback time: shared by both forms."""

    @abstractmethod
    def name(self) -> str: ...

    def _requested(self, tracker: Tracker) -> Optional[str]:
        return tracker.get_slot("requested_slot")

    async def extract_surname(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self._requested(tracker) != "surname" or tracker.get_slot("surname"):
            return {}
        text = normalize_text(latest_text(tracker))
        match = SURNAME_PATTERN.search(text)
        if match:
            return {"surname": match.group(1)}
        bare = re.sub(r"[^\u4e00-\u9fff]", "", text)
        if 1 <= len(bare) <= 2:
            return {"surname": bare[0]}
        return {}

    def validate_surname(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        surname = str(value or "").strip()[:2]
        if not re.fullmatch(r"[\u4e00-\u9fff]{1,2}", surname):
            return {"surname": None}
        title_match = TITLE_PATTERN.search(latest_text(tracker))
        title = tracker.get_slot("title") or (title_match.group(1) if title_match else None)
        if title == "小姐":
            title = "女士"
        return {"surname": surname, "title": title, "address_as": address_form(surname, title)}

    async def extract_phone_number(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("phone_number") or tracker.get_slot("phone_confirmed") is False:
            return {}
        caller_phone = tracker.get_slot("caller_phone")
        if caller_phone and tracker.get_slot("requested_slot") in (None, "surname"):
            # The line's own number is offered first; the caller confirms or corrects it.
            return {"phone_number": caller_phone}
        if self._requested(tracker) != "phone_number":
            return {}
        match = PHONE_CANDIDATE.search(digit_view(normalize_text(latest_text(tracker))))
        return {"phone_number": match.group(0)} if match else {}

    def validate_phone_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        phone = parse_phone(digit_view(normalize_text(str(value or ""))))
        if phone is None or phone.kind is PhoneKind.SERVICE:
            utter(dispatcher, "utter_invalid_phone")
            return {"phone_number": None}
        return {"phone_number": phone.digits, "phone_display": group_digits(phone.digits)}

    async def extract_phone_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self._requested(tracker) != "phone_confirmed":
            return {}
        intent = latest_intent(tracker)
        if intent == "affirm":
            return {"phone_confirmed": True}
        if intent == "deny":
            return {"phone_confirmed": False}
        # A corrected number instead of yes/no: take it and confirm again.
        match = PHONE_CANDIDATE.search(digit_view(normalize_text(latest_text(tracker))))
        if match:
            validated = self.validate_phone_number(match.group(0), dispatcher, tracker, domain)
            if validated.get("phone_number"):
                return {**validated, "phone_confirmed": None}
        return {}

    def validate_phone_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is True:
            return {"phone_confirmed": True}
        # Denied: ask for the number again.
        return {"phone_confirmed": None, "phone_number": None, "phone_display": None}

    async def extract_callback_time(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self._requested(tracker) != "callback_time" or tracker.get_slot("callback_time"):
            return {}
        return {"callback_time": latest_text(tracker)}

    def validate_callback_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        now = SystemClock().now()
        parsed = parse_time_slot(str(value or ""), now)
        if parsed == ANY_TIME:
            return {"callback_time": str(value)[:100]}
        if parsed is None or not isinstance(parsed, type(now)):
            utter(dispatcher, "utter_invalid_callback_time")
            return {"callback_time": None}
        if parsed < now - timedelta(hours=1) or parsed > now + timedelta(days=MAX_CALLBACK_DAYS):
            utter(dispatcher, "utter_invalid_callback_time")
            return {"callback_time": None}
        return {"callback_time": str(value)[:100]}


class ValidateComplaintForm(CommonContactValidation):
    def name(self) -> str:
        return "validate_complaint_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """The domain's slots, plus order number / address where the category needs them."""
        category = tracker.get_slot("complaint_category")
        extra = hotline_config().section("complaint_extra_slots").get(category) or []
        slots = list(domain_slots)
        position = slots.index("callback_time") if "callback_time" in slots else len(slots)
        for slot in extra:
            if slot not in slots:
                slots.insert(position, slot)
                position += 1
        return slots

    async def extract_order_number(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self._requested(tracker) != "order_number" or tracker.get_slot("order_number"):
            return {}
        entity = next(tracker.get_latest_entity_values("order_number"), None)
        if entity:
            return {"order_number": entity}
        keyed = order_number_in(latest_text(tracker))
        if keyed:
            return {"order_number": keyed}
        # The order number is optional: an answer without one ("没有", "记不清了") moves on.
        return {"order_number": NOT_GIVEN}

    async def extract_caller_address(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self._requested(tracker) != "caller_address" or tracker.get_slot("caller_address"):
            return {}
        entity = next(tracker.get_latest_entity_values("address"), None)
        text = latest_text(tracker).strip()
        return {"caller_address": (entity or text)[:200]} if (entity or text) else {}

    async def extract_complaint_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("complaint_description"):
            return {}
        requested = self._requested(tracker)
        if requested == "complaint_description" or latest_intent(tracker) == "complaint":
            # The caller's own words are the description (let them finish: HOTLINE_SPEC 3).
            return {"complaint_description": latest_text(tracker)}
        return {}

    def validate_complaint_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        return {"complaint_description": text[:2000] if len(text) >= 2 else None}

    async def extract_complaint_category(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("complaint_category"):
            return {}
        entity = next(tracker.get_latest_entity_values("complaint_category"), None)
        if entity:
            return {"complaint_category": entity}
        text = normalize_text(latest_text(tracker))
        for category, words in hotline_config().section("complaint_category_words").items():
            if any(str(word) in text for word in words or []):
                return {"complaint_category": category}
        if self._requested(tracker) == "complaint_category":
            return {"complaint_category": "other"}
        return {}

    def validate_complaint_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        known = hotline_config().complaint_categories
        return {"complaint_category": value if value in known else "other"}


class ValidateCallbackForm(CommonContactValidation):
    def name(self) -> str:
        return "validate_callback_form"

