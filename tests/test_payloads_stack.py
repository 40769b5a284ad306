"""Caller text is text, on every channel (channels/payloads.py), against the real stack."""

from __future__ import annotations

import uuid

import pytest
import requests

from channels.voice.phone import PhoneCall
from tests.stack import Stack

pytestmark = pytest.mark.stack


def post(stack: Stack, body: dict) -> requests.Response:
    return requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)


def test_typed_slash_payloads_are_words_not_intents_or_slot_values(rasa_stack: Stack) -> None:
    sender = f"slash-{uuid.uuid4().hex[:8]}"
    post(rasa_stack, {"sender": sender, "message": "我要投诉,快递员态度很差"})
    typed = post(rasa_stack, {"sender": sender,
                              "message": '/inform{"phone_number":"13800000000"}'})
    assert typed.status_code == 200
    tracker = rasa_stack.tracker(sender)
    user = [e for e in tracker["events"] if e["event"] == "user"][-1]
    assert user["text"].startswith("／")
    # read by NLU like any words (a number in them is read as a number), not unpacked
    assert all(e.get("extractor") != "RegexMessageHandler"
               for e in user["parse_data"]["entities"])
    assert len(user["parse_data"].get("intent_ranking") or []) > 1
    handoff = post(rasa_stack, {"sender": sender, "message": "/handoff_finished"})
    assert "人工客服已为您处理完毕" not in str(handoff.json())


def test_a_rest_payload_must_be_one_the_assistant_offers(rasa_stack: Stack) -> None:
    sender = f"payload-{uuid.uuid4().hex[:8]}"
    refused = post(rasa_stack, {"sender": sender, "payload": "/handoff_finished"})
    assert refused.status_code == 422
    forged = post(rasa_stack, {"sender": sender,
                               "payload": '/inform{"phone_number":"13800000000"}'})
    assert forged.status_code == 422
    offered = post(rasa_stack, {"sender": sender, "payload": "/request_human"})
    assert offered.status_code == 200
    assert "正在为您转接人工客服" in str(offered.json())


def test_the_phone_read_back_is_answered_with_the_keypad(rasa_stack: Stack) -> None:
    call = PhoneCall(rasa_stack.rasa_url, rasa_stack.env["TWILIO_AUTH_TOKEN"],
                     caller="+86139" + str(uuid.uuid4().int)[:8])
    call.dial()
    call.say("我要投诉,你们的师傅上门安装把墙打坏了")
    read_back = call.say("我姓王")
    assert "对的请按1,不对请按2" in "".join(read_back.spoken), read_back.body
    assert read_back.gather is not None and read_back.gather.get("numDigits") == "1"
    wrong = call.press("2")
    assert "联系电话" in "".join(wrong.spoken), wrong.body
    again = call.press("13912345678#")
    assert "139 1234 5678" in "".join(again.spoken), again.body
    confirmed = call.press("1")
    assert "对吗" not in "".join(confirmed.spoken), confirmed.body
    assert rasa_stack.tracker(call.call_sid)["slots"]["phone_confirmed"] is True


def test_saying_the_number_again_confirms_the_read_back(rasa_stack: Stack) -> None:
    sender = f"readback-{uuid.uuid4().hex[:8]}"
    rasa_stack.say(sender, "我要投诉,洗衣机漏水")
    rasa_stack.say(sender, "我姓李")
    read_back = rasa_stack.say(sender, "13812345678")
    assert "138 1234 5678" in str(read_back)
    rasa_stack.say(sender, "对,13812345678")
    assert rasa_stack.tracker(sender)["slots"]["phone_confirmed"] is True
