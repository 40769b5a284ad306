"""Play one conversation of the test set on one channel and check it.

Every conversation is checked for its own expectations and for the script's invariants:
the product's audit (opening first, nothing after a closing line, a closing line once the
session ended, no forbidden phrase, no unfilled `{slot}` or blank value, the bot hangs up
only after its closing line and the wait), every turn answered, every line a domain.yml
response, and a ticket stored for every complaint the assistant said it kept.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis

from bot.config import settings
from bot.tickets.model import Ticket, TicketRequest, TicketStatus
from bot.tickets.service import TicketService
from bot.wiring import build_ticket_service
from tests.stack import Stack
from tests.support.conversations.checks import (
    Line,
    bot_lines,
    check_turn,
    is_closing,
    labels,
    not_from_the_domain,
)
from tests.support.conversations.model import Conversation
from tests.support.conversations.players import PhonePlayer, Player, RestPlayer, WebchatPlayer
from tests.support.processes import wait_until
from tests.support.transcripts import audit_conversation, format_findings, load_events

# Lines that tell the caller a complaint was kept: a ticket must exist for them.
KEPT_RESPONSES = frozenset({
    "utter_ticket_created", "utter_cancelled_kept", "utter_goodbye_kept",
    "utter_goodbye_kept_callback",
})
TICKET_NUMBER = re.compile(r"T\d{12}")
VARIABLE = re.compile(r"\$\{([a-z_0-9]+)\}")
TICKET_FIELDS: dict[str, Callable[[Ticket], str]] = {
    "surname": lambda t: t.caller.surname,
    "phone": lambda t: t.caller.phone,
    "address": lambda t: t.caller.address,
    "order_number": lambda t: t.order_number,
    "category": lambda t: t.category,
    "description_contains": lambda t: t.description,
}


def _mobile() -> str:
    return "139" + "".join(random.choice("0123456789") for _ in range(8))


def _display(digits: str) -> str:
    return f"{digits[:3]} {digits[3:7]} {digits[7:]}"


@dataclass
class TurnRecord:
    said: str
    lines: list[tuple[str, str]]  # (label, text)


@dataclass
class Result:
    name: str
    file: str
    channel: str
    conversation_id: str
    failures: list[str] = field(default_factory=list)
    turns: list[TurnRecord] = field(default_factory=list)
    handed_off: bool = False
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def contained(self) -> bool:
        """Resolved without a person: it passed and nobody was handed the conversation."""
        return self.passed and not self.handed_off

    def report(self) -> str:
        transcript = []
        for number, turn in enumerate(self.turns, start=1):
            transcript.append(f"  {number}. {turn.said}")
            transcript += [f"       {label}: {text}" for label, text in turn.lines]
        return "\n".join([f"{self.channel}:{self.name} ({self.conversation_id}) failed:",
                          *[f"  - {f}" for f in self.failures], "transcript:", *transcript])

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "file": self.file, "channel": self.channel,
            "conversation_id": self.conversation_id, "passed": self.passed,
            "contained": self.contained, "handed_off": self.handed_off,
            "failures": self.failures, "seconds": round(self.seconds, 2),
            "turns": [{"said": t.said, "lines": [list(line) for line in t.lines]}
                      for t in self.turns],
        }


class Bindings:
    """`${phone}`, `${phone_display}`, `${phone2}`, `${ticket}`, `${ticket_2}` …"""

    def __init__(self) -> None:
        first, second = _mobile(), _mobile()
        self.values = {"phone": first, "phone_display": _display(first),
                       "phone2": second, "phone2_display": _display(second)}

    def __call__(self, text: Any) -> str:
        def value(match: re.Match[str]) -> str:
            if match.group(1) not in self.values:
                raise KeyError(f"unknown variable ${{{match.group(1)}}}")
            return self.values[match.group(1)]
        return VARIABLE.sub(value, str(text))


def create_given_tickets(service: TicketService, given: Mapping[str, Any],
                         bind: Bindings) -> None:
    """Tickets that exist before the call (for the ticket lookups)."""
    for number, spec in enumerate(given.get("tickets") or [], start=1):
        request = TicketRequest(
            conversation_id=f"given-{uuid.uuid4().hex[:10]}", channel="rest",
            description=bind(spec.get("description", "洗衣机漏水,师傅一直不来修")),
            category=spec.get("category", "product_fault"),
            surname=bind(spec.get("surname", "王")), title=spec.get("title", "先生"),
            phone=bind(spec.get("phone", "${phone}")),
            preferred_time_text=spec.get("callback_time", "明天上午"),
        )
        result = service.create_ticket(request, f"given:{uuid.uuid4().hex}")
        assert result.ticket is not None, "the given ticket was stored"
        bind.values["ticket" if number == 1 else f"ticket_{number}"] = result.ticket.number


def make_player(stack: Stack, channel: str, name: str, bind: Bindings) -> Player:
    if channel == "phone":
        return PhonePlayer(stack.rasa_url, stack.env["TWILIO_AUTH_TOKEN"],
                           caller="+86" + bind.values["phone"])
    if channel == "webchat":
        return WebchatPlayer(stack.rasa_url)
    return RestPlayer(stack.rasa_url, name[:40], stack.token)


def tickets_of(client: redis.Redis[bytes], service: TicketService, conversation_id: str,
               since: float) -> list[Ticket]:
    numbers = client.zrangebyscore("hotline:tickets:created", since - 60, "+inf")
    found = [service.get_ticket(n.decode()) for n in numbers]
    return [t for t in found if t is not None and t.conversation_id == conversation_id]


def _session_closed(events: Sequence[Mapping[str, Any]]) -> bool:
    closed = False
    for event in events:
        if event.get("event") == "action" and event.get("name") == "action_session_start":
            closed = False
        elif event.get("event") == "slot" and event.get("name") == "session_closed":
            closed = bool(event.get("value"))
    return closed


def _handed_off(client: redis.Redis[bytes], conversation_id: str,
                events: Sequence[Mapping[str, Any]]) -> bool:
    slot = any(e.get("event") == "slot" and e.get("name") == "handed_off" and e.get("value")
               for e in events)
    return slot or bool(client.exists(f"hotline:handoff:{conversation_id}"))


def check_conversation(
    conversation: Conversation, expect: Mapping[str, Any], *, events: list[dict[str, Any]],
    lines: Sequence[Line], tickets: Sequence[Ticket], handed_off: bool,
    satisfaction: bytes | None, bind: Bindings,
) -> list[str]:
    failures = []
    complete = [t for t in tickets if t.status is not TicketStatus.INCOMPLETE]
    incomplete = [t for t in tickets if t.status is TicketStatus.INCOMPLETE]
    wanted = expect.get("ticket")
    got = f"{len(complete)} complete, {len(incomplete)} incomplete"
    if wanted == "complete" and not complete:
        failures.append(f"ticket: complete — got {got}")
    if wanted == "incomplete" and (complete or not incomplete):
        failures.append(f"ticket: incomplete — got {got}")
    if wanted == "none" and tickets:
        failures.append(f"ticket: none — got {got}")
    latest = max(tickets, key=lambda t: t.created_at) if tickets else None
    for key, value in (expect.get("ticket_fields") or {}).items():
        actual = TICKET_FIELDS[key](latest) if latest else None
        ok = actual is not None and (bind(value) in actual if key == "description_contains"
                                     else actual == bind(value))
        if not ok:
            failures.append(f"ticket_fields {key}: {bind(value)!r} — got {actual!r}")
    if "handoff" in expect and bool(expect["handoff"]) != handed_off:
        failures.append(f"handoff: {expect['handoff']} — got {handed_off}")
    last = lines[-1] if lines else None
    if "ended" in expect:
        ended = last is not None and is_closing(last) and _session_closed(events)
        if bool(expect["ended"]) != ended:
            failures.append(f"ended: {expect['ended']} — got last line "
                            f"{last.label if last else None}, session closed "
                            f"{_session_closed(events)}")
    if "closing" in expect and not (last is not None and expect["closing"] in last.names):
        failures.append(f"closing: {expect['closing']} — got {last.label if last else None}")
    if "satisfaction" in expect:
        stored = int(float(satisfaction)) if satisfaction else None
        if stored != int(expect["satisfaction"]):
            failures.append(f"satisfaction: {expect['satisfaction']} — got {stored}")
    return failures


def check_kept_complaints(lines: Sequence[Line], tickets: Sequence[Ticket]) -> list[str]:
    """Invariant: a complaint the assistant said it kept is a stored ticket of this call."""
    failures = []
    kept = [line for line in lines if line.names & KEPT_RESPONSES]
    if kept and not tickets:
        failures.append(f"invariant: said {labels(kept)} but no ticket was stored")
    numbers = {t.number for t in tickets}
    for line in kept:
        for number in TICKET_NUMBER.findall(line.text):
            if number not in numbers:
                failures.append(f"invariant: told the caller ticket {number}, "
                                "which is not a ticket of this conversation")
    return failures


def play(stack: Stack, conversation: Conversation, channel: str) -> Result:
    """Play `conversation` on `channel` against the running stack."""
    started = time.time()
    bind = Bindings()
    client = redis.Redis.from_url(stack.redis_url)
    service = build_ticket_service(env=settings(stack.env))
    create_given_tickets(service, conversation.given, bind)
    player = make_player(stack, channel, conversation.name, bind)
    result = Result(conversation.name, conversation.file, channel, "")
    try:
        played = player.start()
        result.conversation_id = player.conversation_id
        result.failures += played.problems
        seen, previous = 0, []
        for number, turn in enumerate(conversation.turns, start=1):
            if played.fatal:
                break
            played = player.play(turn, bind(turn.value))
            result.failures += [f"turn {number}: {p}" for p in played.problems]
            events = load_events(client, player.conversation_id)
            lines = bot_lines(events[seen:])
            seen = len(events)
            result.turns.append(TurnRecord(bind(turn.describe()),
                                           [(line.label, line.text) for line in lines]))
            result.failures += check_turn(number, turn, lines, previous, bind)
            previous = lines or previous
        result.failures += player.finish().problems
        result.failures += _final_checks(client, service, conversation, player, started, bind,
                                         result)
    finally:
        client.close()
        result.seconds = time.time() - started
    return result


def _final_checks(client: redis.Redis[bytes], service: TicketService,
                  conversation: Conversation, player: Player, started: float, bind: Bindings,
                  result: Result) -> list[str]:
    cid = player.conversation_id
    events = load_events(client, cid)
    audited = audit_conversation(client, cid, events)
    failures = []
    if audited.findings:
        failures.append("invariant: script audit\n" + format_findings([audited]))
    lines = bot_lines(events)
    tickets = tickets_of(client, service, cid, started)
    if conversation.expect.get("ticket") in ("complete", "incomplete") and not tickets:
        # A hang-up's incomplete ticket is filed by the status callback's turn: wait for it
        # (30 s is only a safety net; the checks below say what is missing).
        wait_until(lambda: bool(tickets_of(client, service, cid, started)), timeout=30)
        tickets = tickets_of(client, service, cid, started)
    result.handed_off = _handed_off(client, cid, events)
    failures += check_kept_complaints(lines, tickets)
    failures += [f"invariant: a line that is no domain.yml response: {line.text!r}"
                 for line in not_from_the_domain(lines)]
    failures += check_conversation(
        conversation, conversation.expect, events=events, lines=lines, tickets=tickets,
        handed_off=result.handed_off,
        satisfaction=client.hget(f"hotline:outcome:{cid}", "satisfaction"), bind=bind)
    return failures
