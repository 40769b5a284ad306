"""Rule-based entities of spoken Chinese: surname, title, rating, time slot,
address, staff name, branch.

These are grammar, not business data (business vocabularies such as product
names are lookup tables in data/nlu). Each finder takes normalised text
(Simplified, half-width, Arabic digits in number runs) and returns spans.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.nlu.names import AMBIGUOUS_BEFORE_TITLE, SPOKEN_SPELLINGS, surname_alternation
from bot.nlu.spans import EntitySpan
from bot.text.digits import chinese_number_value

SURNAME = surname_alternation()
_CN = "[一二三四五六七八九十两]"
_END = r"(?=$|[,.!?;:、，。！？；：\s]|的|啊|呀|吧|呢)"

# --- surname and title ------------------------------------------------------
_SURNAME_SAID = re.compile(rf"(?:我|本人|免贵|鄙人)?姓({SURNAME})")
_SURNAME_SPELLED = re.compile("|".join(sorted(SPOKEN_SPELLINGS, key=len, reverse=True)))
_NAME_SAID = re.compile(rf"(?:我叫|叫我|我的名字是|我名字叫)(?:小|老)?({SURNAME})")
_WITH_TITLE = re.compile(rf"({SURNAME})(先生|女士|小姐|太太)")
_TITLE_SELF = re.compile(r"我是(男的|女的|先生|女士|男士|小姐)")
_TITLES = {"先生": "先生", "男的": "先生", "男士": "先生", "女士": "女士", "女的": "女士",
           "小姐": "女士", "太太": "女士"}


def find_surname_title(text: str) -> list[EntitySpan]:
    spans: list[EntitySpan] = []
    for match in _SURNAME_SPELLED.finditer(text):
        spans.append(EntitySpan("surname", *match.span(), SPOKEN_SPELLINGS[match.group(0)]))
    for pattern in (_SURNAME_SAID, _NAME_SAID):
        for match in pattern.finditer(text):
            spans.append(EntitySpan("surname", *match.span(1), match.group(1)))
    for match in _WITH_TITLE.finditer(text):
        surname, title = match.group(1), match.group(2)
        if len(surname) == 1 and surname in AMBIGUOUS_BEFORE_TITLE:
            continue
        spans.append(EntitySpan("surname", *match.span(1), surname))
        spans.append(EntitySpan("title", *match.span(2), _TITLES[title]))
    for match in _TITLE_SELF.finditer(text):
        spans.append(EntitySpan("title", *match.span(1), _TITLES[match.group(1)]))
    return spans


# --- rating -----------------------------------------------------------------
_RATING_SCORE = re.compile(r"([1-5]|[一二三四五两])\s*(?:分|星|颗星)(?![钟钱级])")
_RATING_ALONE = re.compile(
    r"^(?:嗯|那|就|我)?(?:给|打|评|选)?(?:个)?([1-5]|[一二三四五])(?:分|星)?(?:吧|啊|呀|。|!|\.)?$"
)
_RATING_WORDS = {
    "非常不满意": "1", "很不满意": "1", "特别不满意": "1", "太差了": "1",
    "不满意": "2", "不太满意": "2", "不怎么满意": "2",
    "一般": "3", "一般般": "3", "还行": "3", "凑合": "3", "马马虎虎": "3",
    "满意": "4", "比较满意": "4", "挺满意": "4", "还算满意": "4",
    "非常满意": "5", "很满意": "5", "特别满意": "5", "十分满意": "5", "超级满意": "5",
}
_RATING_WORD = re.compile(
    r"^(?:嗯|我觉得|还是)?[,，]?(" + "|".join(sorted(_RATING_WORDS, key=len, reverse=True))
    + r")(?:吧|啊|的|呀|了)?[。!！.]?$"
)


def find_rating(text: str) -> list[EntitySpan]:
    stripped = text.strip()
    alone = _RATING_ALONE.match(stripped)
    if alone:
        start = text.index(stripped) + alone.start(1)
        value = chinese_number_value(alone.group(1))
        return [EntitySpan("rating", start, start + len(alone.group(1)), str(value))]
    word = _RATING_WORD.match(stripped)
    if word:
        start = text.index(stripped) + word.start(1)
        value = _RATING_WORDS[word.group(1)]
        return [EntitySpan("rating", start, start + len(word.group(1)), value)]
    spans = []
    for match in _RATING_SCORE.finditer(text):
        value = chinese_number_value(match.group(1))
        if value and 1 <= value <= 5:
            spans.append(EntitySpan("rating", *match.span(), str(value)))
    return spans


# --- time slot --------------------------------------------------------------
_NUM = rf"(?:\d{{1,2}}|{_CN}{{1,3}})"
_WEEKDAY = "[一二三四五六日天末]"
_DAY = (
    rf"(?:今天|明天|后天|大后天|今晚|明晚|明早|今早|昨天|前天|这周{_WEEKDAY}?|下周{_WEEKDAY}?|"
    rf"下个?星期{_WEEKDAY}?|这个?星期{_WEEKDAY}|周{_WEEKDAY}|星期{_WEEKDAY}|礼拜{_WEEKDAY}|"
    rf"工作日|{_NUM}月{_NUM}[号日]|{_NUM}[号日](?![楼院栋线口门])|月底|月初)"
)
_PERIOD = "(?:上午|下午|中午|晚上|早上|傍晚|白天|夜里|午饭后|下班后|下班以后|上班时间|午休时间)"
_CLOCK = rf"(?:{_NUM}[点:](?:半|\d{{1,2}}分?|{_CN}{{1,3}}分|一刻|三刻)?)"
_MOD = "(?:以后|之后|以前|之前|左右|前后|以内|前|后)"
_TIME = re.compile(
    rf"(?:{_DAY}(?:的)?{_PERIOD}?|{_PERIOD})(?:{_CLOCK}(?:(?:到|至|-|~){_CLOCK})?)?{_MOD}?"
    rf"|{_CLOCK}(?:(?:到|至|-|~){_CLOCK})?{_MOD}?"
)
_ANYTIME = re.compile(r"随时(?:都)?(?:可以|行|方便)?|什么时候都(?:可以|行|方便)|全天都(?:可以|行)")
_PAST = ("昨天", "前天")
_NOT_CLOCK_BEFORE = set("快慢大小多少好早晚高低这那有差")


def find_time_slot(text: str) -> list[EntitySpan]:
    spans: list[EntitySpan] = []
    for match in _TIME.finditer(text):
        value = match.group(0)
        if not value or value.startswith(_PAST):
            continue
        start = match.start()
        if re.fullmatch(rf"{_CN}{{1,2}}点", value) and (
            value.startswith("一") or (start > 0 and text[start - 1] in _NOT_CLOCK_BEFORE)
        ):
            continue  # "快一点", "大声一点": not a time
        if re.fullmatch(r"\d{1,2}[:]\d{0,2}", value):
            continue
        spans.append(EntitySpan("time_slot", start, match.end(), value))
    for match in _ANYTIME.finditer(text):
        spans.append(EntitySpan("time_slot", *match.span(), "随时"))
    return spans


# --- address ----------------------------------------------------------------
_STOP = "我你他她它在是到的了住家址送往去从和跟把请帮给说要想就还也都那这个啊吧呢吗嗯们"
_W = rf"[^\W\d_{_STOP}]"
_ADMIN = rf"{_W}{{2,7}}?(?:省|自治区|市|区|县|镇|乡|街道)"
_ROAD = rf"{_W}[^\W_{_STOP}]{{0,7}}?(?:路|街|大道|大街|巷|弄|胡同)"
_HOUSE = r"(?:\d+(?:弄|支弄|巷))?\d+(?:号院|号楼|号)"
_ESTATE_END = "(?:小区|花园|公寓|大厦|家园|新村|广场|苑|村|园|城|府|里)"
_ESTATE = rf"{_W}[^\W_{_STOP}]{{1,7}}?{_ESTATE_END}(?:\d+期)?"
_UNIT = r"(?:\d+|[A-Za-z])(?:号楼|栋|幢|座|单元|层|楼|室|号|户)"
_ADDRESS = re.compile(
    rf"(?:{_ADMIN})*(?:{_ROAD})?(?:{_HOUSE})?(?:{_ESTATE})?(?:{_UNIT})*(?:(?<=[栋幢座单元层楼])\d{{3,4}}(?!\d))?"
)
_PARTS = [re.compile(p) for p in (_ADMIN, _ROAD, _HOUSE, _ESTATE, _UNIT)]


def _address_parts(value: str) -> int:
    return sum(1 for p in _PARTS if p.search(value))


def names_a_place(text: str) -> bool:
    """The text has at least one part of an address (a road, a house number, an estate,
    a unit …): a bare answer to "the address?" rather than something else."""
    return _address_parts(text) >= 1


def find_address(text: str) -> list[EntitySpan]:
    spans = []
    for match in _ADDRESS.finditer(text):
        value = match.group(0)
        if len(value) < 4 or _address_parts(value) < 2:
            continue
        spans.append(EntitySpan("address", *match.span(), value))
    return spans


# --- staff name and branch -------------------------------------------------
_ROLE = (
    "(?:安装师傅|维修师傅|送货师傅|客服|师傅|快递员|配送员|店员|导购|营业员|店长|经理|主管"
    "|工程师|专员|小哥)"
)
_NAME = rf"(?:[小老阿]{SURNAME}|{SURNAME}{_W}{{1,2}}?)"
_STAFF_PATTERNS = (
    re.compile(rf"{_ROLE}({_NAME}){_END}"),
    re.compile(rf"(?<![{_STOP}])({SURNAME}(?:师傅|经理|店长|主管|工程师|老师|工))"),
    re.compile(rf"(?:找|找一下|找下|转给|转接|叫|请)(?:你们|一下)?(?:那个|公司的|店里的|的)?({_NAME})"
               rf"(?=听电话|接电话|在吗|在不在|吗|呢|$|[,.!?，。！？])"),
    re.compile(r"(工号\s?\d{2,8})"),
)


def find_staff_name(text: str) -> list[EntitySpan]:
    spans = []
    for pattern in _STAFF_PATTERNS:
        for match in pattern.finditer(text):
            spans.append(EntitySpan("staff_name", *match.span(1), match.group(1)))
    return spans


_BRANCH = re.compile(
    rf"({_W}[^\W_{_STOP}]{{1,9}}?(?:分店|门店|旗舰店|专卖店|体验店|营业厅|售后网点|服务网点|服务中心|(?<![酒饭商书花药网旅客])店))"
)
_NOT_BRANCH = ("这家", "那家", "哪家", "每家", "网店", "实体店", "线下店", "本店", "商店", "门店")


def find_branch(text: str) -> list[EntitySpan]:
    spans = []
    for match in _BRANCH.finditer(text):
        value = match.group(1)
        if value.startswith(_NOT_BRANCH) or value in _NOT_BRANCH or len(value) < 3:
            continue
        spans.append(EntitySpan("branch", *match.span(1), value))
    return spans


FINDERS: dict[str, Callable[[str], list[EntitySpan]]] = {
    "surname": find_surname_title,
    "rating": find_rating,
    "time_slot": find_time_slot,
    "address": find_address,
    "staff_name": find_staff_name,
    "branch": find_branch,
}
