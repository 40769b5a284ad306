"""Script audit of one conversation (HOTLINE_SPEC §1, §6): pure, no I/O.

For every session of a transcript: the standard opening line comes first, a
standard closing line comes last (unless the conversation was handed to a
person, who then closes it, or the caller hung up: the caller leaves first, §1),
nothing is said after a closing line or after the caller hung up, no bot or agent
turn contains a forbidden phrase (bot.compliance, tolerant of punctuation,
spacing and script), and no line is sent with a value missing: a `{slot}` left in
the text, or a response's placeholder filled with an empty, blank or `None` value
(the text is matched against the variations of its response in the domain).

A conversation still going on (`live=True`, as the test suite audits after each
test) needs a closing line in its last session only once that session has ended:
it was closed (`session_closed`), the caller hung up, or the call is over.

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
    # missing_opening | missing_closing | spoke_after_closing | spoke_after_hangup |
    # forbidden_phrase | unfilled_value | bot_hung_up_first
    kind: str
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


# Call statuses after which a phone call is over (the provider's terminal statuses).
TERMINAL_CALL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
# A placeholder left unfilled: `{ticket_promised_time}`.
UNFILLED_SLOT = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
# What a placeholder may have been filled with that is no value at all.
BLANK_VALUE = re.compile(r"\s*(?:None|null|undefined)?\s*", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


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


@dataclass(frozen=True)
class Variation:
    """One response variation as regexes: each placeholder is a group that may be blank
    (`loose`) or must hold a value (`filled`)."""

    response: str
    placeholders: tuple[str, ...]
    loose: re.Pattern[str]
    filled: re.Pattern[str]

    @classmethod
    def of(cls, response: str, text: str) -> Variation:
        parts = _PLACEHOLDER.split(text)  # literal, name, literal, name, ..., literal
        literals = [re.escape(literal) for literal in parts[0::2]]
        loose = "(.*?)".join(literals)
        filled = r"(\s*\S.*?)".join(literals)
        return cls(response, tuple(parts[1::2]), re.compile(f"^{loose}$", re.DOTALL),
                   re.compile(f"^{filled}$", re.DOTALL))

    def blank_placeholders(self, text: str) -> list[str] | None:
        """None when the text is not this variation (or it has nothing to fill); else the
        placeholders filled with a blank or `None` value (empty: every one has a value)."""
        if not self.placeholders:
            return None
        filled = self.filled.match(text)
        if filled is not None:
            return [name for name, value in zip(self.placeholders, filled.groups(), strict=True)
                    if BLANK_VALUE.fullmatch(value)]
        loose = self.loose.match(text)
        if loose is None:
            return None
        return [name for name, value in zip(self.placeholders, loose.groups(), strict=True)
                if BLANK_VALUE.fullmatch(value)] or list(self.placeholders)


def response_variations(domain: Mapping[str, Any]) -> dict[str, list[Variation]]:
    """Every text variation of every domain response, by response name."""
    found: dict[str, list[Variation]] = {}
    for name, variants in (domain.get("responses") or {}).items():
        for variant in variants or []:
            text = str(variant.get("text") or "") if isinstance(variant, Mapping) else ""
            if text:
                found.setdefault(str(name), []).append(Variation.of(str(name), text))
    return found


def unfilled_values(
    text: str, response: str | None, variations: Mapping[str, Sequence[Variation]]
) -> list[str]:
    """What is missing in a bot text: `{slot}`s left in it, or the placeholders of its
    response that were filled with a blank value (the text matches a variation only
    with them blank). `response` is the event's response name; without one, every
    response is tried."""
    missing = [f"{{{name}}} left in the text" for name in
               dict.fromkeys(m.group(0)[1:-1] for m in UNFILLED_SLOT.finditer(text))]
    if missing:
        return missing
    candidates = variations.get(response, []) if response else [
        v for group in variations.values() for v in group]
    blank: list[str] = []
    for variation in candidates:
        result = variation.blank_placeholders(text)
        if result == []:
            return []  # a variation matches with every value filled
        if result:
            blank = [f"{variation.response}: {{{name}}} is blank" for name in result]
    return blank


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


def split_sessions(
    events: Sequence[Mapping[str, Any]],
) -> list[list[tuple[int, Mapping[str, Any]]]]:
    """The sessions of a transcript as the audit numbers them (`Finding.session`)."""
    return _sessions(events)


def _intent(event: Mapping[str, Any]) -> str:
    return str(((event.get("parse_data") or {}).get("intent") or {}).get("name") or "")


def _caller_hung_up(session: Sequence[tuple[int, Mapping[str, Any]]]) -> int | None:
    """The index of the caller's hang-up (`/hangup` from the channel) in the session."""
    return next((i for i, e in session if e.get("event") == "user" and _intent(e) == "hangup"),
                None)


