"""Telephony channel, webhook protocol: signatures, duplicates, turns, hang-ups, failures.

The webhook logic runs against a real Redis and a scripted dialogue (the whole
stack with Rasa is exercised in test_voice_calls.py).
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Optional, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import redis
from twilio.request_validator import RequestValidator

from channels.lines import DomainLines
from channels.voice.config import VoiceConfig
from channels.voice.store import CallStore
from channels.voice.twiml import Urls
from channels.voice.webhook import VoiceWebhook, WebhookRequest, WebhookResponse
from tests.support.processes import RedisServer, free_port

TOKEN = "test-auth-token-0123456789"
ENV = {"TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": "https://hotline.example.com"}
URLS = Urls("https://hotline.example.com/webhooks/phone")
OPENING = {
    "text": "您好,欢迎致电优品商城客户服务热线,客服代表小优很高兴为您服务,请问有什么可以帮助您!",
    "utter_action": "utter_opening",
}
T = TypeVar("T")
Reply = Callable[[str], list[dict[str, Any]]]


class ScriptedDialogue:
    """Answers like the dialogue would, and remembers what it was sent."""

    def __init__(self, reply: Optional[Reply] = None, requested: Optional[str] = None) -> None:
        self.reply = reply or (lambda text: [{"text": "好的。"}])
        self.requested = requested
        self.started: list[tuple[str, Mapping[str, Any]]] = []
        self.sent: list[tuple[str, str, Mapping[str, Any]]] = []

    async def start(self, sid: str, metadata: Mapping[str, Any]) -> list[dict[str, Any]]:
        self.started.append((sid, metadata))
        return [dict(OPENING)]

    async def send(self, sid: str, text: str, metadata: Mapping[str, Any]) -> list[dict[str, Any]]:
        self.sent.append((sid, text, metadata))
        return self.reply(text)

    async def requested_slot(self, sid: str) -> Optional[str]:
        return self.requested

    async def intent_of(self, text: str) -> Optional[str]:
        return None

    @property
    def texts(self) -> list[str]:
        return [text for _, text, _ in self.sent]


def run(make: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(make())


# What the channel says itself: domain.yml responses for the phone (channels/lines.py).
LINES = DomainLines("phone")

@pytest.fixture()
def redis_url(redis_client: redis.Redis[bytes], redis_server: RedisServer) -> str:
    return f"redis://127.0.0.1:{redis_server.port}/1"


@pytest.fixture(scope="module")
def cfg() -> VoiceConfig:
    return VoiceConfig.load({}, env=ENV)


class Call:
    """Signed provider requests for one call, straight into the webhook object."""

    def __init__(self, hooks: VoiceWebhook, sid: str = "CA" + "1" * 32) -> None:
        self.hooks = hooks
        self.sid = sid
        self.action = f"{URLS.base}/voice"

    def request(self, url: str, extra: Optional[Mapping[str, str]] = None,
                token: str = TOKEN, sid: Optional[str] = None) -> WebhookRequest:
        params = {"CallSid": self.sid if sid is None else sid, "From": "+8613912345678",
                  "To": "+864008001234", "Direction": "inbound", "CallStatus": "in-progress",
                  **(extra or {})}
        if not params["CallSid"]:
            del params["CallSid"]
        split = urlsplit(url)
        return WebhookRequest(
            path=split.path.rsplit("/webhooks/phone/", 1)[1],
            query=dict(parse_qsl(split.query)),
            form={k: [v] for k, v in params.items()},
            urls=(url,),
            signature=RequestValidator(token).compute_signature(url, params),
            body_size=len(urlencode(params)),
        )

    async def post(self, dialogue: ScriptedDialogue, url: Optional[str] = None,
                   **extra: str) -> WebhookResponse:
        req = self.request(url or self.action, extra)
        path = req.path
        if path == "voice":
            result = await self.hooks.voice(req, dialogue)
        elif path == "hangup":
            result = await self.hooks.hangup(req)
        elif path == "handoff":
            result = await self.hooks.handoff_return(req, dialogue)
        else:
            result = await self.hooks.status(req, dialogue)
        if result.status == 200:
            root = ET.fromstring(result.body)
            gather = root.find("Gather")
            if gather is not None:
                self.action = gather.get("action", "")
        return result


def hooks_for(cfg: VoiceConfig, url: str) -> VoiceWebhook:
    return VoiceWebhook(cfg, CallStore(url, cfg.record_ttl_days, cfg.dedupe_ttl_s), URLS)


def verbs(response: WebhookResponse) -> list[str]:
    assert response.status == 200, response.body
    return [v.tag for v in ET.fromstring(response.body)]


def spoken(response: WebhookResponse) -> list[str]:
    return ["".join(s.itertext()) for s in ET.fromstring(response.body).iter("Say")]


def test_signatures_and_call_ids_are_checked(cfg: VoiceConfig, redis_url: str) -> None:
    async def scenario() -> None:
        hooks = hooks_for(cfg, redis_url)
        call, dialogue = Call(hooks), ScriptedDialogue()
        forged = call.request(call.action, token="not-the-token")
        assert (await hooks.voice(forged, dialogue)).status == 403
        unsigned = call.request(call.action)
        unsigned = WebhookRequest(unsigned.path, unsigned.query, unsigned.form, unsigned.urls, "")
        assert (await hooks.voice(unsigned, dialogue)).status == 403
        # the signature covers the parameters: change one and it fails
        tampered = call.request(call.action, {"SpeechResult": "你好"})
        tampered = WebhookRequest(tampered.path, tampered.query,
                                  {**tampered.form, "SpeechResult": ["/request_human"]},
                                  tampered.urls, tampered.signature)
        assert (await hooks.voice(tampered, dialogue)).status == 403
        assert (await hooks.voice(call.request(call.action, sid=""), dialogue)).status == 400
        huge = call.request(call.action)
        huge = WebhookRequest(huge.path, huge.query, huge.form, huge.urls, huge.signature,
                              body_size=cfg.max_body_bytes + 1)
        assert (await hooks.voice(huge, dialogue)).status == 413
        assert dialogue.started == [] and dialogue.sent == []
        await hooks.store.close()

    run(scenario)


def test_a_call_opens_with_the_opening_and_caller_metadata(cfg: VoiceConfig,
                                                           redis_url: str) -> None:
    async def scenario() -> None:
        hooks = hooks_for(cfg, redis_url)
        call, dialogue = Call(hooks), ScriptedDialogue()
        first = await call.post(dialogue, CallStatus="ringing")
        assert verbs(first) == ["Gather", "Redirect"]
        assert spoken(first) == [OPENING["text"], LINES.text("utter_recording_notice")]
        sid, meta = dialogue.started[0]
        assert sid == call.sid
        assert meta == {"channel": "phone", "caller_phone": "+8613912345678",
                        "call_sid": call.sid, "direction": "inbound"}
        record = await hooks.store.call(call.sid)
        assert record["caller"] == "*********5678" and record["direction"] == "inbound"
        await hooks.store.close()

    run(scenario)


def test_duplicate_delivery_is_answered_again_without_a_second_turn(
    cfg: VoiceConfig, redis_url: str
) -> None:
    async def scenario() -> None:
        hooks = hooks_for(cfg, redis_url)
        call = Call(hooks)
        counter = iter(range(100))
        dialogue = ScriptedDialogue(lambda text: [{"text": f"第{next(counter)}次回答"}])
        await call.post(dialogue, CallStatus="ringing")
        action = call.action
        first = await call.post(dialogue, action, SpeechResult="我要查订单", Confidence="0.9")
        again = await call.post(dialogue, action, SpeechResult="我要查订单", Confidence="0.9")
        assert again.body == first.body
        assert dialogue.texts == ["我要查订单"]
        # two silent turns in a row are two turns (the turn number differs), not a duplicate
        silent_one = await call.post(dialogue)
        silent_two = await call.post(dialogue)
        assert dialogue.texts == ["我要查订单", "/silence", "/silence"]
        assert silent_one.body != silent_two.body
        await hooks.store.close()

    run(scenario)


def test_silence_ladder_to_the_hang_up(cfg: VoiceConfig, redis_url: str) -> None:
    lines = iter([
        [{"text": "您好!请问有什么可以帮助您?"}],
        [{"text": "对不起,您的电话没有声音,请您换一部电话再次打来,好吗?再见!"},
         {"custom": {"hotline": {"event": "end", "reason": "silence", "hangup_after_s": 5}}}],
    ])

    async def scenario() -> None:
        hooks = hooks_for(cfg, redis_url)
        call, dialogue = Call(hooks), ScriptedDialogue(lambda text: next(lines))
        await call.post(dialogue, CallStatus="ringing")
        assert verbs(await call.post(dialogue)) == ["Gather", "Redirect"]
        closing = await call.post(dialogue)
        assert verbs(closing) == ["Say", "Pause", "Redirect"]
        root = ET.fromstring(closing.body)
        assert root[1].get("length") == "5"
        hangup = await call.post(dialogue, root[2].text)
        assert verbs(hangup) == ["Hangup"]
        await call.post(dialogue, f"{URLS.base}/status", CallStatus="completed", CallDuration="17")
        await call.post(dialogue, f"{URLS.base}/status", CallStatus="completed", CallDuration="17")
        # the dialogue ended the conversation itself: no /hangup to reopen it
        assert dialogue.texts == ["/silence", "/silence"]
        record = await hooks.store.call(call.sid)
        assert (record["hung_up_by"], record["duration_s"], record["end_reason"]) == (
            "bot", "17", "silence")
        assert record["turns"] == "3"
        await hooks.store.close()

    run(scenario)


def test_caller_hanging_up_during_the_goodbye_pause(cfg: VoiceConfig, redis_url: str) -> None:
    async def scenario() -> None:
        hooks = hooks_for(cfg, redis_url)
        call = Call(hooks)
        dialogue = ScriptedDialogue(lambda text: [
            {"text": "感谢您的来电,欢迎再次拨打,再见!"},
            {"custom": {"hotline": {"event": "end", "reason": "goodbye"}}}])
        await call.post(dialogue, CallStatus="ringing")
        goodbye = await call.post(dialogue, SpeechResult="没有了谢谢再见", Confidence="0.9")
        assert ET.fromstring(goodbye.body)[1].get("length") == "10"
        await call.post(dialogue, f"{URLS.base}/status", CallStatus="completed", CallDuration="30")
        assert dialogue.texts == ["没有了谢谢再见"]
        assert (await hooks.store.call(call.sid))["hung_up_by"] == "caller"
        await hooks.store.close()

    run(scenario)


def test_caller_hanging_up_mid_call_closes_the_conversation_once(
    cfg: VoiceConfig, redis_url: str
) -> None:
    async def scenario() -> None:
        hooks = hooks_for(cfg, redis_url)
        call, dialogue = Call(hooks), ScriptedDialogue()
        await call.post(dialogue, CallStatus="ringing")
        await call.post(dialogue, SpeechResult="我要投诉", Confidence="0.9")
        status = f"{URLS.base}/status"
        assert verbs(await call.post(dialogue, status, CallStatus="ringing")) == []
        await call.post(dialogue, status, CallStatus="completed", CallDuration="42")
        await call.post(dialogue, status, CallStatus="completed", CallDuration="42")
        assert dialogue.texts == ["我要投诉", "/hangup"]
        meta = dialogue.sent[-1][2]
        assert (meta["hung_up_by"], meta["call_status"], meta["duration_s"]) == (
            "caller", "completed", "42")
        assert meta["channel"] == "phone" and meta["caller_phone"] == "+8613912345678"
        await hooks.store.close()

    run(scenario)


def test_an_unknown_call_is_treated_as_a_new_call(cfg: VoiceConfig, redis_url: str) -> None:
    async def scenario() -> None:
        hooks = hooks_for(cfg, redis_url)
        call, dialogue = Call(hooks, sid="CA" + "7" * 32), ScriptedDialogue()
        answer = await call.post(dialogue, f"{URLS.base}/voice?t=5")  # e.g. after a restart
        assert spoken(answer)[0] == OPENING["text"]
        assert len(dialogue.started) == 1 and dialogue.sent == []
        await hooks.store.close()

    run(scenario)


def test_number_entry_follows_the_requested_slot(cfg: VoiceConfig, redis_url: str) -> None:
    async def scenario() -> None:
        hooks = hooks_for(cfg, redis_url)
        call = Call(hooks)
        dialogue = ScriptedDialogue(lambda text: [{"text": "请您留下联系电话,方便我们给您回电。"}],
                                    requested="phone_number")
        await call.post(dialogue, CallStatus="ringing")
        ask = await call.post(dialogue, SpeechResult="我要投诉", Confidence="0.9")
        gather = ET.fromstring(ask.body).find("Gather")
        assert gather is not None and gather.get("finishOnKey") == "#"
        await call.post(dialogue, Digits="13912345678#")
        assert dialogue.texts[-1] == "13912345678"
        await hooks.store.close()

    run(scenario)


def test_failures_become_an_apology_then_a_person(cfg: VoiceConfig, redis_url: str) -> None:
    def broken(text: str) -> list[dict[str, Any]]:
        raise RuntimeError("action server down")

    async def scenario() -> None:
        hooks = hooks_for(cfg, redis_url)
        call, dialogue = Call(hooks), ScriptedDialogue(broken)
        await call.post(dialogue, CallStatus="ringing")
        for _ in range(cfg.max_technical_errors):
            sorry = await call.post(dialogue, SpeechResult="查订单", Confidence="0.9")
            assert verbs(sorry) == ["Gather", "Redirect"]
            assert spoken(sorry) == [LINES.text("utter_technical_error")]
        person = await call.post(dialogue, SpeechResult="查订单", Confidence="0.9")
        assert verbs(person) == ["Say", "Enqueue"]
        assert (await hooks.store.call(call.sid))["handoff_reason"] == "technical_error"
        await hooks.store.close()

    run(scenario)


def test_a_turn_without_any_answer_is_not_dead_air(cfg: VoiceConfig, redis_url: str) -> None:
    async def scenario() -> None:
        hooks = hooks_for(cfg, redis_url)
        call, dialogue = Call(hooks), ScriptedDialogue(lambda text: [])
        await call.post(dialogue, CallStatus="ringing")
        answer = await call.post(dialogue, SpeechResult="查订单", Confidence="0.9")
        assert spoken(answer) == [LINES.text("utter_technical_error")]
        await hooks.store.close()

    run(scenario)


def test_handoff_and_return(cfg: VoiceConfig, redis_url: str) -> None:
    def reply(text: str) -> list[dict[str, Any]]:
        if text == "/request_human":
            return [{"text": "好的,正在为您转接人工客服,请稍等。"},
                    {"custom": {"hotline": {"event": "handoff", "reason": "request_human",
                                            "priority": False, "ticket_id": ""}}}]
        return [{"text": "人工客服已为您处理完毕,感谢您的耐心。"},
                {"text": "请问还有其他可以帮您的吗?"}]

    async def scenario() -> None:
        hooks = hooks_for(cfg, redis_url)
        call, dialogue = Call(hooks), ScriptedDialogue(reply)
        await call.post(dialogue, CallStatus="ringing")
        transfer = await call.post(dialogue, Digits="0")
        assert verbs(transfer) == ["Say", "Enqueue"]
        enqueue = ET.fromstring(transfer.body)[1]
        assert enqueue.text == cfg.handoff.queue
        back = await call.post(dialogue, enqueue.get("action"), QueueResult="bridged")
        assert verbs(back) == ["Gather", "Redirect"]
        assert dialogue.texts == ["/request_human", "/handoff_finished"]
        assert dialogue.sent[-1][2]["handoff_result"] == "bridged"
        gone = await call.post(dialogue, enqueue.get("action") + "&x=1", QueueResult="hangup")
        assert verbs(gone) == ["Hangup"]
        await call.post(dialogue, enqueue.get("action") + "&x=2", QueueResult="error")
        assert dialogue.texts[-1] == cfg.handoff.failed_payload == "/handoff_failed"
        await hooks.store.close()

    run(scenario)


def test_redis_outage_does_not_fail_the_call(cfg: VoiceConfig) -> None:
    async def scenario() -> None:
        hooks = hooks_for(cfg, f"redis://127.0.0.1:{free_port()}/0")
        call, dialogue = Call(hooks), ScriptedDialogue()
        assert verbs(await call.post(dialogue, CallStatus="ringing")) == ["Gather", "Redirect"]
        assert verbs(await call.post(dialogue, SpeechResult="查订单", Confidence="0.9")) == [
            "Gather", "Redirect"]
        await call.post(dialogue, f"{URLS.base}/status", CallStatus="completed", CallDuration="3")
        assert dialogue.texts == ["查订单", "/hangup"]
        await hooks.store.close()

    run(scenario)
