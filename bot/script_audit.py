"""Script audit of one conversation (HOTLINE_SPEC §1, §6): pure, no I/O.

For every session of a transcript: the standard opening line comes first, a
standard closing line comes last (unless the conversation was handed to a
person, who then closes it), and no bot or agent turn contains a forbidden
phrase (bot.compliance, tolerant of punctuation, spacing and script).

Phone calls: the caller hangs up first (§1). The spec's decision lets the IVR hang up
only after its closing line and a wait (`telephony.ending`: goodbye_wait_s after a normal
closing, hangup_after_s after a scripted one). So when the call record (the channel's
`hotline:call:<CallSid>` hash, passed in by the caller of the audit) says the bot hung up
first, that is a finding unless the last line was a closing line and the bot waited long
enough after it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.compliance import ForbiddenPhraseMatcher, default_matcher
from bot.config import HotlineConfig

OPENING_RESPONSES = frozenset({"utter_opening"})
CLOSING_RESPONSES = frozenset({
    "utter_closing", "utter_malicious_closing", "utter_silence_closing",
    "utter_low_volume_closing", "utter_noisy_line_closing", "utter_personal_call",
    "utter_idle_closing",
})


@dataclass(frozen=True)
class Finding:
    kind: str  # missing_opening | missing_closing | forbidden_phrase | bot_hung_up_first
    session: int
    detail: str = ""
    turn: int | None = None  # index of the event in the tracker's event list


@dataclass(frozen=True)
class AuditResult:
    conversation_id: str
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    hung_up_by: str | None = None  # phone calls: caller | bot | none

    @property
    def passed(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "passed": self.passed,
            "findings": [f.__dict__ for f in self.findings],
            "hung_up_by": self.hung_up_by,
        }


@dataclass(frozen=True)
class HangupRule:
    """How long the bot must wait after its closing line before it may hang up."""

    goodbye_wait_s: float = 10.0
    scripted_wait_s: float = 5.0
    scripted_reasons: frozenset[str] = frozenset({"malicious", "silence", "low_volume",
                                                  "noisy_line"})
    tolerance_s: float = 0.5  # clock skew between the dialogue and the webhook process

    def required_wait(self, end_reason: str) -> float:
        return self.scripted_wait_s if end_reason in self.scripted_reasons else self.goodbye_wait_s


def hangup_rule_from_config(config: HotlineConfig) -> HangupRule:
    """hotline.yml `telephony.ending` (the same values the phone channel waits for)."""
    ending = config.section("telephony").get("ending") or {}
    default = HangupRule()
    try:
        return HangupRule(
            goodbye_wait_s=float(ending.get("goodbye_wait_s", default.goodbye_wait_s)),
            scripted_wait_s=float(ending.get("hangup_after_s", default.scripted_wait_s)),
            scripted_reasons=frozenset(
                str(r) for r in ending.get("scripted_reasons", default.scripted_reasons)
            ),
        )
    except (TypeError, ValueError):
        return default


def response_patterns(domain: Mapping[str, Any], names: Iterable[str]) -> list[re.Pattern[str]]:
    """Regexes for the texts of the named domain responses ({slot} matches anything)."""
    patterns = []
    responses = domain.get("responses") or {}
    for name in names:
        for variant in responses.get(name) or []:
            text = str(variant.get("text") or "")
            if text:
                parts = re.split(r"\{[^{}]*\}", text)
                patterns.append(re.compile("^" + ".*".join(map(re.escape, parts)) + "$"))
    return patterns


def _is_response(event: Mapping[str, Any], names: frozenset[str],
                 patterns: Sequence[re.Pattern[str]]) -> bool:
    action = (event.get("metadata") or {}).get("utter_action")
    if action:
        return action in names
    text = (event.get("text") or "").strip()
    return bool(text) and any(p.match(text) for p in patterns)


def _sessions(events: Sequence[Mapping[str, Any]]) -> list[list[tuple[int, Mapping[str, Any]]]]:
    """Split at each session start. Rasa records `action_session_start`, then the opening
    line the action uttered, then `session_started`: a session begins at the action (or at
    a `session_started` without it)."""
    sessions: list[list[tuple[int, Mapping[str, Any]]]] = [[]]
    for index, event in enumerate(events):
        kind = event.get("event")
        starts = kind == "action" and event.get("name") == "action_session_start"
        if kind == "session_started":
            starts = not any(
                e.get("event") == "action" and e.get("name") == "action_session_start"
                for _, e in sessions[-1]
            )
        if starts and sessions[-1]:
            sessions.append([])
        sessions[-1].append((index, event))
    return [s for s in sessions if s]


def audit_transcript(
    conversation_id: str,
    events: Sequence[Mapping[str, Any]],
    *,
    matcher: ForbiddenPhraseMatcher | None = None,
    domain: Mapping[str, Any] | None = None,
    call: Mapping[str, str] | None = None,
    hangup: HangupRule | None = None,
) -> AuditResult:
    """Audit a tracker's events (Rasa's serialised event dicts); `call` is the phone
    call's record when the conversation was a call (its id is the CallSid)."""
    matcher = matcher or default_matcher()
    domain = domain or {}
    opening = response_patterns(domain, OPENING_RESPONSES)
    closing = response_patterns(domain, CLOSING_RESPONSES)
    findings: list[Finding] = []
    for number, session in enumerate(_sessions(events)):
        said = [(i, e) for i, e in session if e.get("event") == "bot" and e.get("text")]
        if not said:
            continue
        handed_off = any(
            e.get("event") == "slot" and e.get("name") == "handed_off" and e.get("value")
            for _, e in session
        )
        first_index, first = said[0]
        if not _is_response(first, OPENING_RESPONSES, opening):
            findings.append(Finding("missing_opening", number, first.get("text", ""), first_index))
        last_index, last = said[-1]
        if not handed_off and not _is_response(last, CLOSING_RESPONSES, closing):
            findings.append(Finding("missing_closing", number, last.get("text", ""), last_index))
        for index, event in said:
            for hit in matcher.find(event.get("text") or ""):
                findings.append(Finding("forbidden_phrase", number, hit.phrase, index))
    hung_up_by = (call or {}).get("hung_up_by") or None
    if hung_up_by == "bot":
        finding = _bot_hangup(events, call or {}, hangup or HangupRule(), closing)
        if finding is not None:
            findings.append(finding)
    return AuditResult(conversation_id, tuple(findings), hung_up_by)


def _bot_hangup(
    events: Sequence[Mapping[str, Any]], call: Mapping[str, str], rule: HangupRule,
    closing: Sequence[re.Pattern[str]],
) -> Finding | None:
    """A finding when the bot hung up first without its closing line or too early."""
    sessions = _sessions(events)
    number = max(0, len(sessions) - 1)
    said = [(i, e) for i, e in (sessions[-1] if sessions else [])
            if e.get("event") == "bot" and e.get("text")]
    if not said or not _is_response(said[-1][1], CLOSING_RESPONSES, closing):
        turn = said[-1][0] if said else None
        return Finding("bot_hung_up_first", number, "no closing line", turn)
    index, last = said[-1]
    reason = str(call.get("end_reason") or "")
    required = rule.required_wait(reason)
    try:
        waited = float(call["bot_hangup_at"]) - float(last["timestamp"])
    except (KeyError, TypeError, ValueError):
        return None  # no times to compare: the closing line was said, nothing more to tell
    if waited + rule.tolerance_s < required:
        return Finding("bot_hung_up_first", number,
                       f"{waited:.1f}s after the closing line ({reason or 'end'}: {required:g}s)",
                       index)
    return None
