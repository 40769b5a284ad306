"""One conversation on one channel: the caller's side of REST, TwiML webhooks, Socket.IO.

A player sends each turn the way its channel's clients do and reports transport
problems (an HTTP error, TwiML that does not listen when the caller must speak, a refused
Socket.IO message). What the bot said is read from the tracker by the runner, the same
way on every channel.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from channels.voice.phone import Step
from channels.webchat.client import WebchatClient
from tests.support.conversations.model import Turn
from tests.support.provider import FaithfulPhoneCall, pause_s

# What a REST client sends for the inputs that are not the caller's words: channel events
# and the widget's buttons go in the `payload` field (docs/DIALOGUE.md, "Caller text is text").
REST_PAYLOADS = {
    "silence": "/silence",
    "idle": "/idle_timeout",
}
HANDOFF_PAYLOADS = {"finished": "/handoff_finished", "failed": "/handoff_failed"}
PHONE_RESULTS = {"finished": "bridged", "failed": "failed"}
DEFAULT_CONFIDENCE = 0.92
# Web chat: at most 5 messages a second per conversation; a person types slower than this.
TYPING_INTERVAL_S = 0.3


@dataclass
class Played:
    problems: list[str] = field(default_factory=list)
    fatal: bool = False  # the conversation cannot go on (e.g. the call no longer listens)


class Player(Protocol):
    conversation_id: str

    def start(self) -> Played: ...

    def play(self, turn: Turn, value: str) -> Played: ...

    def finish(self) -> Played: ...


class RestPlayer:
    def __init__(self, base_url: str, prefix: str, token: str = "") -> None:
        self.base_url = base_url
        self.token = token
        self.url = f"{base_url}/webhooks/rest/webhook"
        self.conversation_id = f"conv-{prefix}-{uuid.uuid4().hex[:10]}"
        self.session = requests.Session()

    def start(self) -> Played:
        return Played()

    def _post(self, body: dict[str, Any]) -> Played:
        response = self.session.post(self.url, json={"sender": self.conversation_id, **body},
                                     timeout=90)
        if response.status_code != 200:
            return Played([f"REST answered HTTP {response.status_code}: {response.text[:120]}"])
        return Played()

    def play(self, turn: Turn, value: str) -> Played:
        if turn.kind == "user":
            return self._post({"message": value})
        if turn.kind == "payload":
            return self._post({"payload": value})
        if turn.kind == "handoff_returns":
            return self._hand_back(HANDOFF_PAYLOADS[value].lstrip("/"))
        if turn.kind == "line":
            return self._post({"payload": f"/{value}"})
        return self._post({"payload": REST_PAYLOADS[turn.kind]})

    def _hand_back(self, intent: str) -> Played:
        """A person is done: the agent console triggers the intent through Rasa's HTTP
        API (token auth), as it does in production; no caller's client can send it."""
        response = self.session.post(
            f"{self.base_url}/conversations/{self.conversation_id}/trigger_intent",
            params={"token": self.token, "output_channel": "latest"},
            json={"name": intent}, timeout=90,
        )
        if response.status_code != 200:
            return Played([f"trigger_intent answered HTTP {response.status_code}"])
        return Played()

    def finish(self) -> Played:
        self.session.close()
        return Played()


class PhonePlayer:
    """A signed call: the provider's requests, a caller who hangs up after a closing line
    (the manual: the caller hangs up first), or stays on after a scripted ending (silent
    line …) until the bot hangs up after the pause."""

    def __init__(self, base_url: str, auth_token: str, caller: str) -> None:
        self.call = FaithfulPhoneCall(base_url, auth_token, caller=caller)
        self.conversation_id = self.call.call_sid
        self.step: Step | None = None
        self.hung_up = False

    def _check(self, step: Step, what: str) -> Played:
        if step.status != 200 or step.root is None:
            return Played([f"phone {what}: HTTP {step.status} {step.body[:120]}"], fatal=True)
        self.step = step
        return Played()

    def start(self) -> Played:
        return self._check(self.call.dial(), "dial")

    def play(self, turn: Turn, value: str) -> Played:
        if turn.kind == "hangup":
            self.hung_up = True
            answer = self.call.hang_up()
            if answer.status != 200:
                return Played([f"phone status callback: HTTP {answer.status}"])
            return Played()
        if turn.kind == "handoff_returns":
            if self.step is None or self.step.transfer is None:
                return Played([f"the call is not being transferred: {self._shape()}"], fatal=True)
            return self._check(self.call.transfer_ended(PHONE_RESULTS[value]), "transfer end")
        if self.step is None or self.step.gather is None:
            return Played([f"the call does not listen for this turn: {self._shape()}"],
                          fatal=True)
        if turn.kind == "user":
            step = self.call.say(value, turn.confidence or DEFAULT_CONFIDENCE)
        elif turn.kind == "digits":
            step = self.call.press(value)
        else:  # silence: the Gather timed out
            step = self.call.stay_silent()
        return self._check(step, turn.describe())

    def _shape(self) -> str:
        return "+".join(self.step.names) if self.step is not None else "nothing"

    @property
    def ends_call(self) -> bool:
        """The last answer speaks, pauses and redirects to the hang-up (an ending)."""
        return self.step is not None and self.step.names[-2:] == ["Pause", "Redirect"]

    @property
    def transfers(self) -> bool:
        return self.step is not None and self.step.transfer is not None

    def finish(self) -> Played:
        """End the call the way the caller and the manual do; leave an open call open."""
        played = Played()
        try:
            if self.hung_up or not self.ends_call:
                return played
            if pause_s(self.step) < 10:  # a scripted ending: the bot hangs up after the pause
                final = self.call.follow_redirect()
                if final.names != ["Hangup"]:
                    played.problems.append(f"after the scripted ending: {final.names}")
            answer = self.call.hang_up()  # the caller (or the provider, after ours)
            if answer.status != 200:
                played.problems.append(f"phone status callback: HTTP {answer.status}")
            return played
        finally:
            self.call.session.close()


class WebchatPlayer:
    """The widget: one Socket.IO connection; the caller types no faster than the channel's
    flood limit allows (hotline.yml `webchat.max_messages_per_second`)."""

    def __init__(self, base_url: str) -> None:
        self.chat = WebchatClient(base_url)
        self.conversation_id = ""
        self.sent_at = 0.0

    def start(self) -> Played:
        self.chat.connect()
        ack = self.chat.open_session()
        if not (isinstance(ack, dict) and ack.get("ok")):
            return Played([f"web chat session refused: {ack}"], fatal=True)
        self.conversation_id = str(self.chat.session_id)
        started = self.chat.start()
        if not (isinstance(started, dict) and started.get("ok")):
            return Played([f"web chat start refused: {started}"], fatal=True)
        self.chat.next_message(timeout=30)  # the opening line
        return Played()

    def play(self, turn: Turn, value: str) -> Played:
        time.sleep(max(0.0, self.sent_at + TYPING_INTERVAL_S - time.monotonic()))
        self.sent_at = time.monotonic()
        if turn.kind == "idle":  # the widget's own event
            ack = self.chat.say("idle", payload="/idle_timeout")
        elif turn.kind == "payload":  # a button: its payload beside the title shown
            ack = self.chat.say(value, display_text=value, payload=value)
        else:
            ack = self.chat.say(value)
        self.chat.drain(settle_s=0)  # dropped unread: the runner reads the turn from Redis
        if not (isinstance(ack, dict) and ack.get("ok")):
            return Played([f"web chat refused the message: {ack}"])
        return Played()

    def finish(self) -> Played:
        self.chat.close()
        return Played()
