"""Telephony channel, bot side: dialogue messages rendered as TwiML, verb by verb."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.compliance import default_matcher
from bot.config.telephony import HandoffConfig
from channels.lines import DomainLines
from channels.voice.config import VoiceConfig
from channels.voice.handoff import render_handoff
from channels.voice.messages import Control, plan_messages
from channels.voice.state import CallState
from channels.voice.twiml import Urls, render_end, render_listen

ENV = {"TWILIO_AUTH_TOKEN": "test-token", "PUBLIC_BASE_URL": "https://hotline.example.com"}
URLS = Urls("https://hotline.example.com/webhooks/phone")
OPENING = "您好,欢迎致电优品商城客户服务热线,客服代表小优很高兴为您服务,请问有什么可以帮助您!"


@pytest.fixture(scope="module")
def cfg() -> VoiceConfig:
    return VoiceConfig.load({}, env=ENV)


def parse(body: str) -> ET.Element:
    root = ET.fromstring(body)
    assert root.tag == "Response"
    return root


def says(element: ET.Element) -> list[str]:
    return ["".join(s.itertext()) for s in element.iter("Say")]


LINES = DomainLines("phone")  # the channel's own lines (domain.yml)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def end(reason: str, **data: object) -> dict[str, object]:
    return {"custom": {"hotline": {"event": "end", "reason": reason, **data}}}


def test_opening_turn_speaks_inside_a_zh_cn_speech_and_keypad_gather(cfg: VoiceConfig) -> None:
    plan = plan_messages([{"text": OPENING, "utter_action": "utter_opening"}], cfg, True,
                         notice=LINES.text("utter_recording_notice"))
    root = parse(render_listen(plan.spoken, CallState(turn=1), cfg, URLS))
    assert [v.tag for v in root] == ["Gather", "Redirect"]
    gather = root[0]
    assert gather.get("input") == "speech dtmf"
    assert gather.get("language") == "zh-CN"
    assert gather.get("actionOnEmptyResult") == "true"
    assert gather.get("timeout") == "5"
    assert gather.get("speechTimeout") == "auto"
    assert gather.get("numDigits") == "1"
    assert gather.get("profanityFilter") == "false"
    assert "优品商城" in gather.get("hints", "").split(",")
    assert query_of(gather.get("action", ""))["t"] == "1"
    assert says(gather) == [OPENING, LINES.text("utter_recording_notice")]  # after the opening
    for say in gather.iter("Say"):
        assert (say.get("language"), say.get("voice")) == ("zh-CN", cfg.voice)
    assert root[1].text == gather.get("action")


def test_no_recording_notice_after_other_lines(cfg: VoiceConfig) -> None:
    plan = plan_messages([{"text": "对不起,请稍等。", "utter_action": "utter_hold"}], cfg, False,
                         notice=LINES.text("utter_recording_notice"))
    assert [s.text for s in plan.spoken] == ["对不起,请稍等。"]


def test_number_entry_gathers_digits_up_to_hash(cfg: VoiceConfig) -> None:
    state = CallState(turn=4, mode="slot:phone_number")
    gather = parse(render_listen([], state, cfg, URLS))[0]
    assert gather.get("input") == "dtmf speech"
    assert gather.get("finishOnKey") == "#"
    assert gather.get("numDigits") is None
    assert gather.get("timeout") == "10"
    assert query_of(gather.get("action", ""))["m"] == "slot:phone_number"


def test_rating_gathers_one_key(cfg: VoiceConfig) -> None:
    gather = parse(render_listen([], CallState(turn=9, mode="response:utter_ask_satisfaction"),
                                 cfg, URLS))[0]
    assert gather.get("numDigits") == "1"
    assert gather.get("finishOnKey") is None


def test_without_barge_in_speech_comes_before_the_gather(cfg: VoiceConfig) -> None:
    plan = plan_messages([{"text": "对不起,请稍等。"}], cfg)
    root = parse(render_listen(plan.spoken, CallState(turn=2), replace(cfg, barge_in=False), URLS))
    assert [v.tag for v in root] == ["Say", "Gather", "Redirect"]


def test_louder_after_too_quiet_bot(cfg: VoiceConfig) -> None:
    plan = plan_messages([{"text": "对不起,请问有什么可以帮助您?"}], cfg)
    root = parse(render_listen(plan.spoken, CallState(turn=2, loud=True), cfg, URLS))
    prosody = next(root.iter("prosody"))
    assert prosody.get("volume") == "x-loud"
    assert prosody.text == "对不起,请问有什么可以帮助您?"


def test_buttons_links_and_emoji_never_reach_the_caller(cfg: VoiceConfig) -> None:
    messages = [
        {"text": "请您评价 👍 详见 https://shop.example.com/survey",
         "buttons": [{"title": "5 非常满意", "payload": "/inform"}]},
        {"buttons": [{"title": "⭐ 满意", "payload": "/a"}, {"title": "不满意", "payload": "/b"}]},
        {"image": "https://shop.example.com/logo.png"},
        {"custom": {"some_widget": {"x": 1}}},
    ]
    plan = plan_messages(messages, cfg)
    assert [s.text for s in plan.spoken] == ["请您评价 详见", "满意,不满意"]
    assert plan.control is None


def test_recorded_responses_are_played(cfg: VoiceConfig) -> None:
    recorded = replace(cfg, recordings={"utter_opening": "https://cdn.example.com/opening.mp3"})
    plan = plan_messages([{"text": OPENING, "utter_action": "utter_opening"},
                          {"text": "其他"}], recorded)
    root = parse(render_listen(plan.spoken, CallState(turn=1), recorded, URLS))
    assert [v.tag for v in root[0]] == ["Play", "Say"]
    assert root[0][0].text == "https://cdn.example.com/opening.mp3"


def test_scripted_end_pauses_five_seconds_then_hangs_up(cfg: VoiceConfig) -> None:
    messages = [{"text": "对不起,您的电话没有声音,请您换一部电话再次打来,好吗?再见!"},
                end("silence", hangup_after_s=5)]
    plan = plan_messages(messages, cfg)
    assert plan.control is not None and plan.control.reason == "silence"
    root = parse(render_end(plan.spoken, plan.control, CallState(turn=3), cfg, URLS))
    assert [v.tag for v in root] == ["Say", "Pause", "Redirect"]
    assert root[1].get("length") == "5"
    assert urlsplit(root[2].text or "").path.endswith("/hangup")
    assert query_of(root[2].text or "")["reason"] == "silence"


def test_goodbye_waits_for_the_caller_to_hang_up_first(cfg: VoiceConfig) -> None:
    plan = plan_messages([{"text": "感谢您的来电,欢迎再次拨打,再见!"}, end("goodbye")], cfg)
    root = parse(render_end(plan.spoken, plan.control, CallState(turn=3), cfg, URLS))
    assert [v.tag for v in root] == ["Say", "Pause", "Redirect"]
    assert root[1].get("length") == str(cfg.goodbye_wait_s) == "10"


@pytest.mark.parametrize(("control", "wait"), [
    (end("personal_call", hangup_after_s=None), "10"),  # a normal closing
    (end("noisy_line"), "5"),  # scripted, without a number: the configured 5 s
    (end("malicious", hangup_after_s=3), "3"),
])
def test_who_hangs_up_when(cfg: VoiceConfig, control: dict[str, object], wait: str) -> None:
    plan = plan_messages([{"text": "再见!"}, control], cfg)
    root = parse(render_end(plan.spoken, plan.control, CallState(turn=3), cfg, URLS))
    assert root[1].get("length") == wait


def test_the_first_control_message_wins(cfg: VoiceConfig) -> None:
    plan = plan_messages([end("malicious"), end("goodbye")], cfg)
    assert plan.control is not None and plan.control.reason == "malicious"


def handoff_control(priority: bool) -> Control:
    return Control("handoff", "angry", {"priority": priority, "ticket_id": "T20240101-0001"})


def test_handoff_enqueues_priority_callers_in_the_priority_queue(cfg: VoiceConfig) -> None:
    plan = plan_messages([{"text": "非常理解您的心情,我马上为您优先转接人工客服,请稍等。"}], cfg)
    action = URLS.handoff(CallState(turn=4))
    root = parse(render_handoff(plan.spoken, handoff_control(True), "CA9", action, cfg, URLS))
    assert [v.tag for v in root] == ["Say", "Enqueue"]
    assert root[1].text == cfg.handoff.priority_queue
    assert root[1].get("action") == action
    normal = parse(render_handoff([], handoff_control(False), "CA9", action, cfg, URLS))
    assert normal[0].text == cfg.handoff.queue


def test_handoff_packet_as_taskrouter_attributes(cfg: VoiceConfig) -> None:
    routed = replace(cfg, handoff=HandoffConfig(workflow_sid="WW123", priority_task_priority=10))
    root = parse(render_handoff([], handoff_control(True), "CA9", "https://h/a", routed, URLS))
    enqueue = root[0]
    assert enqueue.get("workflowSid") == "WW123"
    task = enqueue.find("Task")
    assert task is not None and task.get("priority") == "10"
    assert json.loads(task.text or "{}") == {
        "conversation_id": "CA9",
        "ticket_id": "T20240101-0001",
        "reason": "angry",
        "priority": "true",
        "transcript_url": "https://hotline.example.com/console/conversations/CA9",
    }


def test_handoff_packet_as_client_parameters(cfg: VoiceConfig) -> None:
    dial = replace(cfg, handoff=HandoffConfig(mode="dial", dial_client="agents", timeout_s=20))
    root = parse(render_handoff([], handoff_control(False), "CA9", "https://h/a", dial, URLS))
    verb = root[0]
    assert (verb.tag, verb.get("timeout"), verb.get("action")) == ("Dial", "20", "https://h/a")
    params = {p.get("name"): p.get("value") for p in verb.iter("Parameter")}
    assert params["conversation_id"] == "CA9" and params["ticket_id"] == "T20240101-0001"
    assert params["transcript_url"].endswith("/console/conversations/CA9")
    assert verb.find("Client/Identity").text == "agents"  # type: ignore[union-attr]


def test_handoff_to_a_number_whispers_the_packet(cfg: VoiceConfig) -> None:
    dial = replace(cfg, handoff=HandoffConfig(mode="dial", dial_number="+862100000000"))
    root = parse(render_handoff([], handoff_control(False), "CA9", "https://h/a", dial, URLS))
    number = root[0].find("Number")
    assert number is not None and number.text == "+862100000000"
    whisper = query_of(number.get("url", ""))
    assert whisper["conversation_id"] == "CA9" and whisper["reason"] == "angry"


def test_channel_prompts_contain_no_forbidden_phrase(cfg: VoiceConfig) -> None:
    matcher = default_matcher()
    responses = ["utter_recording_notice", "utter_technical_error", "utter_callback_opening",
                 "utter_callback_connecting", "utter_callback_not_convenient",
                 "utter_callback_wrong_number", "utter_callback_no_reply",
                 "utter_callback_agents_busy"]
    lines = [cfg.handoff.whisper, *(LINES.text(name) for name in responses)]
    for line in lines:
        assert line, "every channel prompt is configured"
        matcher.check(line)
