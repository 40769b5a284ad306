"""A conversation as the console shows it: the chat (console.chat), the script audit with
who hung up first, what is known about it (channel, caller, hand-off, tickets, outcome), the
JSON export, and the audit over all stored conversations (supervisors' audit page)."""

from __future__ import annotations

from typing import Any

from bot.compliance import default_matcher
from bot.masking import mask_number, mask_sensitive
from bot.outcomes import ConversationOutcomes
from bot.script_audit import audit_transcript
from bot.takeover import SUPPORTED_CHANNELS, conversation_channel
from console.calls import call_record, hangup_rule
from console.chat import CHANNEL_EVENTS, TICKET_SLOT, conversation
from console.findings import labelled
from console.labels import Labels
from console.services import Services
from console.timefmt import TimeFormat
from console.transcript import conversation_ids, load_events, turns


def _masked(findings: dict[str, Any]) -> dict[str, Any]:
    for finding in findings["findings"]:
        finding["detail"] = mask_sensitive(finding["detail"])
    return findings


def _audit(services: Services, conversation_id: str, events: list[dict[str, Any]],
           reveal: bool) -> dict[str, Any]:
    result = audit_transcript(conversation_id, events, domain=services.domain(),
                              call=call_record(services.client, conversation_id),
                              hangup=hangup_rule())
    findings = result.to_dict()
    return findings if reveal else _masked(findings)


def transcript(
    services: Services, conversation_id: str, reveal: bool, labels: Labels | None = None,
    fmt: TimeFormat | None = None,
) -> dict[str, Any] | None:
    """The export: turns (numbers masked unless `reveal`), the hand-off and the audit result;
    with `labels` and `fmt`, every code also as its label and every time in company time."""
    events = load_events(services.client, conversation_id)
    if events is None:
        return None
    handoff = services.handoffs.get(conversation_id)
    shown = turns(events, reveal=reveal)
    findings = _audit(services, conversation_id, events, reveal)
    data = {"conversation_id": conversation_id, "revealed": reveal,
            "handoff": handoff.__dict__ if handoff else None, "turns": shown,
            "audit": findings}
    if labels is not None:
        labelled(findings, labels)
        for turn in shown:
            turn["speaker_label"] = labels.of("speaker", turn["speaker"])
            if fmt is not None:
                turn["time_text"] = fmt.when(turn["time"])
        if data["handoff"]:
            data["handoff"] = {**data["handoff"],
                               "reason_label": labels.of("handoff_reason", handoff.reason),
                               "channel_label": labels.of("channel", handoff.channel)}
    return data


def _result(outcome: dict[str, str]) -> str:
    if not outcome.get("ended_at"):
        return "open"
    if outcome.get("handed_off") == "1":
        return "handed_off"
    return "contained" if outcome.get("served") == "1" else "unserved"


def conversation_view(
    services: Services, conversation_id: str, reveal: bool, labels: Labels,
    channel_events: frozenset[str] = CHANNEL_EVENTS,
) -> dict[str, Any] | None:
    """Everything the transcript page shows."""
    events = load_events(services.client, conversation_id)
    if events is None:
        return None
    findings = labelled(_audit(services, conversation_id, events, reveal), labels)
    items = conversation(events, reveal=reveal, findings=findings["findings"],
                         channel_events=channel_events)
    handoff = services.handoffs.get(conversation_id)
    numbers = [str(e.get("value")) for e in events
               if e.get("event") == "slot" and e.get("name") == TICKET_SLOT and e.get("value")]
    if handoff and handoff.ticket_id:
        numbers.append(handoff.ticket_id)
    tickets = []
    for number in dict.fromkeys(numbers):
        ticket = services.tickets().get_ticket(number)
        if ticket is not None:
            tickets.append(ticket)
    call = call_record(services.client, conversation_id) or {}
    caller = (handoff.caller_masked if handoff else "") or call.get("caller", "")
    if not caller:
        caller = next((mask_number(t.caller.phone) for t in tickets if t.caller.phone), "")
    outcome = ConversationOutcomes(services.client).get(conversation_id)
    stamps = [e["timestamp"] for e in events
              if isinstance(e.get("timestamp"), (int, float))]
    channel = conversation_channel(events) or outcome.get("channel", "")
    return {
        "items": items, "audit": findings, "handoff": handoff, "tickets": tickets,
        "info": {"channel": channel, "caller": caller, "started_at": min(stamps, default=None),
                 "last_at": max(stamps, default=None), "result": _result(outcome),
                 "end_reason": outcome.get("end_reason", ""),
                 "satisfaction": outcome.get("satisfaction", ""),
                 "takeover": channel in SUPPORTED_CHANNELS},
    }


def audit_failures(services: Services) -> tuple[int, list[dict[str, Any]]]:
    """How many conversations were checked, and the ones that failed the script audit."""
    client = services.client
    ids = conversation_ids(client)
    failed = []
    for cid in ids:
        events = load_events(client, cid)
        if events is None:
            continue
        result = audit_transcript(cid, events, matcher=default_matcher(),
                                  domain=services.domain(), call=call_record(client, cid),
                                  hangup=hangup_rule())
        if not result.passed:
            data = _masked(result.to_dict())
            stamps = [e["timestamp"] for e in events
                      if isinstance(e.get("timestamp"), (int, float))]
            data["last_at"] = max(stamps, default=None)
            data["channel"] = conversation_channel(events)
            failed.append(data)
    return len(ids), failed
