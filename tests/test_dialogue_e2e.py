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
from bot.tickets.factory import build_ticket_service
from tests.stack import Stack

pytestmark = pytest.mark.stack

OPENING_PREFIX = "您好,欢迎光临"
WEB_CLOSING = "很高兴为您服务,再见!"
TICKET_NUMBER = re.compile(r"T\d{12}")


class Conversation:
    """One caller talking to the stack; keeps every bot text for the audit checks."""

    def __init__(self, stack: Stack, prefix: str) -> None:
        self.stack = stack
        self.sender = f"{prefix}-{uuid.uuid4().hex[:10]}"
        self.bot_texts: list[str] = []
        self.controls: list[dict] = []

    def say(self, text: str) -> list[str]:
        messages = self.stack.say(self.sender, text)
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
    assert "感谢您的批评指正,我们将及时改正,不断提高服务水平。" in first
    assert any("贵姓" in text for text in first)
    assert any("联系电话" in text for text in talk.say("我姓王"))
    assert any("138 1234 5678" in text for text in talk.say("幺三八一二三四五六七八"))
    # a faulty product: the order number is asked too; a caller without one can say so
    assert any("订单号" in text for text in talk.say("对"))
    assert any("回电的时间" in text for text in talk.say("没有订单号"))
    reply = " ".join(talk.say("明天上午"))
    number = TICKET_NUMBER.search(reply)
    assert number, reply
    assert "王先生(女士)" in reply
    assert "请问还有其他可以帮您的吗?" in reply
    assert any("评价" in text for text in talk.say("没有了"))
    talk.say("5")
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
    assert talk.say("/silence")[-1] == "您好!请问有什么可以帮助您?"
    assert talk.say("/silence") == ["对不起,您的电话没有声音,请您换一部电话再次打来,好吗?再见!"]
    assert talk.controls[-1] == {"event": "end", "reason": "silence", "hangup_after_s": 5}
    talk.assert_scripted("对不起,您的电话没有声音,请您换一部电话再次打来,好吗?再见!")


def test_idle_web_chat_is_closed(rasa_stack: Stack) -> None:
    talk = Conversation(rasa_stack, "idle")
    talk.say("你好")
    assert talk.say("/idle_timeout") == [
        "您好,由于您长时间没有回复,本次会话将结束。很高兴为您服务,再见!"
    ]
    assert talk.controls[-1]["reason"] == "idle"


def test_after_the_end_a_new_message_opens_a_new_session(rasa_stack: Stack) -> None:
    talk = Conversation(rasa_stack, "again")
    talk.say("你好")
    talk.say("再见")
    assert talk.say("你好")[0].startswith(OPENING_PREFIX)


def test_anger_twice_hands_off_with_priority(rasa_stack: Stack) -> None:
    talk = Conversation(rasa_stack, "angry")
    assert "请您别着急,慢慢讲,我们会尽力帮您解决。" in talk.say("气死我了!")
    second = talk.say("我真的快被气疯了,你们这是什么态度!!")
    assert any("优先转接人工" in text for text in second) or any(
        "请您别着急" in text for text in second
    )


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
    assert any("评价" in text for text in talk.say("没有了"))
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
    talk.say("我要投诉,你们的快递三天了还没送到")
    talk.say("我姓周")
    talk.say("13600002222")
    assert any("订单号" in text for text in talk.say("对"))
    assert any("地址" in text for text in talk.say("订单号是20261101001"))
    assert any("回电的时间" in text for text in talk.say("阳光花园5号楼1单元302"))
    number = TICKET_NUMBER.search(" ".join(talk.say("明天上午")))
    assert number
    ticket = build_ticket_service(env=settings(rasa_stack.env)).get_ticket(number.group(0))
    assert ticket is not None
    assert ticket.category == "delivery_delay"
    assert ticket.order_number == "20261101001"
    assert ticket.caller.address == "阳光花园5号楼1单元302"


def test_an_order_number_given_alone_after_we_asked_is_looked_up(rasa_stack: Stack) -> None:
    talk = Conversation(rasa_stack, "keyed")
    assert any("订单号" in text for text in talk.say("帮我查一下订单"))
    reply = " ".join(talk.say("20261101001"))
    assert "已发货,预计明天送达" in reply
