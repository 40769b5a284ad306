"""Whole conversations through the REST channel against the real stack.

Each reads like the manual: the opening line first, the manual's line for the
situation, a closing line last, and the records (tickets, flags, satisfaction)
in Redis afterwards.
"""

from __future__ import annotations

import re
import uuid

import pytest
import redis

from bot.compliance import default_matcher
from bot.config import settings
from bot.handoffs import HandoffQueue
from bot.wiring import build_ticket_service
from tests.stack import Stack

pytestmark = pytest.mark.stack

OPENING_PREFIX = "您好,欢迎光临"
WEB_CLOSING = "很高兴为您服务,再见!"
COMPLAINT_THANKS = "感谢您的批评指正,我们将及时改正,不断提高服务水平。"
COMPLAINT_APOLOGY = "非常抱歉给您带来不便,我这就为您登记。"
ASK_SURNAME = "请问您贵姓?"
ASK_PHONE = "请您留下联系电话,方便我们给您回电。"
ASK_ORDER_NUMBER = "请问您的订单号是多少?手边没有的话,说一声就好。"
ASK_ADDRESS = "请问上门服务的地址是?请说到小区、楼号和门牌号。"
ASK_CALLBACK_TIME = "请问您方便接听回电的时间是?比如今天下午、明天上午。"
ANYTHING_ELSE = "请问还有其他可以帮您的吗?"
WEB_SATISFACTION = "请您对本次服务做个评价,1 分到 5 分,5 分为非常满意。"
THANKS_FOR_RATING = "谢谢您的评价,我们将不断改进服务,让您满意。"
CALM_DOWN = "请您别着急,慢慢讲,我们会尽力帮您解决。"
PRIORITY_HANDOFF = "非常理解您的心情,我马上为您优先转接人工客服,请稍等。"
TICKET_NUMBER = re.compile(r"T\d{12}")


class Conversation:
    """One caller talking to the stack; keeps every bot text for the audit checks."""

    def __init__(self, stack: Stack, prefix: str) -> None:
        self.stack = stack
        self.sender = f"{prefix}-{uuid.uuid4().hex[:10]}"
        self.bot_texts: list[str] = []
        self.controls: list[dict] = []

    def say(self, text: str) -> list[str]:
        return self._said(self.stack.say(self.sender, text))

    def send_payload(self, payload: str) -> list[str]:
        """A channel event (`/silence`, `/idle_timeout`) in the REST `payload` field."""
        return self._said(self.stack.send_payload(self.sender, payload))

    def _said(self, messages: list[dict]) -> list[str]:
        said = [m["text"] for m in messages if m.get("text")]
        self.bot_texts.extend(said)
        self.controls.extend(
            m["custom"]["hotline"] for m in messages
            if isinstance(m.get("custom"), dict) and "hotline" in m["custom"]
        )
        return said

    def assert_scripted(self, closing: str) -> None:
        assert self.bot_texts[0].startswith(OPENING_PREFIX)
        assert self.bot_texts[-1] == closing
        for text in self.bot_texts:
            assert default_matcher().find(text) == [], f"forbidden phrase in {text!r}"


@pytest.fixture()
def stack_redis(rasa_stack: Stack) -> redis.Redis[bytes]:
    return redis.Redis.from_url(rasa_stack.redis_url)


