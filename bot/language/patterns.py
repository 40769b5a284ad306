"""Rule-based entities of spoken Chinese: address, staff name, branch here, and the
registry of every finder (surname and title in `names`, rating in `ratings`, time slot
in `timeslots`).

These are grammar, not business data (business vocabularies such as product
names are lookup tables in data/nlu). Each finder takes normalised text
(Simplified, half-width, Arabic digits in number runs) and returns spans.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.language.names import SURNAME, find_surname_title
from bot.language.ratings import find_rating
from bot.language.spans import EntitySpan
from bot.language.timeslots import find_time_slot

_END = r"(?=$|[,.!?;:、，。！？；：\s]|的|啊|呀|吧|呢)"


# --- address ----------------------------------------------------------------
_STOP = "我你他她它在是到的了住家址送往去从和跟把请帮给说要想就还也都那这个啊吧呢吗嗯们"
_W = rf"[^\W\d_{_STOP}]"
# a place name may begin with a word that is a stop character elsewhere (和平里, 和平路)
_PLACE_LEAD = "和平"
_ADMIN = rf"(?:{_PLACE_LEAD}|{_W}{{2,7}}?)(?:省|自治区|市|区|县|镇|乡|街道)"
_ROAD = rf"(?:{_PLACE_LEAD}|{_W})[^\W_{_STOP}]{{0,7}}?(?:路|街|大道|大街|巷|弄|胡同)"
_HOUSE = r"(?:\d+(?:弄|支弄|巷))?\d+(?:号院|号楼|号)"
_ESTATE_END = "(?:小区|花园|公寓|大厦|家园|新村|广场|苑|村|园|城|府|里)"
_ESTATE_NAME = rf"(?:{_PLACE_LEAD}[^\W_{_STOP}]{{0,7}}?|{_W}[^\W_{_STOP}]{{1,7}}?)"
# `和平里小区`: an estate word after a name that already ends like one
_ESTATE = rf"{_ESTATE_NAME}{_ESTATE_END}(?:小区|花园|公寓|大厦|家园|新村)?(?:\d+期)?"
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


# Someone a caller asks for by name or by who they are to them (a personal call).
_KIN = re.compile(r"老婆|老公|爱人|媳妇|丈夫|妻子|儿子|女儿|闺女|家属|家里人|男朋友|女朋友|对象"
                  r"|朋友|同学|亲戚|[妈爸]")
_SOMEONE_THERE = re.compile(rf"({_NAME})(?:今天|现在|还)?(?:在吗|在不在|在没在|上班吗|上班没"
                            r"|有没有上班|听电话|接电话|回个电话)")
_SOMEONE_ASKED = re.compile(rf"(?:找|转|喊|叫|请)(?:一下|下)?(?:你们|您们)?"
                            rf"(?:[^,，。！？!?]{{1,4}}的)?(?:那个|一个|个)?(?:叫)?({_NAME})")
_NOT_A_NAME = re.compile(r"^(?:周[末一二三四五六日天]|星期|礼拜|今|明|后天|上午|下午|晚上|早上)")


def asks_for_someone(text: str) -> bool:
    """The caller asks for a person (`我找一下刘芳`, `请问韩梅梅今天上班吗`, `我找我老婆`),
    not for the company (`你们周末上班吗`, `我先问一下，你们几点下班`)."""
    if find_staff_name(text) or _KIN.search(text):
        return True
    return any(not _NOT_A_NAME.match(match.group(1))
               for pattern in (_SOMEONE_THERE, _SOMEONE_ASKED) for match in pattern.finditer(text))


def find_staff_name(text: str) -> list[EntitySpan]:
    spans = []
    for pattern in _STAFF_PATTERNS:
        for match in pattern.finditer(text):
            spans.append(EntitySpan("staff_name", *match.span(1), match.group(1)))
    return spans


_BRANCH = re.compile(
    rf"({_W}[^\W_{_STOP}]{{1,9}}?(?:分店|门店|旗舰店|专卖店|体验店|营业厅|售后网点|服务网点|服务中心"
    # 店面, 店员, 店里 … are the shop's parts and people, not its name's end
    rf"|(?<![酒饭商书花药网旅客])店(?![面员长里铺主家]))"
    ")"
)
_NOT_BRANCH = ("这家", "那家", "哪家", "每家", "网店", "实体店", "线下店", "本店", "商店", "门店",
               "该店", "分店", "什么")
# words a sentence starts with before a shop is named (`后来分店也开多了`, `建议该店…`,
# `还开什么店`): taken off the front, what is left must still be a name
_BRANCH_LEAD = re.compile(r"^(?:首先|其次|然后|后来|建议|希望|觉得|感觉|比|开|像|连)")


def find_branch(text: str) -> list[EntitySpan]:
    spans = []
    for match in _BRANCH.finditer(text):
        start, end = match.span(1)
        lead = _BRANCH_LEAD.match(match.group(1))
        start += lead.end() if lead else 0
        value = text[start:end]
        if value.startswith(_NOT_BRANCH) or len(value) < 3:
            continue
        spans.append(EntitySpan("branch", start, end, value))
    return spans


FINDERS: dict[str, Callable[[str], list[EntitySpan]]] = {
    "surname": find_surname_title,
    "rating": find_rating,
    "time_slot": find_time_slot,
    "address": find_address,
    "staff_name": find_staff_name,
    "branch": find_branch,
}
