"""The Chinese-language rules the forms and the closing read answers with (bot/language),
the same package the NLU components use."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.language import names, replies
from bot.language.numbers import (
    group_digits,
    mobile_number,
    order_number_in,
    phone_candidate,
    ticket_number_in,
)
from bot.language.ratings import bare_score, find_rating
from bot.language.replies import (
    meant_value,
    only_asks_to_complain,
    refers_to_that_order,
    retracts_complaint,
    says_nothing_more,
    skips,
    takes_up_offer,
)
from bot.language.states import read_caller_state


@pytest.mark.parametrize(("text", "surname"), [
    ("王", "王"), ("姓王", "王"), ("我姓王", "王"), ("王先生", "王"), ("欧阳", "欧阳"),
    ("我要投诉", None), ("13812345678", None),
    # a rare surname is taken; a filler, a yes or a wait is nobody's name
    ("佘", "佘"), ("嗯", None), ("嗯嗯", None), ("好的", None), ("是的", None), ("可以", None),
    ("等一下", None),
])
def test_a_bare_surname(text: str, surname: str | None) -> None:
    assert names.bare_surname(text) == surname


def test_surname_corrections_titles_and_address() -> None:
    assert names.corrected_surname("我说错了,是李") == "李"
    assert names.corrected_surname("是李先生。") == "李"
    assert names.corrected_surname("不是这样") is None
    assert names.title_in("我是王小姐") == "小姐" and names.addressing_title("小姐") == "女士"
    assert names.is_surname("欧阳") and not names.is_surname("Wang")
    assert names.address_form("王", "先生", "先生(女士)") == "王先生"
    assert names.address_form("王", None, "先生(女士)") == "王先生(女士)"


@pytest.mark.parametrize(("text", "score"), [
    ("4", 4), ("五分", 5), ("5 分。", 5), ("三", 3), ("6", None), ("非常满意", None),
])
def test_a_bare_score(text: str, score: int | None) -> None:
    assert bare_score(text) == score


def test_ratings_in_longer_words_are_entities() -> None:
    assert [span.value for span in find_rating("非常满意")] == ["5"]


def test_numbers_in_answers() -> None:
    assert phone_candidate("打010-88886666找我") == "010-88886666"
    assert mobile_number("号码13812345678谢谢") == "13812345678"
    assert mobile_number("订单2026110100112345") is None
    assert ticket_number_in("工单 t202611230001") == "T202611230001"
    assert order_number_in("订单号是DD２０２６１１０１００１") == "DD20261101001"
    assert group_digits("13812345678") == "138 1234 5678"
    assert group_digits("01088886666") == "010 88886666"


def test_asking_to_complain_is_not_a_description() -> None:
    assert only_asks_to_complain("我要投诉")
    assert only_asks_to_complain("我想反映一下。")
    assert not only_asks_to_complain("我要投诉,洗衣机漏水")


# --- promised times as said (bot/language/moments.py) -----------------------------------
def test_promised_times_are_said_relative_to_the_day_and_rounded_down() -> None:
    from datetime import timezone

    from bot.language.moments import spoken_deadline

    zone = timezone(timedelta(hours=8))
    now = datetime(2026, 12, 2, 16, 11, 40, tzinfo=zone)
    assert spoken_deadline(now + timedelta(hours=2), now) == "今天18:10"
    assert spoken_deadline(datetime(2026, 12, 3, 9, 0, tzinfo=zone), now) == "明天9:00"
    assert spoken_deadline(datetime(2026, 12, 4, 9, 4, tzinfo=zone), now) == "后天9:00"
    assert spoken_deadline(datetime(2026, 12, 5, 18, 59, tzinfo=zone), now) == "12月5日18:55"
    assert spoken_deadline(datetime(2027, 1, 4, 10, 0, tzinfo=zone), now) == "2027年1月4日10:00"
    # the reference is read in the deadline's zone: 23:30 UTC is already tomorrow in +08
    utc = datetime(2026, 12, 1, 23, 30, tzinfo=timezone.utc)
    assert spoken_deadline(datetime(2026, 12, 2, 9, 30, tzinfo=zone), utc) == "今天9:30"


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 1, 1)),
       st.integers(0, 60 * 24 * 40))
def test_a_promised_time_is_never_later_than_the_deadline(start: datetime, minutes: int) -> None:
    from bot.language.moments import spoken_deadline

    deadline = start + timedelta(minutes=minutes)
    said = re.fullmatch(r"(今天|明天|后天|(\d{4}年)?\d{1,2}月\d{1,2}日)(\d{1,2}):(\d{2})",
                        spoken_deadline(deadline, start))
    assert said is not None
    assert int(said.group(3)) == deadline.hour
    assert 0 <= deadline.minute - int(said.group(4)) < 5


@pytest.mark.parametrize("text,expected", [
    ("不投诉了,帮我查下订单到哪了", True), ("不是投诉,我想查订单", True), ("我不是来投诉的", True),
    ("算了,不用登记了", True), ("我要投诉", False), ("投诉你们的快递员", False),
    ("不好意思,我要投诉", False), ("我要投诉,师傅说好来又不来登记", False),
])
def test_taking_back_a_complaint(text: str, expected: bool) -> None:
    assert retracts_complaint(text) is expected


@pytest.mark.parametrize("text, spans, meant", [
    ("我姓张，哦不对，姓章", [(2, 3), (9, 10)], 1),
    ("电话13812345678，不对，是13912345678", [(2, 13), (17, 28)], 1),
    ("我姓王不是汪", [(2, 3), (5, 6)], 0),
    ("我姓王，不是汪", [(2, 3), (6, 7)], 0),
    ("张先生和李女士都可以联系", [(0, 1), (4, 5)], 0),
    ("我姓李", [(2, 3)], 0),
])
def test_the_value_a_caller_settles_on_in_one_breath(
        text: str, spans: list[tuple[int, int]], meant: int) -> None:
    assert meant_value(text, spans) == meant


@pytest.mark.parametrize("text, expected", [
    ("我没有订单号，是在你们门店买的", True), ("门店买的", True), ("真没有，门店买的", True),
    ("在门店买的洗衣机坏了", False), ("订单号是20261101001", False),
])
def test_no_order_number_is_a_skip(text: str, expected: bool) -> None:
    assert skips(text) is expected


@pytest.mark.parametrize("text, expected", [
    ("好的，帮我登记一下", True), ("需要", True), ("那就派人来吧", True),
    ("嗯", False), ("有", False), ("好的", False),
])
def test_a_yes_that_takes_up_the_offer_to_register(text: str, expected: bool) -> None:
    assert takes_up_offer(text) is expected


@pytest.mark.parametrize("text, expected", [
    ("好的谢谢，没别的了", True), ("没有其他问题了", True), ("算了，就这样吧", True),
    ("没啥事了，谢谢", True), ("就这些了。", True), ("算了不说了", True), ("不问了", True),
    ("不查了", False),
    ("没有订单号", False), ("还有别的问题", False), ("就这样处理可以吗", False),
    ("谢谢", False), ("没别的颜色了吗", False), ("没有别的了吗?", False),
    ("我不说了你也不懂", False),
])
def test_nothing_more_to_say(text: str, expected: bool) -> None:
    assert says_nothing_more(text) is expected


def test_a_personal_call_asks_for_someone_and_every_training_example_does() -> None:
    import yaml

    from bot.config import PROJECT_ROOT
    from bot.language.patterns import asks_for_someone
    from bot.language.text.normalize import normalize_text

    data = yaml.safe_load((PROJECT_ROOT / "data/nlu/conversation.yml").read_text("utf-8"))
    examples = [line[2:] for item in data["nlu"] if item.get("intent") == "personal_call"
                for line in item["examples"].splitlines() if line.startswith("- ")]
    assert examples and all(asks_for_someone(normalize_text(text)) for text in examples)
    for text in ("我先问一下，你们周末上班吗", "等等，我先问一下，你们几点下班",
                 "我没有订单号，是在你们门店买的", "你们今天上班吗"):
        assert not asks_for_someone(text)


@pytest.mark.parametrize("text, expected", [
    ("那这个订单的退款呢", True), ("刚才那单退款到了没", True), ("那个单子呢", True),
    ("帮我查一下订单", False), ("这个订单号是多少", False), ("我还有一个订单", False),
])
def test_a_request_about_the_order_just_looked_up(text: str, expected: bool) -> None:
    assert refers_to_that_order(text) is expected


@pytest.mark.parametrize(("text", "slot"), [
    ("订单号我忘了", "order_number"), ("订单号码找不到了", "order_number"),
    ("电话不方便留", "phone_number"), ("地址就不说了", "caller_address"),
    ("名字不想说", "surname"), ("不记得了", None), ("不方便", None),
])
def test_a_skip_names_what_it_skips(text: str, slot: str | None) -> None:
    assert replies.skipped_subject(text) == slot


STATES = {"angry", "malicious", "complaint", "praise", "out_of_scope"}


@pytest.mark.parametrize(("intent", "ranking", "text", "expected"), [
    ("complaint", [("complaint", 0.9)], "洗衣机漏水", ("complaint", "intent")),
    ("order_status", [("order_status", 0.6), ("angry", 0.3)], "订单到底到哪了",
     ("angry", "ranking")),
    ("order_status", [("order_status", 0.9), ("angry", 0.05)], "气死我了,订单到哪了",
     ("angry", "words")),
    ("order_status", [("order_status", 0.7), ("malicious", 0.25)], "订单到哪了", None),
    ("order_status", [("order_status", 0.7), ("complaint", 0.25)], "订单到哪了", None),
    ("order_status", [("order_status", 0.95)], "帮我查下订单", None),
    # swearing for emphasis is anger aimed at no one
    ("refund_status", [("refund_status", 0.9)], "妈的,退款到现在还没到账", ("angry", "words")),
    ("order_status", [("order_status", 0.9)], "我靠,怎么还没发货", ("angry", "words")),
    ("order_status", [("order_status", 0.9)], "真是服了,订单到底到哪了", ("angry", "words")),
    # ... and its letters inside other words are not
    ("product_question", [("product_question", 0.9)], "这个操作靠谱吗", None),
])
def test_the_caller_state_beside_a_request_is_anger_only(
        intent: str, ranking: list[tuple[str, float]], text: str,
        expected: tuple[str, str] | None) -> None:
    state = read_caller_state(intent, ranking[0][1], ranking, text, states=STATES,
                              angry="angry", beside=0.2)
    assert (None if state is None else (state.name, state.source)) == expected