def test_complaint_gets_a_ticket_number_and_the_ticket_exists(rasa_stack: Stack) -> None:
    talk = Conversation(rasa_stack, "complaint")
    first = talk.say("我要投诉,你们送来的洗衣机一开机就漏水,师傅也一直不来修")
    assert first[1:] == [COMPLAINT_THANKS, COMPLAINT_APOLOGY, ASK_SURNAME]
    # each answer moves to the next question: the pending question is the last line
    assert talk.say("我姓王") == [ASK_PHONE]
    assert talk.say("幺三八一二三四五六七八") == ["跟您核对一下,您的电话是 138 1234 5678,对吗?"]
    # a faulty product: the order number is asked too; a caller without one may skip it
    assert talk.say("对") == [ASK_ORDER_NUMBER]
    assert talk.say("没有订单号")[-1] == ASK_CALLBACK_TIME
    created, anything_else = talk.say("明天上午")
    number = TICKET_NUMBER.search(created)
    assert number, created
    assert created.startswith("王先生(女士),您的问题已登记")
    assert created.split("我们会在")[1].split("前给您回电答复")[0].strip(), created
    assert anything_else == ANYTHING_ELSE
    assert talk.say("没有了") == [WEB_SATISFACTION]
    assert talk.say("5") == [THANKS_FOR_RATING, WEB_CLOSING]
    talk.assert_scripted(WEB_CLOSING)

    service = build_ticket_service(env=settings(rasa_stack.env))
    ticket = service.get_ticket(number.group(0))
    assert ticket is not None
    assert ticket.caller.phone == "13812345678"
    assert ticket.caller.surname == "王"
    assert "漏水" in ticket.description
    assert ticket.conversation_id == talk.sender
    assert service.get_ticket(number.group(0)).promised_at is not None


def test_malicious_caller_is_warned_once_then_the_conversation_ends(
    rasa_stack: Stack, stack_redis: redis.Redis[bytes]
) -> None:
    talk = Conversation(rasa_stack, "malicious")
    assert "请您文明用语,否则我们将结束本次通话。" in talk.say("你个蠢货,脑子有病吧")
    assert "对不起,您所咨询的内容不是我们的服务范围,请您挂机,再见。" in talk.say(
        "滚你妈的,傻逼客服"
    )
    assert talk.controls[-1]["event"] == "end"
    assert talk.controls[-1]["reason"] == "malicious"
    talk.assert_scripted("对不起,您所咨询的内容不是我们的服务范围,请您挂机,再见。")
    assert stack_redis.hexists("hotline:flagged_callers", f"conversation:{talk.sender}")


def test_silent_line_gets_the_ladder_and_is_closed(rasa_stack: Stack) -> None:
    talk = Conversation(rasa_stack, "silent")
    assert talk.send_payload("/silence")[-1] == "您好!请问有什么可以帮助您?"
    assert talk.send_payload("/silence") == [
        "对不起,您的电话没有声音,请您换一部电话再次打来,好吗?再见!"
    ]
    assert talk.controls[-1] == {"event": "end", "reason": "silence", "hangup_after_s": 5}
    talk.assert_scripted("对不起,您的电话没有声音,请您换一部电话再次打来,好吗?再见!")


def test_idle_web_chat_is_closed(rasa_stack: Stack) -> None:
    talk = Conversation(rasa_stack, "idle")
    talk.say("你好")
    assert talk.send_payload("/idle_timeout") == [
        "您好,由于您长时间没有回复,本次会话将结束。很高兴为您服务,再见!"
    ]
    assert talk.controls[-1]["reason"] == "idle"


def test_after_the_end_a_new_message_opens_a_new_session(rasa_stack: Stack) -> None:
    talk = Conversation(rasa_stack, "again")
    talk.say("你好")
    talk.say("再见")
    assert talk.say("你好")[0].startswith(OPENING_PREFIX)


def test_a_conversation_closed_before_the_closed_flag_existed_is_reopened(
    rasa_stack: Stack, stack_redis: redis.Redis[bytes]
) -> None:
    talk = Conversation(rasa_stack, "upgraded")
    talk.say("你好")
    talk.say("再见")
    assert stack_redis.get(f"hotline:closed:{talk.sender}") == b"1"
    stack_redis.delete(f"hotline:closed:{talk.sender}")  # as an earlier version saved it
    assert talk.say("你好")[0].startswith(OPENING_PREFIX)
    assert stack_redis.get(f"hotline:closed:{talk.sender}") == b"0"


