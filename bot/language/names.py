"""Names and how callers are addressed: surnames (common single and compound ones),
their spoken spellings, titles (先生/女士), and how a caller gives or corrects a surname.

Callers spell their surname by its parts on the phone: "弓长张", "木子李". Used by the
NLU entity extractor (`find_surname_title`) and by the forms (`bare_surname`,
`corrected_surname`, `title_in`, `address_form`). Texts are normalised first
(bot/language/text: Simplified, half-width, Arabic digits).
"""

from __future__ import annotations

import re
from typing import Optional

from bot.language.spans import EntitySpan

COMPOUND_SURNAMES = [
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "令狐", "司徒", "夏侯",
    "尉迟", "公孙", "长孙", "宇文", "轩辕", "端木", "独孤", "南宫", "西门", "澹台",
    "呼延", "百里", "东郭", "万俟", "申屠", "第五",
]

SINGLE_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺"
    "顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿"
    "关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华"
    "喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗"
    "瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠"
    "惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼满闻厉伊仝区郜阚花权强帅屠豆朴盖练廉禹井祖"
    "漆巴丰支卿国狄平计索宣晋相初门云容敬扈晁芮普阙浦戈伏鹿薄邸雍辜羊乌母裘亓修邰赫杭况宿鲜"
    "印逯隆茹诸战慕危玉银亢嵇湛宾戎茅利於呼居揭干尉冶斯元束檀衣信展阴昝智幸奉植衡富尧"
)

# Characters that are surnames but far more often ordinary words before 先生/女士/师傅.
AMBIGUOUS_BEFORE_TITLE = frozenset("和于时成平国明信单元南门相初云容区花")

SPOKEN_SPELLINGS = {
    "弓长张": "张",
    "立早章": "章",
    "木子李": "李",
    "耳东陈": "陈",
    "口天吴": "吴",
    "双木林": "林",
    "草头黄": "黄",
    "三横王": "王",
    "古月胡": "胡",
    "言午许": "许",
    "人可何": "何",
    "禾呈程": "程",
    "双口吕": "吕",
    "子小孙": "孙",
    "关耳郑": "郑",
    "木易杨": "杨",
    "走肖赵": "赵",
    "文刀刘": "刘",
    "三点水的江": "江",
    "三点水江": "江",
}


def surname_alternation() -> str:
    """A regex alternation matching one surname, compound ones first."""
    return "(?:" + "|".join(COMPOUND_SURNAMES) + "|[" + SINGLE_SURNAMES + "])"


SURNAME = surname_alternation()

# --- surname and title as entities (NLU) ---------------------------------------
_SURNAME_SAID = re.compile(rf"(?:我|本人|免贵|鄙人)?姓({SURNAME})")
_SURNAME_SPELLED = re.compile("|".join(sorted(SPOKEN_SPELLINGS, key=len, reverse=True)))
_NAME_SAID = re.compile(rf"(?:我叫|叫我|我的名字是|我名字叫)(?:小|老)?({SURNAME})")
_WITH_TITLE = re.compile(rf"({SURNAME})(先生|女士|小姐|太太)")
_TITLE_SELF = re.compile(r"我是(男的|女的|先生|女士|男士|小姐)")
# The two titles a caller is addressed with, from the words callers use.
TITLES = {"先生": "先生", "男的": "先生", "男士": "先生", "女士": "女士", "女的": "女士",
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
        spans.append(EntitySpan("title", *match.span(2), TITLES[title]))
    for match in _TITLE_SELF.finditer(text):
        spans.append(EntitySpan("title", *match.span(1), TITLES[match.group(1)]))
    return spans


# --- a surname as a form's answer ----------------------------------------------
_HAN = re.compile(r"[^\u4e00-\u9fff]")
_BARE_SURNAME = re.compile(r"^(?:我)?(?:姓)?([\u4e00-\u9fff]{1,2}?)(?:先生|女士|小姐)?$")
_TITLE_WORD = re.compile(r"(先生|女士|小姐)")
_CORRECTED_SURNAME = re.compile(rf"是({SURNAME})(?:先生|女士|小姐)?[,.!。，！]?$")
_SURNAME_SHAPE = re.compile(r"[\u4e00-\u9fff]{1,2}")
# fillers, yes and no, pronouns and particles: a bare answer made of these names nobody
_NOT_A_SURNAME = frozenset("嗯啊哦噢呃额唉哎欸诶呀吧呢吗嘛啦喂喔"
                           "对是好行要可以能没不无有谁啥什么这那您你我他她它的了在等一下")


def bare_surname(text: str) -> Optional[str]:
    """The surname of a bare answer to "您贵姓?": `王`, `姓王`, `王先生`; a rare surname
    too, but never a filler or a yes (`嗯`, `好的`: the caller was to be called 嗯先生)."""
    match = _BARE_SURNAME.match(_HAN.sub("", text))
    if not match:
        return None
    word = match.group(1)
    if word[0] not in SINGLE_SURNAMES and word not in COMPOUND_SURNAMES and (
            _NOT_A_SURNAME.intersection(word)):
        return None
    return word if word in COMPOUND_SURNAMES else word[0]


def corrected_surname(text: str) -> Optional[str]:
    """The new surname of a correction: `我说错了，是李`."""
    match = _CORRECTED_SURNAME.search(text)
    return match.group(1) if match else None


def is_surname(value: str) -> bool:
    """One or two Chinese characters, the shape of a surname."""
    return bool(_SURNAME_SHAPE.fullmatch(value))


def title_in(text: str) -> Optional[str]:
    """The title a caller names in a message (`先生`, `女士`, `小姐`), if any."""
    match = _TITLE_WORD.search(text)
    return match.group(1) if match else None


def addressing_title(title: Optional[str]) -> Optional[str]:
    """The title a caller is addressed with: 小姐 is addressed as 女士."""
    return "女士" if title == "小姐" else title


def address_form(surname: str, title: Optional[str], unknown_title: str) -> str:
    """王先生 / 王女士, or the surname with `unknown_title` (先生(女士)) while the title is
    not known."""
    if title in ("先生", "女士"):
        return f"{surname}{title}"
    return f"{surname}{unknown_title}"