def _closed(session: Sequence[tuple[int, Mapping[str, Any]]]) -> bool:
    return any(e.get("event") == "slot" and e.get("name") == "session_closed" and e.get("value")
               for _, e in session)


def audit_transcript(
    conversation_id: str,
    events: Sequence[Mapping[str, Any]],
    *,
    matcher: ForbiddenPhraseMatcher | None = None,
    domain: Mapping[str, Any] | None = None,
    call: Mapping[str, str] | None = None,
    hangup: HangupRule | None = None,
    live: bool = False,
) -> AuditResult:
    """Audit a tracker's events (Rasa's serialised event dicts); `call` is the phone
    call's record when the conversation was a call (its id is the CallSid). `live`: the
    conversation may still be going on (see the module docstring)."""
    domain = domain or {}
    lines = _Lines(
        matcher=matcher or default_matcher(),
        opening=response_patterns(domain, OPENING_RESPONSES),
        closing=response_patterns(domain, CLOSING_RESPONSES),
        variations=response_variations(domain),
    )
    call_over = str((call or {}).get("status") or "") in TERMINAL_CALL_STATUSES
    findings: list[Finding] = []
    sessions = _sessions(events)
    for number, session in enumerate(sessions):
        ended = not live or number < len(sessions) - 1 or _closed(session) or call_over
        findings += _audit_session(number, session, lines, ended)
    hung_up_by = (call or {}).get("hung_up_by") or None
    if hung_up_by == "bot":
        finding = _bot_hangup(events, call or {}, hangup or HangupRule(), lines.closing)
        if finding is not None:
            findings.append(finding)
    return AuditResult(conversation_id, tuple(findings), hung_up_by)


@dataclass(frozen=True)
class _Lines:
    """What the audit recognises lines by."""

    matcher: ForbiddenPhraseMatcher
    opening: list[re.Pattern[str]]
    closing: list[re.Pattern[str]]
    variations: dict[str, list[Variation]]


def _audit_session(
    number: int, session: Sequence[tuple[int, Mapping[str, Any]]], lines: _Lines, ended: bool
) -> list[Finding]:
    said = [(i, e) for i, e in session if e.get("event") == "bot" and e.get("text")]
    if not said:
        return []
    findings: list[Finding] = []
    first_index, first = said[0]
    if not _is_response(first, OPENING_RESPONSES, lines.opening):
        findings.append(Finding("missing_opening", number, first.get("text", ""), first_index))
    closing_at = next(
        (i for i, e in said if _is_response(e, CLOSING_RESPONSES, lines.closing)), None)
    hung_up_at = _caller_hung_up(session)
    late = False
    for index, event in said:
        if closing_at is not None and index > closing_at:
            findings.append(Finding("spoke_after_closing", number, event.get("text", ""), index))
            late = True
        elif hung_up_at is not None and index > hung_up_at:
            findings.append(Finding("spoke_after_hangup", number, event.get("text", ""), index))
            late = True
    handed_off = any(
        e.get("event") == "slot" and e.get("name") == "handed_off" and e.get("value")
        for _, e in session
    )
    last_index, last = said[-1]
    needs_closing = ended and not handed_off and hung_up_at is None
    if needs_closing and not late and not _is_response(last, CLOSING_RESPONSES, lines.closing):
        findings.append(Finding("missing_closing", number, last.get("text", ""), last_index))
    for index, event in said:
        text = event.get("text") or ""
        for hit in lines.matcher.find(text):
            findings.append(Finding("forbidden_phrase", number, hit.phrase, index))
        response = (event.get("metadata") or {}).get("utter_action")
        for missing in unfilled_values(text, response, lines.variations):
            findings.append(Finding("unfilled_value", number, f"{missing}: {text}", index))
    return findings


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
