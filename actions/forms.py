"""The forms: what the caller said, read into slots, checked and normalised.

Every form reads the caller's message the same way (`FormReading`):

- only a message meant for the form is read: one that answers its question, or the
  message that started the form. A form resumed after a digression, a chit-chat
  answer or a calming line asks its question again without reading that message;
- a value the caller states outright (`我姓张`, a phone number, an order number, a
  category word) fills its slot whichever question is pending, so one sentence can
  answer several questions and none is asked again;
- a bare answer (`张`, `明天上午`) only answers the pending question;
- a stated value that differs from an earlier answer replaces it (a correction) and
  is confirmed back; a new phone number is read back again;
- an optional question (hotline.yml `forms.<form>.optional`) can be skipped
  (`订单号找不到了`); a required one is explained (`utter_why_<slot>`) and asked again.

A bad phone number or an impossible time is re-asked (`utter_invalid_*`), never stored.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any, Optional

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.support import dialogue_settings, latest_intent, latest_text, order_number_in, utter
from bot.clock import SystemClock
from bot.config import hotline_config
from bot.conversation import NOT_GIVEN
from bot.dialogue.planner import RESUME_FORM
from bot.language import names
from bot.language.numbers import (
    ANSWER_ORDER_CUES,
    ANSWER_PHONE_CUES,
    group_digits,
    mentions,
    mobile_number,
    phone_candidate,
)
from bot.language.patterns import names_a_place
from bot.language.replies import (
    asks_for_a_visit,
    confirms,
    corrects,
    denies,
    meant_value,
    only_asks_to_complain,
    skipped_subject,
    skips,
)
from bot.language.text.digits import digit_view
from bot.language.text.normalize import normalize_text
from bot.language.timeslots import ANY_TIME, names_a_callback, parse_time_slot
from bot.tickets.phone import PhoneKind, parse_phone

REFUSED_SLOT = "refused_slot"  # the required question the caller declined to answer
REGISTRATION = "action_start_registration"  # actions/registration.py
# The answers of questions asked after the phone read-back: given instead of a yes or
# no, they confirm the number by going on.
ANSWERS_AFTER_READ_BACK = frozenset({"order_number", "caller_address", "callback_time",
                                     "complaint_category"})
# what a caller's account of the problem may name; any other entity is an answer's value
DESCRIBING_ENTITIES = frozenset({"product", "staff_name", "branch", "complaint_category"})
# Questions answered in the caller's own words: the message is the answer even when it
# also states another value (`我姓王，今天送来的冰箱就坏了`), as long as it says more
FREE_TEXT = frozenset({"complaint_description"})
# the words that introduce a stated value, which are no account of anything
_VALUE_CUES = re.compile(r"我姓|姓|我叫|电话|手机|号码|订单号?|单号|是|吧|呢|啊|哦|嗯")
_WORDS = re.compile(r"[\u4e00-\u9fff]")
MIN_ACCOUNT = 4  # Chinese characters beyond the stated values that make an account


def address_form(surname: str, title: Optional[str]) -> str:
    """王先生 / 王女士, or 王先生(女士) while the title is unknown (manual 000:614)."""
    return names.address_form(surname, title, dialogue_settings().default_address)


def given(value: Any) -> bool:
    return value not in (None, "", NOT_GIVEN)


@dataclass(frozen=True)
class CallerMessage:
    """The caller's latest message as the forms read it."""

    text: str  # normalised: Simplified, half-width, spoken digits as digits
    digits: str  # the text with every number as plain digits
    intent: str
    entities: dict[str, str]

    @classmethod
    def of(cls, tracker: Tracker) -> CallerMessage:
        text = normalize_text(latest_text(tracker))
        found: dict[str, list[tuple[tuple[int, int], str]]] = {}
        for entity in (tracker.latest_message or {}).get("entities") or []:
            name, value = entity.get("entity"), entity.get("value")
            if name and value is not None:
                span = (int(entity.get("start") or 0), int(entity.get("end") or 0))
                found.setdefault(str(name), []).append((span, str(value)))
        entities: dict[str, str] = {}
        for name, values in found.items():
            # `我姓张，哦不对，姓章`: the value the caller settles on (the spans are the NLU's,
            # on the normalised text)
            values.sort(key=lambda item: item[0])
            entities[name] = values[meant_value(text, [span for span, _ in values])][1]
        return cls(text=text, digits=digit_view(text), intent=latest_intent(tracker) or "",
                   entities=entities)

    @property
    def declines(self) -> bool:
        return self.intent == "skip" or (self.intent in ("deny", "inform", "nlu_fallback")
                                         and skips(self.text))

    @property
    def corrects(self) -> bool:
        return self.intent == "correct" or corrects(self.text)

    def not_the_phone(self, number: Optional[str]) -> Optional[str]:
        """`number`, unless it is the phone number the message gives (`我姓赵，电话138…`
        when the order number is asked: no order 138… to look up)."""
        return None if number and number == self.entities.get("phone_number") else number

    def says_more_than_values(self) -> bool:
        """`排了一上午的号，轮到我说系统维护` or `我姓王，冰箱坏了`: words beyond the
        values it states, so an account; `我姓王`, `电话138…` are values only."""
        rest = self.text
        for name, value in self.entities.items():
            if name not in DESCRIBING_ENTITIES:  # `冰箱` is part of the account
                rest = rest.replace(value, "")
        rest = _VALUE_CUES.sub("", rest)
        return len(_WORDS.findall(rest)) >= MIN_ACCOUNT

    @property
    def only_describes(self) -> bool:
        """Names nothing but what the problem is about: `不对，是放在快递柜，柜子里没有`
        corrects the story, `不对，是13912345678` an answer."""
        return set(self.entities) <= DESCRIBING_ENTITIES

    @property
    def asks_for_a_visit(self) -> bool:
        """`那你们能不能派人来修一下`: someone to be sent (hotline.yml: a request taken
        down, not an order question), which a complaint keeps with its description."""
        return self.intent in hotline_config().repair.visits and asks_for_a_visit(self.text)


