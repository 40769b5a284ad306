"""Conversations as the stack stored them in Redis, audited with the product's script audit.

Trackers are read from Redis (`hotline:tracker:<id>`, decoded by bot/tracker_codec.py),
phone calls' records from `hotline:call:<CallSid>` (as the console reads them), and each
conversation is checked by bot/script_audit.py with `live=True`: a conversation a test
leaves open needs no closing line yet, one that ended needs it.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import redis
import yaml

from bot.config import hotline_config
from bot.script_audit import (
    AuditResult,
    Finding,
    HangupRule,
    audit_transcript,
    hangup_rule_from_config,
    split_sessions,
)
from bot.tracker_codec import TrackerDecodeError, decode_dialogue

ROOT = Path(__file__).resolve().parent.parent.parent
TRACKER_PREFIX = "hotline:tracker:"
CALL_KEY = "hotline:call:{sid}"  # the phone channel's call record (channels/voice/store.py)
Events = list[dict[str, Any]]


@lru_cache(maxsize=1)
def domain() -> dict[str, Any]:
    """The domain the running stack was trained on (responses for the audit)."""
    return dict(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8")) or {})


@lru_cache(maxsize=1)
def hangup_rule() -> HangupRule:
    return hangup_rule_from_config(hotline_config())


def events_of(raw: bytes | None) -> Events:
    if raw is None:
        return []
    try:
        return list(decode_dialogue(raw).get("events") or [])
    except TrackerDecodeError:
        return []


def load_events(client: redis.Redis[bytes], conversation_id: str) -> Events:
    return events_of(client.get(TRACKER_PREFIX + conversation_id))


def call_record(client: redis.Redis[bytes], conversation_id: str) -> dict[str, str] | None:
    """The phone call's record (a phone conversation's id is its CallSid), as the console
    reads it for the audit; None when the conversation was no phone call."""
    try:
        raw = client.hgetall(CALL_KEY.format(sid=conversation_id))
    except redis.ResponseError:  # an id naming another kind of key
        return None
    if not raw:
        return None
    return {k.decode("utf-8", "replace"): v.decode("utf-8", "replace") for k, v in raw.items()}


def snapshot(client: redis.Redis[bytes]) -> dict[str, bytes]:
    """Every stored tracker (raw), by conversation id."""
    keys = [key for key in client.scan_iter(match=TRACKER_PREFIX + "*", count=1000)]
    stored: dict[str, bytes] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        for key, raw in zip(chunk, client.mget(chunk), strict=True):
            if raw is not None:
                stored[key.decode("utf-8", "replace")[len(TRACKER_PREFIX):]] = raw
    return stored


def changed_since(before: Mapping[str, bytes], after: Mapping[str, bytes]) -> list[str]:
    """Conversations created or changed between two snapshots."""
    return sorted(cid for cid, raw in after.items()
                  if cid not in before or zlib.crc32(raw) != zlib.crc32(before[cid]))


@dataclass
class Audited:
    """One conversation's audit, with the events to show the offending lines."""

    conversation_id: str
    events: Events
    findings: list[Finding] = field(default_factory=list)
    hung_up_by: str | None = None


def audit_conversation(
    client: redis.Redis[bytes], conversation_id: str, events: Events | None = None,
    since_events: Events | None = None,
) -> Audited:
    """The live audit of one conversation. With `since_events` (what was stored before),
    findings in sessions that had ended before are left out: they belong to whoever
    played those sessions."""
    events = load_events(client, conversation_id) if events is None else events
    call = call_record(client, conversation_id)
    result: AuditResult = audit_transcript(
        conversation_id, events, domain=domain(), call=call, hangup=hangup_rule(), live=True)
    first_session = max(0, len(split_sessions(since_events or [])) - 1)
    findings = [f for f in result.findings if f.session >= first_session]
    return Audited(conversation_id, events, findings, result.hung_up_by)


def audit_changes(
    client: redis.Redis[bytes], before: Mapping[str, bytes],
) -> list[Audited]:
    """Audit every conversation created or changed since `before`; those with findings."""
    after = snapshot(client)
    failed = []
    for cid in changed_since(before, after):
        audited = audit_conversation(client, cid, events_of(after[cid]),
                                     since_events=events_of(before.get(cid)))
        if audited.findings:
            failed.append(audited)
    return failed


def describe_event(event: Mapping[str, Any]) -> str:
    if event.get("event") == "user":
        return f"caller: {event.get('text')}"
    name = (event.get("metadata") or {}).get("utter_action") or "?"
    agent = (event.get("metadata") or {}).get("agent")
    who = f"agent {agent}" if agent else f"bot [{name}]"
    return f"{who}: {event.get('text')}"


def _context(events: Sequence[Mapping[str, Any]], index: int, before: int = 4) -> list[str]:
    """The lines leading to event `index`: the caller's last message and what followed."""
    shown = [i for i in range(max(0, index - 40), index)
             if events[i].get("event") == "user"
             or (events[i].get("event") == "bot" and events[i].get("text"))]
    return [f"      {describe_event(events[i])}" for i in shown[-before:]]


def format_findings(audited: Iterable[Audited]) -> str:
    """A readable report: conversation id, finding, the offending lines in context."""
    blocks = []
    for item in audited:
        lines = [f"conversation {item.conversation_id}"
                 + (f" (hung up by {item.hung_up_by})" if item.hung_up_by else "")]
        for finding in item.findings:
            lines.append(f"  {finding.kind} (session {finding.session}): {finding.detail}")
            if finding.turn is not None and 0 <= finding.turn < len(item.events):
                lines += _context(item.events, finding.turn)
                lines.append(f"   >> {describe_event(item.events[finding.turn])}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)
