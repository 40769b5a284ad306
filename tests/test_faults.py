"""Faults injected into the real stack: what callers see and what survives.

Redis is SIGKILLed and Rasa is SIGKILLed here, so these tests run on the module's own
`private_stack` (tests/stack.py), never on the shared `rasa_stack`."""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from bot.config import settings
from bot.wiring import build_ticket_service
from tests.stack import Stack
from tests.support.provider import FaithfulPhoneCall

pytestmark = pytest.mark.stack


def texts(messages: list[dict]) -> str:
    return " ".join(m["text"] for m in messages if m.get("text"))


def test_redis_restart_mid_conversation_keeps_the_conversation_and_the_ticket(
    private_stack: Stack,
) -> None:
    sender = f"redis-restart-{uuid.uuid4().hex[:8]}"
    assert "贵姓" in texts(private_stack.say(sender, "我要投诉,新买的空调一直漏水"))
    private_stack.redis.restart(hard=True)  # SIGKILL: only what AOF kept comes back
    assert "联系电话" in texts(private_stack.say(sender, "我姓刘"))
    private_stack.say(sender, "13900001234")
    assert "订单号" in texts(private_stack.say(sender, "对"))
    private_stack.say(sender, "订单号记不清了")
    reply = texts(private_stack.say(sender, "明天上午"))
    number = re.search(r"T\d{12}", reply)
    assert number, reply

    private_stack.redis.restart(hard=True)
    ticket = build_ticket_service(env=settings(private_stack.env)).get_ticket(number.group(0))
    assert ticket is not None and ticket.caller.surname == "刘"
    events = private_stack.tracker(sender)["events"]
    assert [e["text"] for e in events if e["event"] == "user"][:2] == [
        "我要投诉,新买的空调一直漏水", "我姓刘",
    ]


PHONE_CLOSING = "感谢您的来电,欢迎再次拨打,再见!"  # domain utter_closing, channel phone


def test_rasa_killed_and_restarted_during_a_phone_call_the_call_goes_on(
    private_stack: Stack,
) -> None:
    """SIGKILL of the Rasa server between two turns of a signed TwiML call: while it is
    down the provider gets a connection error (and would fetch the number's fallback URL,
    docs/TELEPHONY.md); once it is back, the next webhook of the same CallSid continues the
    same conversation from Redis: earlier turns kept, no second opening, the answer
    understood, and the call ends with the closing line."""
    call = FaithfulPhoneCall(private_stack.rasa_url, private_stack.env["TWILIO_AUTH_TOKEN"],
                             caller="+86139" + str(uuid.uuid4().int)[:8])
    opening = call.dial()
    assert opening.gather is not None and opening.spoken[0].startswith("您好,欢迎致电")
    asked = call.say("我要投诉,你们的送货员把我的冰箱摔坏了")
    assert "贵姓" in "".join(asked.spoken), asked.body

    private_stack.supervisor.stop("rasa", hard=True)
    with pytest.raises(requests.ConnectionError):
        call.say("我姓王")
    assert call.last is asked  # nothing was answered: the call state is unchanged
    private_stack.start_rasa()

    step = call.say("我姓王")  # the provider's next request for the same CallSid
    heard = list(step.spoken)
    # understood: the form moves on from the surname to the read-back of the caller's number
    digits = call.caller.removeprefix("+86")
    assert step.gather is not None and step.spoken == [
        f"跟您核对一下,您的电话是 {digits[:3]} {digits[3:7]} {digits[7:]},"
        "对吗?对的请按1,不对请按2。"], step.body
    # then each question once, in order, to the ticket
    for answer, next_question in (("对", "订单号"), ("订单号找不到了", "回电的时间")):
        step = call.say(answer)
        heard += step.spoken
        assert next_question in step.spoken[-1], step.body
    step = call.say("明天上午")
    heard += step.spoken
    assert "工单号" in step.spoken[0] and step.spoken[-1] == "请问还有其他可以帮您的吗?", step.body
    step = call.say("没有了")  # the satisfaction survey
    heard += step.spoken
    assert step.spoken[0].startswith("请您对本次服务做个评价"), step.body
    closing = call.press("4")
    heard += closing.spoken
    assert closing.spoken[-1] == PHONE_CLOSING, closing.body
    assert closing.names[-2:] == ["Pause", "Redirect"]
    # nobody hangs up: after the goodbye wait the provider follows the Redirect, we hang up
    assert call.follow_redirect().names == ["Hangup"]
    assert call.hang_up().status == 200
    assert not [line for line in heard if line.startswith("您好,欢迎致电")]

    events = private_stack.tracker(call.call_sid)["events"]
    said_by_caller = [e["text"] for e in events if e["event"] == "user"]
    assert said_by_caller[:2] == ["我要投诉,你们的送货员把我的冰箱摔坏了", "我姓王"]
    assert len([e for e in events if e["event"] == "session_started"]) == 1
    assert {e["value"] for e in events if e["event"] == "slot" and e["name"] == "surname"
            and e["value"]} == {"王"}
    openings = [e for e in events if e["event"] == "bot"
                and (e.get("text") or "").startswith("您好,欢迎致电")]
    assert len(openings) == 1
    call.session.close()
