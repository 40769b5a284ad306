"""Script audit of one conversation (HOTLINE_SPEC §1, §6): pure, no I/O.

For every session of a transcript: the standard opening line comes first, a
standard closing line comes last (unless the conversation was handed to a
person, who then closes it), and no bot or agent turn contains a forbidden
phrase (bot.compliance, tolerant of punctuation, spacing and script).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.compliance import ForbiddenPhraseMatcher, default_matcher

OPENING_RESPONSES = frozenset({"utter_opening"})
CLOSING_RESPONSES = frozenset({
    "utter_closing", "utter_malicious_closing", "utter_silence_closing",
    "utter_low_volume_closing", "utter_noisy_line_closing", "utter_personal_call",
    "utter_idle_closing",
})


@dataclass(frozen=True)
class Finding:
    kind: str  # missing_opening | missing_closing | forbidden_phrase
    session: int
    detail: str = ""
    turn: int | None = None  # index of the event in the tracker's event list


@dataclass(frozen=True)
class AuditResult:
    conversation_id: str
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "passed": self.passed,
            "findings": [f.__dict__ for f in self.findings],
        }


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
) -> AuditResult:
    """Audit a tracker's events (Rasa's serialised event dicts)."""
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
    return AuditResult(conversation_id, tuple(findings))
