"""What the dialogue's messages mean on a phone line.

The dialogue answers with Rasa message dicts (text, buttons, custom JSON, and
`utter_action` when the message came from a domain response). On the phone:

- text is spoken without emoji, links or markup; a message with buttons but no
  text speaks the button titles; images and attachments are dropped;
- `{"custom": {"hotline": {"event": "end" | "handoff", ...}}}` is a control
  message: the call ends, or the caller goes to a person, after the speech;
- a response the company recorded (hotline.yml `telephony.recordings`) is
  played instead of synthesised;
- the recording notice (`utter_recording_notice`) follows the opening line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from channels.voice.config import VoiceConfig
from channels.voice.text import voice_text

CONTROL_EVENTS = ("end", "handoff")


@dataclass(frozen=True)
class Spoken:
    text: str
    play_url: str = ""
    response: str = ""


@dataclass(frozen=True)
class Control:
    event: str  # end | handoff
    reason: str
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def priority(self) -> bool:
        return bool(self.data.get("priority"))

    @property
    def ticket_id(self) -> str:
        return str(self.data.get("ticket_id") or "")

    def hangup_after_s(self) -> Optional[int]:
        """Seconds to the hang-up of a scripted ending; None: wait for the caller."""
        try:
            return max(0, min(int(self.data["hangup_after_s"]), 60))
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class VoicePlan:
    spoken: tuple[Spoken, ...]
    control: Optional[Control] = None
    last_response: str = ""
    last_text: str = ""


def control_of(message: Mapping[str, Any]) -> Optional[Control]:
    custom = message.get("custom")
    if not isinstance(custom, Mapping):
        return None
    data = custom.get("hotline")
    if not isinstance(data, Mapping) or data.get("event") not in CONTROL_EVENTS:
        return None
    return Control(event=str(data["event"]), reason=str(data.get("reason") or ""), data=data)


def spoken_text(message: Mapping[str, Any]) -> str:
    text = voice_text(message.get("text"))
    if text:
        return text
    buttons = message.get("buttons") or message.get("quick_replies") or []
    titles = [voice_text(str(b.get("title", ""))) for b in buttons if isinstance(b, Mapping)]
    return ",".join(title for title in titles if title)


def plan_messages(
    messages: Iterable[Mapping[str, Any]], cfg: VoiceConfig, opening_turn: bool = False,
    notice: str = "",
) -> VoicePlan:
    """Spoken items and the control message (first one wins) of one dialogue turn;
    `notice` is the recording notice's text, said after the opening."""
    spoken: list[Spoken] = []
    control: Optional[Control] = None
    last_response = last_text = ""
    notice_due = opening_turn and bool(notice or cfg.recording_notice_url)
    for message in messages:
        found = control_of(message)
        if found is not None:
            control = control or found
            continue
        text = spoken_text(message)
        response = str(message.get("utter_action") or "")
        play_url = cfg.recordings.get(response, "") if response else ""
        if not text and not play_url:
            continue
        spoken.append(Spoken(text=text, play_url=play_url, response=response))
        last_response, last_text = response, text
        if notice_due and (response == cfg.opening_response or not response):
            spoken.append(Spoken(text=notice, play_url=cfg.recording_notice_url))
            notice_due = False
    return VoicePlan(tuple(spoken), control, last_response, last_text)
