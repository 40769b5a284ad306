"""Find tickets and conversations: by the caller's last 4 digits (or whole number), a ticket
number, a conversation id, a date range (company days), channel, status and category.

Tickets come from the Redis ticket store's creation index (`hotline:tickets:created`,
newest first, at most `SCAN_LIMIT` in the date range); conversations from the ended
conversations' index (`hotline:outcomes:ended`) and the hand-off records, which also hold
the caller's masked number; a conversation's tickets (and their numbers) link both ways.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import redis

from bot.handoffs import HANDOFF_KEY
from bot.masking import mask_number
from bot.outcomes import ENDED_INDEX, OUTCOME_KEY
from bot.tickets.model import TICKET_NUMBER_RE, normalize_ticket_number
from console.calls import call_record
from console.timefmt import instant
from console.transcript import TRACKER_KEY

SCAN_LIMIT = 5000
TICKET_PREFIX = "hotline"
CONVERSATION_RESULTS = ("contained", "handed_off", "unserved", "open")
MAX_TEXT = 200


@dataclass(frozen=True)
class Query:
    text: str = ""
    start: date | None = None
    end: date | None = None
    channel: str = ""
    status: str = ""  # a ticket status, or a conversation result (CONVERSATION_RESULTS)
    category: str = ""

    @property
    def empty(self) -> bool:
        return not (self.text or self.start or self.end or self.channel or self.status
                    or self.category)

    def args(self) -> dict[str, str]:
        """The query as URL arguments (pagination links keep it)."""
        values = {"q": self.text, "from": self.start.isoformat() if self.start else "",
                  "to": self.end.isoformat() if self.end else "", "channel": self.channel,
                  "status": self.status, "category": self.category}
        return {k: v for k, v in values.items() if v}


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip()[:10]) if raw.strip() else None
    except ValueError:
        return None


def parse_query(
    args: Mapping[str, str], *, channels: Iterable[str], statuses: Iterable[str],
    categories: Iterable[str],
) -> Query:
    """The query from request arguments; values outside the known sets are dropped."""
    def pick(name: str, allowed: Iterable[str]) -> str:
        value = str(args.get(name) or "")
        return value if value in set(allowed) else ""

    return Query(
        text=str(args.get("q") or "").strip()[:MAX_TEXT],
        start=_date(str(args.get("from") or "")), end=_date(str(args.get("to") or "")),
        channel=pick("channel", channels),
        status=pick("status", [*statuses, *CONVERSATION_RESULTS]),
        category=pick("category", categories),
    )


@dataclass
class TicketHit:
    number: str
    created_at: datetime
    channel: str
    status: str
    category: str
    severity: str
    phone: str  # masked
    conversation_id: str
    digits: str = field(default="", repr=False)  # the whole number, never shown


@dataclass
class ConversationHit:
    conversation_id: str
    at: datetime
    channel: str
    result: str  # one of CONVERSATION_RESULTS
    phone: str = ""  # masked
    reason: str = ""  # hand-off reason
    end_reason: str = ""
    satisfaction: int | None = None
    tickets: list[str] = field(default_factory=list)
    categories: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Results:
    tickets: list[TicketHit]
    conversations: list[ConversationHit]


def _s(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


class Search:
    def __init__(self, client: redis.Redis[bytes], tz: ZoneInfo) -> None:
        self.client = client
        self.tz = tz

    def _bounds(self, query: Query) -> tuple[float | str, float | str]:
        low: float | str = "-inf"
        high: float | str = "+inf"
        if query.start:
            low = datetime.combine(query.start, time.min, tzinfo=self.tz).timestamp()
        if query.end:
            high = (datetime.combine(query.end, time.min, tzinfo=self.tz)
                    + timedelta(days=1)).timestamp() - 0.001
        return low, high

    # -- tickets ----------------------------------------------------------------------------
    def _tickets(self, numbers: list[str]) -> list[TicketHit]:
        found = []
        for start in range(0, len(numbers), 500):
            chunk = numbers[start:start + 500]
            raws = self.client.mget([f"{TICKET_PREFIX}:ticket:{n}" for n in chunk])
            for raw in raws:
                try:
                    data = json.loads(raw) if raw else None
                except ValueError:
                    continue
                if not isinstance(data, dict):
                    continue
                created = instant(data.get("created_at"))
                if created is None:
                    continue
                phone = _digits(str((data.get("caller") or {}).get("phone") or ""))
                found.append(TicketHit(
                    number=str(data.get("number") or ""), created_at=created,
                    channel=str(data.get("channel") or ""),
                    status=str(data.get("status") or ""),
                    category=str(data.get("category") or ""),
                    severity=str(data.get("severity") or ""),
                    phone=mask_number(phone) if phone else "",
                    conversation_id=str(data.get("conversation_id") or ""), digits=phone))
        return found

    def _ticket_candidates(self, query: Query) -> list[TicketHit]:
        low, high = self._bounds(query)
        numbers = [_s(n) for n in self.client.zrevrangebyscore(
            f"{TICKET_PREFIX}:tickets:created", high, low, start=0, num=SCAN_LIMIT)]
        return self._tickets(numbers)

    # -- conversations ----------------------------------------------------------------------
    def _handoffs(self) -> dict[str, dict[str, Any]]:
        keys = []
        for key in self.client.scan_iter(match=HANDOFF_KEY.format(conversation_id="*"),
                                         count=1000):
            keys.append(key)
            if len(keys) >= SCAN_LIMIT:
                break
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), 500):
            for raw in self.client.mget(keys[start:start + 500]):
                try:
                    data = json.loads(raw) if raw else None
                except ValueError:
                    continue
                if isinstance(data, dict) and data.get("conversation_id"):
                    found[str(data["conversation_id"])] = data
        return found

    def _conversation_candidates(self, query: Query) -> list[ConversationHit]:
        low, high = self._bounds(query)
        ids = [_s(i) for i in self.client.zrevrangebyscore(ENDED_INDEX, high, low, start=0,
                                                            num=SCAN_LIMIT)]
        pipe = self.client.pipeline(transaction=False)
        for cid in ids:
            pipe.hgetall(OUTCOME_KEY.format(conversation_id=cid))
        hits: dict[str, ConversationHit] = {}
        for cid, raw in zip(ids, pipe.execute(), strict=True):
            fields = {_s(k): _s(v) for k, v in raw.items()}
            ended = instant(fields.get("ended_at"))
            if ended is None:
                continue
            handed = fields.get("handed_off") == "1"
            served = fields.get("served") == "1"
            result = "handed_off" if handed else "contained" if served else "unserved"
            rating = fields.get("satisfaction", "")
            hits[cid] = ConversationHit(
                cid, ended, fields.get("channel") or "unknown", result,
                end_reason=fields.get("end_reason", ""),
                satisfaction=int(rating) if rating.isdigit() else None)
        start_at = instant(low) if isinstance(low, float) else None
        end_at = instant(high) if isinstance(high, float) else None
        for cid, handoff in self._handoffs().items():
            created = instant(handoff.get("created_at"))
            if created is None:
                continue
            hit = hits.get(cid)
            if hit is None:
                if (start_at and created < start_at) or (end_at and created > end_at):
                    continue
                hit = hits[cid] = ConversationHit(cid, created,
                                                  str(handoff.get("channel") or "unknown"),
                                                  "open")
            hit.reason = str(handoff.get("reason") or "")
            hit.phone = hit.phone or str(handoff.get("caller_masked") or "")
        return list(hits.values())

    def _exact_conversation(self, cid: str) -> ConversationHit | None:
        if not cid or len(cid) > MAX_TEXT or not self.client.exists(
                TRACKER_KEY.format(conversation_id=cid)):
            return None
        outcome = {_s(k): _s(v) for k, v in
                   self.client.hgetall(OUTCOME_KEY.format(conversation_id=cid)).items()}
        at = instant(outcome.get("ended_at")) or datetime.now(self.tz)
        result = "open"
        if outcome:
            result = "handed_off" if outcome.get("handed_off") == "1" else \
                "contained" if outcome.get("served") == "1" else "unserved"
        return ConversationHit(cid, at, outcome.get("channel") or "unknown", result)

    # -- the search -------------------------------------------------------------------------
    def run(self, query: Query) -> Results:
        if query.empty:
            return Results([], [])
        tickets = self._ticket_candidates(query)
        conversations = self._conversation_candidates(query)
        by_id = {c.conversation_id: c for c in conversations}
        text = query.text
        number = normalize_ticket_number(text) if text else ""
        if text and TICKET_NUMBER_RE.match(number):
            tickets = [t for t in tickets if t.number == number] or self._tickets([number])
            linked = {t.conversation_id for t in tickets}
            conversations = [c for c in conversations if c.conversation_id in linked]
            number_match = True
        else:
            number_match = False
        for ticket in self._tickets_of(conversations, tickets):
            hit = by_id.get(ticket.conversation_id)
            if hit is not None:
                hit.tickets.append(ticket.number)
                hit.categories.add(ticket.category)
                hit.phone = hit.phone or ticket.phone
        digits = _digits(text)
        if text and not number_match and digits == text.replace(" ", "") and len(digits) >= 4:
            tickets = [t for t in tickets if t.digits.endswith(digits)]
            self._phones_from_calls(conversations)
            conversations = [c for c in conversations if c.phone.endswith(digits[-4:])]
        elif text and not number_match:
            exact = self._exact_conversation(text)
            if exact is not None and exact.conversation_id not in by_id:
                conversations.append(exact)
            conversations = [c for c in conversations if text in c.conversation_id]
            tickets = [t for t in tickets if t.conversation_id and text in t.conversation_id]
        if query.channel:
            tickets = [t for t in tickets if t.channel == query.channel]
            conversations = [c for c in conversations if c.channel == query.channel]
        if query.status in CONVERSATION_RESULTS:
            tickets = []
            conversations = [c for c in conversations if c.result == query.status]
        elif query.status:
            tickets = [t for t in tickets if t.status == query.status]
            conversations = []
        if query.category:
            tickets = [t for t in tickets if t.category == query.category]
            conversations = [c for c in conversations if query.category in c.categories]
        tickets.sort(key=lambda t: t.created_at, reverse=True)
        conversations.sort(key=lambda c: c.at, reverse=True)
        return Results(tickets, conversations)

    @staticmethod
    def _tickets_of(conversations: list[ConversationHit],
                    tickets: list[TicketHit]) -> list[TicketHit]:
        ids = {c.conversation_id for c in conversations}
        return [t for t in tickets if t.conversation_id in ids]

    def _phones_from_calls(self, conversations: list[ConversationHit]) -> None:
        """Phone calls keep the caller's masked number in the call record."""
        for hit in conversations:
            if not hit.phone and hit.channel == "phone":
                record = call_record(self.client, hit.conversation_id) or {}
                hit.phone = record.get("caller", "")
