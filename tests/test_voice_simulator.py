"""The call simulator's view of TwiML, and its loop, with a canned provider."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from typing import Any

from channels.voice import simulator
from channels.voice.phone import PhoneCall, Step

GATHER = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Gather action="http://x/webhooks/phone/voice?t=1" input="speech dtmf" timeout="5" '
    'numDigits="1"><Say language="zh-CN">您好,请问有什么可以帮助您?</Say></Gather>'
    '<Redirect method="POST">http://x/webhooks/phone/voice?t=1</Redirect></Response>'
)
LOUD = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="http://x/v?t=2" '
    'finishOnKey="#" timeout="10"><Say><prosody volume="x-loud">请您留下联系电话</prosody></Say>'
    '</Gather></Response>'
)
TRANSFER = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Say>好的,正在为您转接人工客服,请稍等。</Say>'
    '<Enqueue action="http://x/webhooks/phone/handoff?t=3">hotline</Enqueue></Response>'
)
ENDING = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Say>再见!</Say><Pause length="10" />'
    '<Redirect method="POST">http://x/webhooks/phone/hangup?reason=goodbye</Redirect></Response>'
)
HANGUP = '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup /></Response>'


class CannedCall(PhoneCall):
    """Answers each request with the next canned TwiML and records what was sent."""

    def __init__(self, answers: list[str]) -> None:
        super().__init__("http://x", "token")
        self.answers = iter(answers)
        self.sent: list[dict[str, str]] = []

    def post(self, url: str, params: Any, headers: Any = None) -> Step:
        self.sent.append({"url": url, **params})
        body = next(self.answers, '<?xml version="1.0"?><Response />')
        step = Step(200, body, url, ET.fromstring(body))
        self.last = step
        return step


def test_describe_shows_what_a_caller_hears() -> None:
    lines = simulator.describe(Step(200, LOUD, "", ET.fromstring(LOUD)))
    assert lines[0].endswith("请您留下联系电话 (louder)")
    assert "keys up to '#'" in lines[1]
    assert simulator.describe(Step(403, "invalid signature")) == [
        "  !! HTTP 403: invalid signature"]


def test_run_plays_speech_keys_silence_transfer_and_the_end() -> None:
    call = CannedCall([GATHER, LOUD, GATHER, TRANSFER, GATHER, ENDING, HANGUP])
    typed = iter(["我要投诉", "#13912345678#", "", "", "再见"])
    out = io.StringIO()
    simulator.run(call, lambda prompt: next(typed), out)
    sent = call.sent
    assert sent[0]["CallStatus"] == "ringing"
    assert sent[1]["SpeechResult"] == "我要投诉"
    assert sent[2]["Digits"] == "13912345678#"
    assert "SpeechResult" not in sent[3] and "Digits" not in sent[3]  # a silent turn
    assert sent[4]["QueueResult"] == "bridged"  # enter: the agent finishes
    assert sent[6]["url"].endswith("/hangup?reason=goodbye")  # stayed on through the pause
    assert sent[7]["CallStatus"] == "completed"  # the status callback at the end
    shown = out.getvalue()
    assert "转接" in shown and "pause 10 s" in shown and "the line goes dead" in shown
