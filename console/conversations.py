"""A conversation as the console shows it: masked turns, the script audit with who hung up
first, and the audit over all stored conversations (supervisors' audit page)."""

from __future__ import annotations

from typing import Any

from bot.compliance import default_matcher
from bot.masking import mask_sensitive
from bot.script_audit import audit_transcript
from console.calls import call_record, hangup_rule
from console.services import Services
from console.transcript import conversation_ids, load_events, turns


def _masked(findings: dict[str, Any]) -> dict[str, Any]:
    for finding in findings["findings"]:
        finding["detail"] = mask_sensitive(finding["detail"])
    return findings


def transcript(services: Services, conversation_id: str, reveal: bool) -> dict[str, Any] | None:
    """The transcript (numbers masked unless `reveal`), the hand-off and the audit result."""
    client = services.client
    events = load_events(client, conversation_id)
    if events is None:
        return None
    handoff = services.handoffs.get(conversation_id)
    result = audit_transcript(conversation_id, events, domain=services.domain(),
                              call=call_record(client, conversation_id), hangup=hangup_rule())
    findings = result.to_dict()
    if not reveal:
        _masked(findings)
    return {"conversation_id": conversation_id, "revealed": reveal,
            "handoff": handoff.__dict__ if handoff else None,
            "turns": turns(events, reveal=reveal), "audit": findings}


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
            failed.append(_masked(result.to_dict()))
    return len(ids), failed
