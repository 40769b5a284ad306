"""The provider's side of the webhook protocol: a scriptable phone call.

`PhoneCall` does what the telephony provider does for one call: it posts the
form-encoded, signed (X-Twilio-Signature) webhook requests, parses the TwiML
answers, and follows them verb by verb as far as a caller would hear them. The
call simulator and the tests drive calls with it.
"""

from __future__ import annotations

import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import urljoin

import requests
from twilio.request_validator import RequestValidator

DEFAULT_BASE_PATH = "/webhooks/phone"


@dataclass
class Step:
    """One TwiML answer."""

    status: int
    body: str
    url: str = ""
    root: Optional[ET.Element] = None

    @classmethod
    def of(cls, response: requests.Response, url: str) -> Step:
        root = None
        body = response.content.decode("utf-8", errors="replace")
        if response.status_code == 200 and body.lstrip().startswith("<"):
            root = ET.fromstring(response.content)  # bytes: the XML declaration's encoding
        return cls(response.status_code, body, url, root)

    @property
    def verbs(self) -> list[ET.Element]:
        return list(self.root) if self.root is not None else []

    @property
    def names(self) -> list[str]:
        return [verb.tag for verb in self.verbs]

    def find(self, tag: str) -> Optional[ET.Element]:
        return next((v for v in self.verbs if v.tag == tag), None)

    @property
    def gather(self) -> Optional[ET.Element]:
        return self.find("Gather")

    @property
    def spoken(self) -> list[str]:
        """Everything said or played, in order (inside a Gather too)."""
        lines: list[str] = []
        for element in self.root.iter() if self.root is not None else []:
            if element.tag == "Say":
                lines.append("".join(element.itertext()).strip())
            elif element.tag == "Play":
                lines.append(f"[play {(element.text or '').strip()}]")
        return lines

    @property
    def ends_call(self) -> bool:
        return self.find("Hangup") is not None

    @property
    def pause_s(self) -> float:
        """The total `<Pause>` length of the answer (TwiML's default length is 1 s): what
        a provider waits before it follows the answer's `<Redirect>`."""
        return sum(float(verb.get("length") or 1) for verb in self.verbs if verb.tag == "Pause")

    @property
    def redirect(self) -> Optional[str]:
        verb = self.find("Redirect")
        return (verb.text or "").strip() if verb is not None else None

    @property
    def transfer(self) -> Optional[ET.Element]:
        enqueue = self.find("Enqueue")  # (an Element without children is falsy)
        return enqueue if enqueue is not None else self.find("Dial")


@dataclass
class PhoneCall:
    base_url: str
    auth_token: str
    caller: str = "+8613800138000"
    called: str = "+864008001234"
    call_sid: str = field(default_factory=lambda: "CA" + uuid.uuid4().hex)
    base_path: str = DEFAULT_BASE_PATH
    direction: str = "inbound"
    timeout_s: float = 30.0
    sign: bool = True
    last: Optional[Step] = None
    started_at: float = field(default_factory=time.monotonic)
    timings: list[float] = field(default_factory=list)  # seconds per webhook request
    session: requests.Session = field(default_factory=requests.Session)

    def url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}{self.base_path}/{path.lstrip('/')}"

    def params(self, **extra: Any) -> dict[str, str]:
        base = {
            "AccountSid": "AC" + "0" * 32,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "CallStatus": "in-progress",
            "Direction": self.direction,
            "From": self.caller,
            "To": self.called,
            "Caller": self.caller,
            "Called": self.called,
        }
        base.update({k: str(v) for k, v in extra.items() if v is not None})
        return base

    def signature(self, url: str, params: Mapping[str, str]) -> str:
        return str(RequestValidator(self.auth_token).compute_signature(url, dict(params)))

    def post(self, url: str, params: Mapping[str, str],
             headers: Optional[Mapping[str, str]] = None) -> Step:
        url = urljoin(self.url("voice"), url)
        sent = dict(headers or {})
        if self.sign:
            sent.setdefault("X-Twilio-Signature", self.signature(url, params))
        started = time.perf_counter()
        response = self.session.post(url, data=dict(params), headers=sent, timeout=self.timeout_s)
        self.timings.append(time.perf_counter() - started)
        step = Step.of(response, url)
        if step.root is not None:
            self.last = step
        return step

    # --- what a caller does --------------------------------------------------

    def dial(self) -> Step:
        """The call comes in: the provider asks for the first TwiML."""
        return self.post(self.url("voice"), self.params(CallStatus="ringing"))

    def _action(self) -> str:
        gather = self.last.gather if self.last else None
        if gather is None:
            raise AssertionError(f"the last answer does not listen: {self.last and self.last.body}")
        return gather.get("action", "")

    def say(self, text: str, confidence: float = 0.92) -> Step:
        return self.post(self._action(), self.params(SpeechResult=text, Confidence=confidence))

    def press(self, digits: str) -> Step:
        return self.post(self._action(), self.params(Digits=digits))

    def stay_silent(self) -> Step:
        """The Gather timed out: the provider posts an empty result."""
        return self.post(self._action(), self.params())

    def follow_redirect(self) -> Step:
        """The caller stayed on the line through a pause: the Redirect is requested."""
        target = self.last.redirect if self.last else None
        if not target:
            raise AssertionError("the last answer has no Redirect")
        return self.post(target, self.params())

    def transfer_ended(self, result: str = "bridged") -> Step:
        """The Enqueue/Dial ended: its action is requested with the result."""
        verb = self.last.transfer if self.last else None
        if verb is None:
            raise AssertionError("the last answer does not transfer")
        key = "QueueResult" if verb.tag == "Enqueue" else "DialCallStatus"
        return self.post(verb.get("action", ""), self.params(**{key: result}))

    def hang_up(self, status: str = "completed", path: str = "status") -> Step:
        """The call is over: the provider's status callback."""
        duration = max(1, int(time.monotonic() - self.started_at))
        return self.post(self.url(path), self.params(CallStatus=status, CallDuration=duration))
