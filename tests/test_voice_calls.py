"""Whole phone calls against the real stack (trained model, Rasa, actions, Redis).

Every request is form-encoded and signed with the provider's RequestValidator,
like the provider's own; every answer is parsed as TwiML and checked verb by
verb (channels.voice.phone.PhoneCall plays the provider).
"""

from __future__ import annotations

import io
import random
import statistics
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bot.callbacks.factory import build_callback_scheduler
from bot.config import settings
from bot.redis_client import build_redis
from channels.voice import simulator
from channels.voice.dialer import TwilioCallbackDialer
from channels.voice.phone import PhoneCall, Step
from tests.stack import Stack
from tests.test_voice_dialer import ACCOUNT, FakeProvider

pytestmark = pytest.mark.stack

OPENING = "您好,欢迎致电优品商城客户服务热线,客服代表小优很高兴为您服务,请问有什么可以帮助您!"
SILENCE_FIRST = "您好!请问有什么可以帮助您?"
SILENCE_CLOSING = "对不起,您的电话没有声音,请您换一部电话再次打来,好吗?再见!"
MALICIOUS_WARNING = "请您文明用语,否则我们将结束本次通话。"
MALICIOUS_CLOSING = "对不起,您所咨询的内容不是我们的服务范围,请您挂机,再见。"
HANDOFF = "好的,正在为您转接人工客服,请稍等。"
HANDOFF_RETURNED = "人工客服已为您处理完毕,感谢您的耐心。"


def a_caller() -> str:
    return "+86139" + "".join(random.choice("0123456789") for _ in range(8))


@pytest.fixture()
def phone(rasa_stack: Stack) -> Iterator[PhoneCall]:
    call = PhoneCall(rasa_stack.rasa_url, rasa_stack.env["TWILIO_AUTH_TOKEN"], caller=a_caller())
    yield call
    call.session.close()


def call_record(stack: Stack, sid: str) -> dict[str, str]:
    client = build_redis(stack.redis_url)
    try:
        return dict(client.hgetall(f"hotline:call:{sid}"))
    finally:
        client.close()


