"""Whole phone calls against the real stack (trained model, Rasa, actions, Redis).

Every request is form-encoded and signed with the provider's RequestValidator,
like the provider's own; every answer is parsed as TwiML and checked verb by
verb (channels.voice.phone.PhoneCall plays the provider).
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bot.config import settings
from bot.redis_client import build_redis
from bot.wiring import build_callback_scheduler
from channels.voice import simulator
from channels.voice.dialer import TwilioCallbackDialer
from channels.voice.phone import PhoneCall, Step
from tests.stack import Stack
from tests.support.provider import FaithfulPhoneCall
from tests.test_voice_dialer import ACCOUNT, FakeProvider

pytestmark = pytest.mark.stack

OPENING = "您好,欢迎致电优品商城客户服务热线,客服代表小优很高兴为您服务,请问有什么可以帮助您!"
SILENCE_FIRST = "您好!请问有什么可以帮助您?"
SILENCE_CLOSING = "对不起,您的电话没有声音,请您换一部电话再次打来,好吗?再见!"
MALICIOUS_WARNING = "请您文明用语,否则我们将结束本次通话。"
MALICIOUS_CLOSING = "对不起,您所咨询的内容不是我们的服务范围,请您挂机,再见。"
HANDOFF = "好的,正在为您转接人工客服,请稍等。"
HANDOFF_RETURNED = "人工客服已为您处理完毕,感谢您的耐心。"
COMPLAINT_THANKS = "感谢您的批评指正,我们将及时改正,不断提高服务水平。"
COMPLAINT_APOLOGY = "非常抱歉给您带来不便,我这就为您登记。"
ASK_SURNAME = "请问您贵姓?"
ASK_ORDER_NUMBER = "请问您的订单号是多少?手边没有的话,说一声就好。"
ASK_CALLBACK_TIME = "请问您方便接听回电的时间是?比如今天下午、明天上午。"
ANYTHING_ELSE = "请问还有其他可以帮您的吗?"
ASK_SATISFACTION = ("请您对本次服务做个评价:1 非常不满意,2 不满意,3 一般,4 满意,5 非常满意。"
                    "请说出或按下对应数字。")
THANKS_FOR_RATING = "谢谢您的评价,我们将不断改进服务,让您满意。"
PHONE_CLOSING = "感谢您的来电,欢迎再次拨打,再见!"


def a_caller() -> str:
    return "+86139" + "".join(random.choice("0123456789") for _ in range(8))


def read_back(caller: str) -> str:
    """The read-back of the caller's own number (+86 139 1234 5678)."""
    digits = caller.removeprefix("+86")
    number = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    return f"跟您核对一下,您的电话是 {number},对吗?对的请按1,不对请按2。"


@pytest.fixture()
def phone(rasa_stack: Stack) -> Iterator[PhoneCall]:
    # The provider waits through a <Pause> before it follows the <Redirect> (the audit checks
    # that the bot hung up only after its closing line and the wait).
    call = FaithfulPhoneCall(rasa_stack.rasa_url, rasa_stack.env["TWILIO_AUTH_TOKEN"],
                             caller=a_caller())
    yield call
    call.session.close()


def call_record(stack: Stack, sid: str) -> dict[str, str]:
    client = build_redis(stack.redis_url)
    try:
        return dict(client.hgetall(f"hotline:call:{sid}"))
    finally:
        client.close()


def wait_for(check: Any, timeout: float = 30.0) -> Any:
    """Poll `check` until it returns something truthy; `timeout` is only a safety net."""
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
    assert step.spoken == [COMPLAINT_THANKS, COMPLAINT_APOLOGY, ASK_SURNAME], step.body
    return step


def test_a_complaint_ends_with_a_ticket_and_a_callback(
    rasa_stack: Stack, phone: PhoneCall
) -> None:
    """Every question in order, none twice, the caller's own number read back, the order
    number keyed in, the ticket, the survey by keypad and the closing line; the caller
    hangs up first."""
    complaint_until_phone(phone)
    step = phone.say("我姓王")
    expect_listening(step)
    assert step.spoken == [read_back(phone.caller)], step.body
    step = phone.say("对")
    assert step.spoken == [ASK_ORDER_NUMBER], step.body
    assert step.gather.get("finishOnKey") == "#"  # type: ignore[union-attr]
    step = phone.press("20261101001#")
    assert step.spoken == [ASK_CALLBACK_TIME], step.body
    step = phone.say("明天上午")
    expect_listening(step)
    created, anything_else = step.spoken
    assert created.startswith("王先生(女士),您的问题已登记,工单号是 T"), created
    assert anything_else == ANYTHING_ELSE
    ticket_number = created.split("工单号是")[1].split("。")[0].strip()
    promised = created.split("我们会在")[1].split("前给您回电答复")[0].strip()
    assert promised, created  # the promised time is said, never blank
    assert phone.say("没有了").spoken == [ASK_SATISFACTION]
    end = phone.press("4")
    assert end.names == ["Say", "Say", "Pause", "Redirect"], end.body
    assert end.spoken == [THANKS_FOR_RATING, PHONE_CLOSING]
    assert end.find("Pause").get("length") == "10"  # type: ignore[union-attr]
    phone.hang_up()  # the caller hangs up first
    assert call_record(rasa_stack, phone.call_sid)["hung_up_by"] == "caller"

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
    assert found, "no incomplete ticket filed for the hung-up call within 30 s"
    assert found[0].status.value == "incomplete"
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


def test_the_simulator_plays_a_call(rasa_stack: Stack) -> None:
    out = io.StringIO()
    call = FaithfulPhoneCall(rasa_stack.rasa_url, rasa_stack.env["TWILIO_AUTH_TOKEN"],
                             caller=a_caller())
    typed = iter(["", "", ""])
    simulator.run(call, lambda prompt: next(typed, "/hangup"), out)
    shown = out.getvalue()
    assert OPENING in shown and SILENCE_FIRST in shown and SILENCE_CLOSING in shown
    assert "hang-up" in shown and "HTTP 200" in shown