def form_when_caller_spoke(tracker: Tracker) -> Optional[str]:
    """The form that was active when the caller's latest message came."""
    seen_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            seen_user = True
        elif seen_user and kind == "active_loop":
            return event.get("name")
        elif kind in ("session_started", "restart"):
            return None
    return None


def actions_since_caller(tracker: Tracker, form: str) -> list[str]:
    """Actions run since the caller's latest message, without the form's own run
    (Rasa passes its validation action a tracker that ends with the form's run)."""
    names: list[str] = []
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        if event.get("event") == "action":
            names.append(str(event.get("name")))
    names.reverse()
    while names and names[-1] == form:
        names.pop()
    return names


# What may come before the form in the caller's turn without taking the message from
# it: after the calming line, what an angry caller stated outright (`我姓王，都第三次了！`)
# still answers the form (but the outburst is no bare answer to its question).
ACKNOWLEDGEMENTS = frozenset({"action_ladder_angry", "utter_calm_down"})
# Values said before their question that are acknowledged (`utter_noted_<slot>`); a
# phone number is read back instead, a surname shows in how the caller is addressed.
NOTED_OUT_OF_TURN = ("order_number",)


class Reading(Enum):
    ALL = "all"  # stated values and a bare answer to the pending question
    STATED = "stated"  # only values stated outright
    NONE = "none"


def reads_message(tracker: Tracker, form: str) -> Reading:
    """How much of the caller's latest message is meant for the form.

    All of it when the form answers the caller directly, and when the form starts in
    this turn (the message asked for it, and may already answer its questions); only the
    values it states after a calming line; nothing when the form was already active and
    comes back after another action answered the message (a digression, chit-chat), or
    is resumed after a digression's own form took it: it asks its question again.
    """
    since = actions_since_caller(tracker, form)
    if RESUME_FORM in since:
        # back after a digression's own form took the message (`20261101001` for the
        # warranty asked aside): nothing in it is this form's answer
        return Reading.NONE
    if not since or form_when_caller_spoke(tracker) != form:
        return Reading.ALL
    if all(action in ACKNOWLEDGEMENTS for action in since):
        return Reading.STATED
    return Reading.NONE


