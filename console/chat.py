"""A transcript as a conversation: bubbles for what the caller, the bot and agents said,
and readable rows for what happened (hand-off, hang-up, ticket filed, survey score,
silence, take-over …). Reads the tracker's event dicts (no Rasa imports).

Control messages to the channel (`{"hotline": {...}}` bot events) and channel events sent
as `/intent` user messages become event rows, never bot or caller lines. Numbers are
masked with `bot.masking.mask_sensitive` unless `reveal`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.masking import mask_sensitive

# Caller states marked on the caller's bubble (the intent's label is the marker's text).
MARKED_INTENTS = frozenset({"angry", "malicious"})
# Slots that are worth a row when set: ticket filed, survey score.
TICKET_SLOT, SATISFACTION_SLOT = "ticket_id", "satisfaction"
IGNORED_ACTIONS = frozenset({"action_listen", "action_session_start",
                             "action_extract_slots"})
# What the channels send as `/intent` messages (domain.yml "channel events"): event rows.
CHANNEL_EVENTS = frozenset({"silence", "low_volume", "noisy_line", "dialect", "too_quiet_bot",
                            "idle_timeout", "hangup", "handoff_finished", "handoff_failed"})


@dataclass
class Bubble:
    index: int
    speaker: str  # caller | bot | agent
    text: str
    at: float | None
    agent: str = ""
    intent: str = ""
    confidence: float | None = None
    entities: list[dict[str, str]] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)  # what the bot ran after this turn
    response: str = ""  # the domain response (utter_…) of a bot line
    marker: str = ""  # angry | malicious
    buttons: list[str] = field(default_factory=list)  # quick replies offered
    findings: list[dict[str, Any]] = field(default_factory=list)  # script-audit findings
    kind: str = "bubble"


@dataclass
class EventRow:
    index: int
    event: str  # a code of console.labels `event`
    at: float | None
    data: dict[str, Any] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    kind: str = "event"


def _control(event: Mapping[str, Any]) -> dict[str, Any] | None:
    custom = (event.get("data") or {}).get("custom")
    if isinstance(custom, Mapping) and isinstance(custom.get("hotline"), Mapping):
        return dict(custom["hotline"])
    return None


def _buttons(event: Mapping[str, Any]) -> list[str]:
    data = event.get("data") or {}
    found = []
    for button in (data.get("quick_replies") or []) + (data.get("buttons") or []):
        if isinstance(button, Mapping) and button.get("title"):
            found.append(str(button["title"]))
    return found


def conversation(
    events: Iterable[Mapping[str, Any]],
    *,
    reveal: bool = False,
    channel_events: Iterable[str] = CHANNEL_EVENTS,
    findings: Iterable[Mapping[str, Any]] = (),
) -> list[Bubble | EventRow]:
    """The items of a transcript in order. `channel_events`: intents the channels send as
    `/intent` messages (shown as rows); `findings`: the script audit's (by event index)."""
    show: Callable[[str], str] = (lambda text: text) if reveal else mask_sensitive
    rows = set(channel_events)
    items: list[Bubble | EventRow] = []
    last_caller: Bubble | None = None
    for index, event in enumerate(events):
        kind, at = event.get("event"), event.get("timestamp")
        at = at if isinstance(at, (int, float)) and not isinstance(at, bool) else None
        if kind == "user":
            parse = event.get("parse_data") or {}
            intent = str((parse.get("intent") or {}).get("name") or "")
            text = str(event.get("text") or "")
            display = (event.get("metadata") or {}).get("display_text")
            if text.startswith("/") and not display:
                items.append(EventRow(index, intent if intent in rows else "menu", at,
                                      {"intent": intent}))
                last_caller = None
                continue
            confidence = (parse.get("intent") or {}).get("confidence")
            last_caller = Bubble(
                index, "caller", show(str(display or text)), at, intent=intent,
                confidence=float(confidence) if isinstance(confidence, (int, float)) else None,
                entities=[{"entity": str(e.get("entity", "")),
                           "value": show(str(e.get("value", "")))}
                          for e in parse.get("entities") or [] if isinstance(e, Mapping)],
                marker=intent if intent in MARKED_INTENTS else "")
            items.append(last_caller)
        elif kind == "bot":
            control = _control(event)
            metadata = event.get("metadata") or {}
            if control is not None:
                code = str(control.get("event") or "")
                data = {k: v for k, v in control.items() if k != "event"}
                items.append(EventRow(index, code, at, data))
                continue
            text = str(event.get("text") or "")
            if not text:
                continue
            agent = str(metadata.get("agent") or "")
            items.append(Bubble(index, "agent" if agent else "bot", show(text), at,
                                agent=agent, response=str(metadata.get("utter_action") or ""),
                                buttons=_buttons(event)))
        elif kind == "action":
            name = str(event.get("name") or "")
            if last_caller is not None and name and name not in IGNORED_ACTIONS:
                last_caller.actions.append(name)
        elif kind == "slot":
            name, value = event.get("name"), event.get("value")
            if name == TICKET_SLOT and value:
                items.append(EventRow(index, "ticket_created", at, {"ticket": str(value)}))
            elif name == SATISFACTION_SLOT and isinstance(value, (int, float)) and value:
                items.append(EventRow(index, "satisfaction", at, {"score": int(value)}))
        elif kind == "session_started":
            items.append(EventRow(index, "session_started", at))
            last_caller = None
    by_index = {item.index: item for item in items}
    for finding in findings:
        turn = finding.get("turn")
        if isinstance(turn, int) and turn in by_index:
            by_index[turn].findings.append(dict(finding))
    return items
