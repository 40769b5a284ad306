"""Expectations of one turn and of one conversation, by response NAME.

A bot line's name is the tracker's `metadata.utter_action`; a line without one (a text
the assistant repeats word for word) is known by the responses whose text it matches.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bot.script_audit import CLOSING_RESPONSES, response_variations
from tests.support.conversations.model import Turn
from tests.support.transcripts import domain


@dataclass(frozen=True)
class Line:
    name: str | None  # utter_action
    names: frozenset[str]  # the name, or the responses the text matches
    text: str

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        if len(self.names) == 1:
            return next(iter(self.names))
        return f"?{self.text[:16]}"


@lru_cache(maxsize=1)
def _variations() -> dict[str, Any]:
    return response_variations(domain())


def _matching_responses(text: str) -> frozenset[str]:
    found = set()
    for name, variations in _variations().items():
        if any(v.loose.match(text) for v in variations):
            found.add(name)
    return frozenset(found)


def bot_lines(events: Sequence[Mapping[str, Any]]) -> list[Line]:
    lines = []
    for event in events:
        if event.get("event") != "bot" or not event.get("text"):
            continue
        text = str(event["text"])
        name = (event.get("metadata") or {}).get("utter_action")
        names = frozenset({name}) if name else _matching_responses(text)
        lines.append(Line(name, names, text))
    return lines


def labels(lines: Sequence[Line]) -> list[str]:
    return [line.label for line in lines]


def _in_order(expected: Sequence[str], lines: Sequence[Line]) -> bool:
    position = 0
    for line in lines:
        if position < len(expected) and expected[position] in line.names:
            position += 1
    return position == len(expected)


def _exactly(expected: Sequence[str], lines: Sequence[Line]) -> bool:
    """Exactly these lines; the opening line of a session started by this turn is left out
    unless it is expected."""
    if lines and "utter_opening" in lines[0].names and (
            not expected or expected[0] != "utter_opening"):
        lines = lines[1:]
    return len(lines) == len(expected) and all(
        name in line.names for name, line in zip(expected, lines, strict=True))


def _subsequence(texts: Sequence[str], within: Sequence[str]) -> bool:
    it = iter(within)
    return all(any(text == other for other in it) for text in texts)


def check_turn(
    number: int, turn: Turn, lines: Sequence[Line], previous: Sequence[Line],
    bind: Any,
) -> list[str]:
    """Failures of one turn; `previous` is what the bot said in the turn before."""
    expect = turn.expect
    got = labels(lines)
    failures: list[str] = []

    def fail(what: str) -> None:
        failures.append(f"turn {number} ({bind(turn.describe())}): {what} — got {got}")

    if "says" in expect:
        missing = [n for n in expect["says"] if not any(n in line.names for line in lines)]
        if missing:
            fail(f"says {expect['says']} (missing {missing})")
    if "says_in_order" in expect and not _in_order(expect["says_in_order"], lines):
        fail(f"says_in_order {expect['says_in_order']}")
    if "says_exactly" in expect and not _exactly(expect["says_exactly"], lines):
        fail(f"says_exactly {expect['says_exactly']}")
    for pattern in expect.get("says_like", []):
        if not any(fnmatch.fnmatchcase(n, pattern) for line in lines for n in line.names):
            fail(f"says_like {pattern}")
    said_forbidden = [n for n in expect.get("not_says", [])
                      if any(n in line.names for line in lines)]
    if said_forbidden:
        fail(f"not_says {said_forbidden}")
    if "ends_with" in expect and not (lines and any(
            fnmatch.fnmatchcase(n, expect["ends_with"]) for n in lines[-1].names)):
        fail(f"ends_with {expect['ends_with']}")
    joined = "\n".join(line.text for line in lines)
    for text in expect.get("text_contains", []):
        if bind(text) not in joined:
            fail(f"text_contains {bind(text)!r} (said {joined!r})")
    for text in expect.get("text_not_contains", []):
        if bind(text) in joined:
            fail(f"text_not_contains {bind(text)!r}")
    if expect.get("reasks_pending"):
        pending = previous[-1] if previous else None
        last = lines[-1] if lines else None
        same = pending is not None and last is not None and (
            bool(pending.names & last.names) if pending.names and last.names
            else pending.text == last.text)
        if not same:
            fail(f"reasks_pending {pending.label if pending else None}")
    if expect.get("repeats_previous"):
        before = [line.text for line in previous if "utter_opening" not in line.names]
        if not before or not _subsequence(before, [line.text for line in lines]):
            fail(f"repeats_previous {labels(previous)}")
    if expect.get("says_nothing"):
        if lines:
            fail("says_nothing")
    elif turn.kind != "hangup" and not lines:
        failures.append(f"turn {number} ({bind(turn.describe())}): not answered (no line)")
    return failures


def not_from_the_domain(lines: Sequence[Line]) -> list[Line]:
    """Lines that are no domain.yml response (every line the assistant says is one)."""
    known = set(_variations())
    return [line for line in lines if not line.names & known]


def is_closing(line: Line) -> bool:
    return bool(line.names & CLOSING_RESPONSES)