class FormReading(FormValidationAction):
    """How every form reads the caller (see the module docstring)."""

    @abstractmethod
    def name(self) -> str: ...

    def _optional(self) -> frozenset[str]:
        spec = hotline_config().repair.form(self.form_name())
        return spec.optional if spec else frozenset()

    def _form_intents(self) -> frozenset[str]:
        """The requests this form serves (hotline.yml `forms.<name>.intents`)."""
        spec = hotline_config().repair.form(self.form_name())
        return spec.intents if spec else frozenset()

    # --- reading -----------------------------------------------------------------
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        before = dict(tracker.slots)
        extraction = await self.get_extraction_events(dispatcher, tracker, domain)
        tracker.add_slots(extraction)
        events = await self._extract_validation_events(dispatcher, tracker, domain)
        # A refused required question is asked again, not refused by the form.
        events += [e for e in extraction if e.get("name") == REFUSED_SLOT]
        now = {e.get("name"): e.get("value") for e in events if e.get("event") == "slot"}
        asked = before.get("requested_slot")
        if asked and now.get(asked) is not None and before.get(REFUSED_SLOT) == asked:
            events.append(SlotSet(REFUSED_SLOT, None))  # answered after all
        if asked and not given(now.get(asked)) and before.get(REFUSED_SLOT) != asked:
            # `订单号是20261101003` while the surname is asked: kept, and said so, before
            # the surname question comes again (it sounded as if nobody listened)
            for slot in NOTED_OUT_OF_TURN:
                if slot != asked and given(now.get(slot)) and not given(before.get(slot)):
                    utter(dispatcher, f"utter_noted_{slot}", **{slot: str(now[slot])})
        confirmed = self._corrections_confirmed(domain)
        for slot, value in now.items():
            if (slot in confirmed and given(before.get(slot)) and given(value)
                    and before.get(slot) != value):
                # the corrected value, and how the caller is now addressed
                values = {slot: str(value), **{key: str(now[key]) for key in
                                               ("address_as", "phone_display")
                                               if given(now.get(key))}}
                utter(dispatcher, f"utter_corrected_{slot}", **values)
        return events

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker,
                                             domain)
        wanted = list(dict.fromkeys([*required, *self.readable_slots(domain)]))
        requested = tracker.get_slot("requested_slot") if tracker.active_loop_name else None
        values: dict[str, Any] = {}
        reading = reads_message(tracker, self.form_name())
        if reading is not Reading.NONE:
            message = CallerMessage.of(tracker)
            for slot in wanted:
                stated = self.stated(slot, message, tracker)
                current = tracker.get_slot(slot)
                if stated is None or stated == current:
                    continue
                # another number where the read-back asks "is it X?" answers it: no, this one
                answers_read_back = slot == "phone_number" and requested == "phone_confirmed"
                if (not given(current) or slot == requested or answers_read_back
                        or (message.corrects and slot in CORRECTABLE)):
                    values[slot] = stated
            # A bare answer is read only from a message that states nothing else
            # (`我姓王` is no callback time, `不对，是139…` no answer to the pending one).
            if (reading is Reading.ALL and requested and requested in wanted
                    and requested not in values  # `服务态度` stated: no bare `other`
                    and (not CORRECTABLE.intersection(values)
                         or (requested in FREE_TEXT and not message.corrects
                             and message.says_more_than_values()))):
                values.update(self._answer(requested, message, tracker, dispatcher))
            if (requested == "phone_confirmed" and set(values) & ANSWERS_AFTER_READ_BACK
                    and "phone_confirmed" not in values and "phone_number" not in values
                    and not message.declines and not denies(message.text)):
                # the read-back answered by going on to a later question (`北京市朝阳区建国路
                # 88号`, `明天上午`): the number stands, as a person on the line would take
                # it, instead of the same read-back again (a surname, asked before the
                # number, is no going on)
                values["phone_confirmed"] = True
        offered = tracker.get_slot("caller_phone")
        if ("phone_confirmed" in wanted and offered and not tracker.get_slot("phone_number")
                and "phone_number" not in values and requested in (None, "surname")):
            # the line's own number, read back to confirm (a form with a read-back)
            values["phone_number"] = offered
        return [SlotSet(slot, value) for slot, value in values.items()]

    def readable_slots(self, domain: DomainDict) -> list[str]:
        """Every slot a message may fill, whether or not the form needs it yet."""
        return self.domain_slots(domain)

    def _corrections_confirmed(self, domain: DomainDict) -> frozenset[str]:
        """A corrected phone is confirmed by its read-back where the form has one."""
        if "phone_confirmed" in self.domain_slots(domain):
            return CONFIRMED_CORRECTIONS - {"phone_number"}
        return CONFIRMED_CORRECTIONS

    def _answer(self, slot: str, message: CallerMessage, tracker: Tracker,
                dispatcher: CollectingDispatcher) -> dict[str, Any]:
        """A bare answer to the pending question, a skip, or a refusal explained."""
        if slot != "phone_confirmed" and message.declines:
            other = skipped_subject(message.text)
            if other and other != slot and other in self._optional():
                # `订单号我忘了` while the surname is asked: that question is skipped before
                # it comes, this one is asked again
                utter(dispatcher, "utter_skip_ack")
                return {other: NOT_GIVEN}
            if slot in self._optional():
                utter(dispatcher, "utter_skip_ack")
                return {slot: NOT_GIVEN}
            utter(dispatcher, f"utter_why_{slot}")
            return {REFUSED_SLOT: slot}  # not a value: the question is asked again
        bare = self.bare(slot, message, tracker)
        if bare is None and (message.intent in self._form_intents() or message.corrects
                             or message.asks_for_a_visit):
            # `好的，继续投诉吧` after a digression (the caller wants the form to go on), or
            # a correction of an earlier answer (`我姓欧阳不是欧`): no answer and no skip
            # of the pending question, which is asked again. So is a visit asked for
            # (`派人来修一下`), which a complaint keeps as more detail.
            return {}
        if bare is None and slot in self._optional():
            if message.intent in hotline_config().repair.go_ahead and not message.entities:
                return {}  # a bare `嗯` is no answer yet: not understood, asked again
            return {slot: NOT_GIVEN}  # an optional question is not asked twice
        return {slot: bare} if bare is not None else {}

    def stated(self, slot: str, message: CallerMessage, tracker: Tracker) -> Any:
        """A value for `slot` said outright in the message, or None."""
        reader = getattr(self, f"stated_{slot}", None)
        return reader(message, tracker) if reader else None

    def bare(self, slot: str, message: CallerMessage, tracker: Tracker) -> Any:
        """The message as the bare answer to `slot`'s question, or None."""
        reader = getattr(self, f"bare_{slot}", None)
        return reader(message, tracker) if reader else None

    # --- surname -------------------------------------------------------------------
    def stated_surname(self, message: CallerMessage, tracker: Tracker) -> Optional[str]:
        entity = message.entities.get("surname")
        if entity or not message.corrects:
            return entity
        return names.corrected_surname(message.text)  # `我说错了，是李`

    def bare_surname(self, message: CallerMessage, tracker: Tracker) -> Optional[str]:
        return names.bare_surname(message.text)

    def validate_surname(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == NOT_GIVEN:
            return {"surname": NOT_GIVEN}
        surname = str(value or "").strip()[:2]
        if not names.is_surname(surname):
            return {"surname": None}
        message = CallerMessage.of(tracker)
        title = message.entities.get("title") or names.title_in(message.text)
        title = names.addressing_title(title or tracker.get_slot("title"))
        return {"surname": surname, "title": title, "address_as": address_form(surname, title)}

    # --- phone and its read-back ------------------------------------------------------
    def stated_phone_number(self, message: CallerMessage, tracker: Tracker) -> Optional[str]:
        entity = message.entities.get("phone_number")
        if entity:
            return entity
        mobile = mobile_number(message.digits)
        if mobile:
            return mobile
        if mentions(message.text, ANSWER_PHONE_CUES):
            return phone_candidate(message.digits)
        return None

    def bare_phone_number(self, message: CallerMessage, tracker: Tracker) -> Optional[str]:
        return phone_candidate(message.digits)

    def validate_phone_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        phone = parse_phone(digit_view(normalize_text(str(value or ""))))
        if phone is None or phone.kind is PhoneKind.SERVICE:
            utter(dispatcher, "utter_invalid_phone")
            return {"phone_number": None}
        confirmed = tracker.get_slot("phone_confirmed")
        if tracker.get_slot("phone_confirmed_for") != phone.digits:
            confirmed = None  # a new number is read back again
        return {"phone_number": phone.digits, "phone_display": group_digits(phone.digits),
                "phone_confirmed": confirmed}

    def bare_phone_confirmed(self, message: CallerMessage, tracker: Tracker) -> Optional[bool]:
        phone = tracker.get_slot("phone_number")
        said = phone_candidate(message.digits)
        if said:
            number = parse_phone(said)
            if number is not None and number.digits == phone:
                return True  # the caller said the same number again
            return None  # another number: read as a correction of the phone (stated)
        if message.intent == "deny" or denies(message.text):
            return False
        if message.intent == "affirm" or confirms(message.text):
            return True
        return None

    def validate_phone_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is True:
            return {"phone_confirmed": True,
                    "phone_confirmed_for": tracker.get_slot("phone_number")}
        if value is None:
            return {"phone_confirmed": None}
        # Denied: ask for the number again.
        return {"phone_confirmed": None, "phone_number": None, "phone_display": None,
                "phone_confirmed_for": None}

    # --- callback time ---------------------------------------------------------------
    def stated_callback_time(self, message: CallerMessage, tracker: Tracker) -> Optional[str]:
        return message.entities.get("time_slot")

    def bare_callback_time(self, message: CallerMessage, tracker: Tracker) -> Optional[str]:
        return message.text or None

    def validate_callback_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == NOT_GIVEN:
            return {"callback_time": NOT_GIVEN}
        now = SystemClock().now()
        parsed = parse_time_slot(str(value or ""), now)
        if parsed == ANY_TIME:
            return {"callback_time": str(value)[:100]}
        if parsed is None or not isinstance(parsed, type(now)):
            # no time in it (`好的那继续吧`): not understood, rather than "that time
            # cannot be arranged", which is for a time said that is gone or too far
            utter(dispatcher, "utter_nomatch_in_form")
            return {"callback_time": None}
        ahead = timedelta(days=hotline_config().callbacks.max_days_ahead)
        if parsed < now - timedelta(hours=1) or parsed > now + ahead:
            utter(dispatcher, "utter_invalid_callback_time")
            return {"callback_time": None}
        return {"callback_time": str(value)[:100]}

    # --- order number ----------------------------------------------------------------
    def stated_order_number(self, message: CallerMessage, tracker: Tracker) -> Optional[str]:
        entity = message.entities.get("order_number")
        if entity:
            return entity
        if mentions(message.text, ANSWER_ORDER_CUES):
            return message.not_the_phone(order_number_in(message.text))
        return None

    def bare_order_number(self, message: CallerMessage, tracker: Tracker) -> Optional[str]:
        return message.not_the_phone(order_number_in(message.text))


# Answers a caller may correct by stating them again (`不对，是…`), and those whose
# correction is confirmed with `utter_corrected_<slot>` (a new phone is read back).
CORRECTABLE = frozenset({"surname", "phone_number", "order_number", "callback_time",
                         "caller_address", "ticket_number"})
CONFIRMED_CORRECTIONS = frozenset({"surname", "phone_number", "order_number", "callback_time",
                                   "caller_address"})


class ValidateComplaintForm(FormReading):
    def name(self) -> str:
        return "validate_complaint_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """The domain's slots, plus order number / address where the category needs them
        or the caller has already given them (`订单号是…` before the category is known:
        kept for the ticket, not dropped as a slot this complaint has no use for)."""
        category = tracker.get_slot("complaint_category")
        extra = [*(hotline_config().complaints.extra_slots.get(category) or ()),
                 *(slot for slot in self.readable_slots(domain)
                   if slot not in domain_slots and given(tracker.get_slot(slot)))]
        slots = list(domain_slots)
        position = slots.index("callback_time") if "callback_time" in slots else len(slots)
        for slot in extra:
            if slot not in slots:
                slots.insert(position, slot)
                position += 1
        return slots

    def readable_slots(self, domain: DomainDict) -> list[str]:
        extra = hotline_config().complaints.extra_slots.values()
        return list(dict.fromkeys([*self.domain_slots(domain),
                                   *(slot for slots in extra for slot in slots or [])]))

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events = await super().get_extraction_events(dispatcher, tracker, domain)
        message = CallerMessage.of(tracker)
        detail = self._more_detail(tracker, message, events)
        if detail is not None:
            # `他把包裹直接扔在门口，东西都摔坏了` while the surname is asked: more about the
            # problem, not a failed answer; kept with the description, said so, and the
            # pending question comes again
            utter(dispatcher,
                  "utter_visit_noted" if message.asks_for_a_visit else "utter_detail_noted")
            events.append(SlotSet("complaint_description", detail))
        return events

    def _more_detail(self, tracker: Tracker, message: CallerMessage,
                     events: list[EventType]) -> Optional[str]:
        """The description with the caller's latest message added, when that message
        says more about the problem while another question is pending and answers none."""
        requested = tracker.get_slot("requested_slot")
        described = tracker.get_slot("complaint_description")
        if (events or not given(described) or requested in (None, "complaint_description")
                or reads_message(tracker, self.form_name()) is not Reading.ALL):
            return None
        if ((message.intent not in self._form_intents() and not message.asks_for_a_visit)
                or message.declines or (message.corrects and not message.only_describes)):
            return None
        said = latest_text(tracker).strip()
        if len(said) < 4 or said in str(described):
            return None
        return f"{described};{said}"[:2000]

    def stated_complaint_description(self, message: CallerMessage,
                                     tracker: Tracker) -> Optional[str]:
        """The message that started the complaint, when it says what happened."""
        started_now = form_when_caller_spoke(tracker) != self.form_name()
        said = latest_text(tracker).strip()
        if (not started_now or said.startswith("/") or only_asks_to_complain(message.text)
                or REGISTRATION in actions_since_caller(tracker, self.form_name())):
            # a keypad or button payload says nothing about what happened, nor does a
            # yes to an offer to take a repair down (`好的，帮我登记一下`)
            return None
        return latest_text(tracker) if len(message.text) >= 4 else None

    def stated_callback_time(self, message: CallerMessage, tracker: Tracker) -> Optional[str]:
        """A time in the account of the problem (the message that starts the complaint,
        the answer to the description question) is when it happened (`今天下午送来的冰箱
        就坏了`), unless the caller says it is when to be called (`明天上午给我回电话`)."""
        telling = (form_when_caller_spoke(tracker) != self.form_name()
                   or tracker.get_slot("requested_slot") in FREE_TEXT)
        if telling and not names_a_callback(message.text):
            return None
        return super().stated_callback_time(message, tracker)

    def bare_complaint_description(self, message: CallerMessage,
                                   tracker: Tracker) -> Optional[str]:
        return latest_text(tracker)

    def validate_complaint_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        return {"complaint_description": text[:2000] if len(text) >= 2 else None}

    def stated_complaint_category(self, message: CallerMessage,
                                  tracker: Tracker) -> Optional[str]:
        entity = message.entities.get("complaint_category")
        if entity:
            return entity
        return hotline_config().complaints.category_of(message.text)

    def bare_complaint_category(self, message: CallerMessage, tracker: Tracker) -> str:
        return "other"

    def validate_complaint_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        known = hotline_config().complaint_categories
        return {"complaint_category": value if value in known else "other"}

    def stated_caller_address(self, message: CallerMessage, tracker: Tracker) -> Optional[str]:
        return message.entities.get("address")

    def bare_caller_address(self, message: CallerMessage, tracker: Tracker) -> Optional[str]:
        text = latest_text(tracker).strip()
        return text[:200] if names_a_place(message.text) else None


class ValidateCallbackForm(FormReading):
    def name(self) -> str:
        return "validate_callback_form"