def test_anger_twice_hands_off_with_priority(
    rasa_stack: Stack, stack_redis: redis.Redis[bytes]
) -> None:
    """The second outburst in a row goes to a person with priority — calming the caller
    a second time is not the behaviour (this test used to accept either)."""
    talk = Conversation(rasa_stack, "angry")
    assert talk.say("气死我了!")[1:] == [CALM_DOWN]
    assert talk.say("我真的快被气疯了,你们这是什么态度!!") == [PRIORITY_HANDOFF]
    assert talk.controls[-1]["event"] == "handoff" and talk.controls[-1]["priority"] is True
    handoff = HandoffQueue(stack_redis).get(talk.sender)
    assert handoff is not None and handoff.priority and handoff.reason == "angry"


def test_out_of_scope_is_referred_to_114(rasa_stack: Stack) -> None:
    talk = Conversation(rasa_stack, "oos")
    reply = " ".join(talk.say("帮我查一下明天北京飞上海的航班"))
    assert "建议您拨打114号进行咨询" in reply
    assert "先生(女士)" in reply


def test_praise_is_recorded(rasa_stack: Stack, stack_redis: redis.Redis[bytes]) -> None:
    talk = Conversation(rasa_stack, "praise")
    reply = talk.say("你们的客服小李服务特别耐心,我要表扬她")
    assert "谢谢,这是我们应该做的。" in reply
    assert stack_redis.zcard("hotline:feedbacks:created") >= 1


def test_order_status_is_answered_from_the_backend(rasa_stack: Stack) -> None:
    talk = Conversation(rasa_stack, "order")
    reply = " ".join(talk.say("帮我查一下订单DD20261101001到哪了"))
    assert "已发货,预计明天送达" in reply


@pytest.mark.parametrize(("answer", "score"), [("4", 4), ("五分", 5), ("一般般吧", 3)])
def test_the_survey_answer_is_stored_whatever_intent_it_reads_as(
    rasa_stack: Stack, stack_redis: redis.Redis[bytes], answer: str, score: int
) -> None:
    talk = Conversation(rasa_stack, "survey")
    talk.say("帮我查一下订单20261101001")
    assert talk.say("没有了") == [WEB_SATISFACTION]
    assert talk.say(answer) == ["谢谢您的评价,我们将不断改进服务,让您满意。", WEB_CLOSING]
    stored = stack_redis.hget(f"hotline:outcome:{talk.sender}", "satisfaction")
    assert stored is not None and int(stored) == score


def test_declining_the_survey_still_closes(rasa_stack: Stack) -> None:
    talk = Conversation(rasa_stack, "nosurvey")
    talk.say("帮我查一下订单20261101001")
    talk.say("没有了")
    assert talk.say("不用了") == [WEB_CLOSING]


def test_a_delivery_complaint_also_asks_for_the_order_number_and_address(
    rasa_stack: Stack,
) -> None:
    talk = Conversation(rasa_stack, "delivery")
    assert talk.say("我要投诉,你们的快递三天了还没送到")[-1] == ASK_SURNAME
    assert talk.say("我姓周") == [ASK_PHONE]
    assert talk.say("13600002222") == ["跟您核对一下,您的电话是 136 0000 2222,对吗?"]
    assert talk.say("对") == [ASK_ORDER_NUMBER]
    assert talk.say("订单号是20261101001") == [ASK_ADDRESS]
    assert talk.say("阳光花园5号楼1单元302") == [ASK_CALLBACK_TIME]
    number = TICKET_NUMBER.search(" ".join(talk.say("明天上午")))
    assert number
    ticket = build_ticket_service(env=settings(rasa_stack.env)).get_ticket(number.group(0))
    assert ticket is not None
    assert ticket.category == "delivery_delay"
    assert ticket.order_number == "20261101001"
    assert ticket.caller.address == "阳光花园5号楼1单元302"


def test_an_order_number_given_alone_after_we_asked_is_looked_up(rasa_stack: Stack) -> None:
    talk = Conversation(rasa_stack, "keyed")
    assert talk.say("帮我查一下订单")[1:] == ["请您提供订单号,我帮您查询。"]
    reply = " ".join(talk.say("20261101001"))
    assert "已发货,预计明天送达" in reply