def wait_for(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def expect_listening(step: Step) -> None:
    assert step.status == 200, step.body
    assert step.names == ["Gather", "Redirect"], step.body
    gather = step.gather
    assert gather is not None
    assert (gather.get("language"), gather.get("actionOnEmptyResult")) == ("zh-CN", "true")


def expect_scripted_end(call: PhoneCall, step: Step, line: str, pause: str) -> None:
    assert step.names == ["Say", "Pause", "Redirect"], step.body
    assert line in step.spoken
    assert step.find("Pause").get("length") == pause  # type: ignore[union-attr]
    final = call.follow_redirect()
    assert final.names == ["Hangup"]


def test_a_silent_call_is_greeted_twice_then_closed(rasa_stack: Stack, phone: PhoneCall) -> None:
    first = phone.dial()
    expect_listening(first)
    assert first.spoken[0] == OPENING
    assert first.gather.get("timeout") == "5"  # type: ignore[union-attr]
    second = phone.stay_silent()
    expect_listening(second)
    assert second.spoken == [SILENCE_FIRST]
    expect_scripted_end(phone, phone.stay_silent(), SILENCE_CLOSING, "5")
    assert phone.hang_up().status == 200
    record = call_record(rasa_stack, phone.call_sid)
    assert record["hung_up_by"] == "bot" and record["status"] == "completed"
    assert record["caller"].endswith(phone.caller[-4:])
    assert phone.caller[1:-4] not in record["caller"]


def test_a_malicious_caller_is_warned_once_then_closed(rasa_stack: Stack, phone: PhoneCall) -> None:
    phone.dial()
    warned = phone.say("你个傻逼")
    expect_listening(warned)
    assert warned.spoken == [MALICIOUS_WARNING]
    expect_scripted_end(phone, phone.say("你脑子有病吧"), MALICIOUS_CLOSING, "5")
    phone.hang_up()
    assert call_record(rasa_stack, phone.call_sid)["end_reason"] == "malicious"


def test_keypad_zero_reaches_a_person_and_comes_back(rasa_stack: Stack, phone: PhoneCall) -> None:
    first = phone.dial()
    assert first.gather.get("numDigits") == "1"  # type: ignore[union-attr]
    transfer = phone.press("0")
    assert transfer.names == ["Say", "Enqueue"], transfer.body
    assert transfer.spoken == [HANDOFF]
    assert transfer.find("Enqueue").text == "hotline"  # type: ignore[union-attr]
    back = phone.transfer_ended("bridged")
    expect_listening(back)
    assert back.spoken[0] == HANDOFF_RETURNED
    assert back.gather.get("numDigits") == "1"  # the satisfaction survey takes one key
    closing = phone.press("5")
    assert closing.names == ["Say", "Say", "Pause", "Redirect"], closing.body
    assert closing.find("Pause").get("length") == "10"  # type: ignore[union-attr]
    phone.hang_up()  # the caller hangs up first
    record = call_record(rasa_stack, phone.call_sid)
    assert (record["handoff_reason"], record["handoff_result"]) == ("request_human", "bridged")
    assert record["hung_up_by"] == "caller"


def test_a_transfer_no_one_takes_turns_into_a_callback(
    rasa_stack: Stack, phone: PhoneCall
) -> None:
    phone.dial()
    assert phone.press("0").names == ["Say", "Enqueue"]
    busy = phone.transfer_ended("error")
    expect_listening(busy)
    assert busy.spoken[0] == "对不起,客服代表暂时都在忙,我们已记录您的问题,会尽快给您回电。"
    phone.hang_up()


def complaint_until_phone(phone: PhoneCall) -> Step:
    phone.dial()
    step = phone.say("我要投诉,你们的送货员把我的冰箱摔坏了")
    expect_listening(step)
    assert "感谢您的批评指正,我们将及时改正,不断提高服务水平。" in step.spoken
    return step


def test_a_complaint_ends_with_a_ticket_and_a_callback(
    rasa_stack: Stack, phone: PhoneCall
) -> None:
    step = complaint_until_phone(phone)
    answers = {"贵姓": "我姓王", "联系电话": None, "对吗": "对", "时间": "明天上午"}
    number = phone.caller[3:]
    for _ in range(8):
        said = "".join(step.spoken)
        if "工单号" in said:
            break
        if "联系电话" in said:
            assert step.gather.get("finishOnKey") == "#"  # type: ignore[union-attr]
            step = phone.press(number + "#")
            continue
        reply = next((text for key, text in answers.items() if key in said and text), None)
        step = phone.say(reply or "商品质量问题")
    said = "".join(step.spoken)
    assert "工单号" in said, step.body
    ticket_number = said.split("工单号是")[1].split("。")[0].strip()
    assert phone.say("没有了").spoken  # the satisfaction survey
    end = phone.press("4")
    assert end.names[-2:] == ["Pause", "Redirect"]
    phone.hang_up()

    env = settings(rasa_stack.env)
    scheduler = build_callback_scheduler(env=env, redis_client=build_redis(env.redis_url))
    ticket = scheduler.tickets.get_ticket(ticket_number)  # type: ignore[union-attr]
    assert ticket is not None and ticket.conversation_id == phone.call_sid
    callbacks = scheduler.for_ticket(ticket_number)
    assert callbacks, "the ticket has a callback planned"

    # The callback is placed through the provider and answered: not convenient now.
    with FakeProvider(rasa_stack.env["TWILIO_AUTH_TOKEN"]) as provider:
        dialer = TwilioCallbackDialer(
            ACCOUNT, rasa_stack.env["TWILIO_AUTH_TOKEN"], "+864008001234",
            f"{rasa_stack.rasa_url}/webhooks/phone", api_base_url=provider.url,
            redis_client=build_redis(env.redis_url))
        dialer.place(callbacks[0])
        created = provider.calls[0]
    assert created["form"]["To"] == phone.caller
    customer = PhoneCall(rasa_stack.rasa_url, rasa_stack.env["TWILIO_AUTH_TOKEN"],
                         caller="+864008001234", called=phone.caller,
                         call_sid=created["sid"], direction="outbound-api")
    script = customer.post(created["form"]["Url"], customer.params(AnsweredBy="human"))
    assert script.spoken[0].startswith("您好,我是优品商城的客服代表小优,您现在方便通话吗?")
    goodbye = customer.press("2")
    assert goodbye.names == ["Say", "Pause", "Redirect"]
    customer.hang_up()
    assert call_record(rasa_stack, created["sid"])["callback_outcome"] == "refused"


def test_hanging_up_mid_complaint_leaves_an_incomplete_ticket(
    rasa_stack: Stack, phone: PhoneCall
) -> None:
    complaint_until_phone(phone)
    assert phone.hang_up().status == 200
    env = settings(rasa_stack.env)
    scheduler = build_callback_scheduler(env=env, redis_client=build_redis(env.redis_url))
    tickets = scheduler.tickets

    def incomplete() -> list[Any]:
        found = tickets.find_by_phone(phone.caller)  # type: ignore[union-attr]
        return [t for t in found if t.conversation_id == phone.call_sid]

    found = wait_for(incomplete)
    assert found and found[0].status.value == "incomplete"
    assert call_record(rasa_stack, phone.call_sid)["hung_up_by"] == "caller"


def test_a_duplicate_webhook_is_one_turn(rasa_stack: Stack, phone: PhoneCall) -> None:
    phone.dial()
    action = phone.last.gather.get("action", "")  # type: ignore[union-attr]
    params = phone.params(SpeechResult="我想查一下我的订单", Confidence="0.9")
    first = phone.post(action, params)
    again = phone.post(action, params)
    assert again.body == first.body
    tracker = rasa_stack.tracker(phone.call_sid)
    texts = [e.get("text") for e in tracker["events"] if e.get("event") == "user"]
    assert texts.count("我想查一下我的订单") == 1


def test_bad_signatures_and_bad_requests_are_refused(rasa_stack: Stack, phone: PhoneCall) -> None:
    url = phone.url("voice")
    forged = requests.post(url, data=phone.params(), timeout=10,
                           headers={"X-Twilio-Signature": "AAAAAAAAAAAAAAAAAAAAAAAAAAA="})
    assert forged.status_code == 403
    assert requests.post(url, data=phone.params(), timeout=10).status_code == 403
    params = phone.params()
    del params["CallSid"]
    assert phone.post(url, params).status == 400
    for path in ("status", "hangup", "handoff", "outbound", "outbound/reply"):
        refused = requests.post(phone.url(path), data=phone.params(), timeout=10)
        assert refused.status_code == 403, path


def test_webhook_latency(rasa_stack: Stack, phone: PhoneCall) -> None:
    phone.dial()
    for text in ("我想查一下订单", "订单号是一二三四五六七八", "好的谢谢"):
        phone.say(text)
    phone.stay_silent()
    median = statistics.median(phone.timings)
    assert median < 0.3, f"median webhook time {median * 1000:.0f} ms: {phone.timings}"


def test_the_simulator_plays_a_call(rasa_stack: Stack) -> None:
    out = io.StringIO()
    call = PhoneCall(rasa_stack.rasa_url, rasa_stack.env["TWILIO_AUTH_TOKEN"], caller=a_caller())
    typed = iter(["", "", ""])
    simulator.run(call, lambda prompt: next(typed, "/hangup"), out)
    shown = out.getvalue()
    assert OPENING in shown and SILENCE_FIRST in shown and SILENCE_CLOSING in shown
    assert "hang-up" in shown and "HTTP 200" in shown
