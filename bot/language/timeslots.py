"""Time slots in the caller's words: "明天上午", "今天下午三点以后", "随时".

`find_time_slot` marks them in a message (NLU entity extractor); `parse_time_slot` reads a
preferred callback time (the forms, the ticket service): the start of the slot as an
aware datetime, ANY_TIME when the caller has no preference, or None when the words are
not a time we understand.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Optional, Union

from bot.language.spans import EntitySpan
from bot.language.text.digits import chinese_number_value
from bot.language.text.normalize import normalize_text

ANY_TIME = "any"
ANY_TIME_WORDS = ("随时", "都可以", "都行", "什么时候都", "任何时间", "无所谓", "全天")
DAY_OFFSETS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
# Start hour of each part of the day.
PARTS_OF_DAY = {
    "早上": 9, "上午": 9, "中午": 12, "下午": 14, "傍晚": 17, "晚上": 19, "晚": 19,
}
PART_HOURS = 4  # how long a part of the day lasts, roughly
_HOUR = re.compile(r"(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*[点:时]\s*(半|\d{1,2}分?)?")
_WEEKDAY = re.compile(r"(?:下)?(?:周|星期|礼拜)([一二三四五六日天1-7])")
WEEKDAYS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7}

ParsedSlot = Union[datetime, str]
# `下午三点以后给我回电话`: the time is when to call back, not part of the story told
_CALLBACK_CUE = re.compile(r"回电|回个?电话|回我电话|打给我|打我电话|给我打|联系我|回访|给我回")


def names_a_callback(text: str) -> bool:
    return bool(_CALLBACK_CUE.search(normalize_text(text or "")))


def parse_time_slot(text: str, now: datetime) -> Optional[ParsedSlot]:
    words = normalize_text(text or "")
    if any(word in words for word in ANY_TIME_WORDS):
        return ANY_TIME
    day = None
    for word in sorted(DAY_OFFSETS, key=len, reverse=True):
        if word in words:
            day = now.date() + timedelta(days=DAY_OFFSETS[word])
            break
    weekday = _WEEKDAY.search(words)
    if day is None and weekday:
        target = WEEKDAYS.get(weekday.group(1)) or int(weekday.group(1))
        if words[weekday.start():].startswith("下"):
            # 下周一: Monday of next week, whatever today is
            monday = now.date() - timedelta(days=now.isoweekday() - 1)
            day = monday + timedelta(days=7 + target - 1)
        else:
            day = now.date() + timedelta(days=(target - now.isoweekday()) % 7 or 7)
    part = next((PARTS_OF_DAY[w] for w in PARTS_OF_DAY if w in words), None)
    hour = None
    match = _HOUR.search(words)
    if match:
        hour = chinese_number_value(match.group(1))
        if hour is not None and part is not None and part >= 12 and hour < 12:
            hour += 12
    if day is None and part is None and hour is None:
        return None
    day_said = day is not None
    if day is None:
        day = now.date()
    start_hour = hour if hour is not None else (part if part is not None else 9)
    if start_hour is None or not 0 <= start_hour <= 23:
        return None
    minute = 30 if match and match.group(2) == "半" else 0
    start = datetime.combine(day, time(start_hour, minute), tzinfo=now.tzinfo)
    if (start < now and hour is None and part is not None and day == now.date()
            and now < start + timedelta(hours=PART_HOURS)):
        return now  # "(今天)下午" said at 16:00: the afternoon still going on
    if not day_said and start < now:
        # "下午" once it is over, or an hour gone by: the same time tomorrow.
        return start + timedelta(days=1)
    return start


# --- time slots as entities (NLU) ----------------------------------------------
_CN = "[一二三四五六七八九十两]"
_NUM = rf"(?:\d{{1,2}}|{_CN}{{1,3}})"
_DAY_OF_WEEK = "[一二三四五六日天末]"
# `和平里5号`, `建国路12号`: a house number after a road or an estate, not a day
_HOUSE_NUMBER_NOT = r"(?<![\d一二三四五六七八九十里路街巷道村院弄区楼栋幢座])"
_DAY = (
    rf"(?:今天|明天|后天|大后天|今晚|明晚|明早|今早|昨天|前天|"
    rf"这周{_DAY_OF_WEEK}?|下周{_DAY_OF_WEEK}?|下个?星期{_DAY_OF_WEEK}?|这个?星期{_DAY_OF_WEEK}|"
    rf"周{_DAY_OF_WEEK}|星期{_DAY_OF_WEEK}|礼拜{_DAY_OF_WEEK}|"
    rf"工作日|{_NUM}月{_NUM}[号日]|{_HOUSE_NUMBER_NOT}{_NUM}[号日](?![楼院栋线口门])|月底|月初)"
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
# `等了一上午`, `折腾了整个下午`: how long something lasted, not a time of day
_DURATION_BEFORE = re.compile(r"(?:一整?|整个|整整一?|大半个?|半个)$")
_PERIOD_FIRST = re.compile(_PERIOD)


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
        if _PERIOD_FIRST.match(value) and _DURATION_BEFORE.search(text[max(0, start - 3):start]):
            continue
        spans.append(EntitySpan("time_slot", start, match.end(), value))
    for match in _ANYTIME.finditer(text):
        spans.append(EntitySpan("time_slot", *match.span(), "随时"))
    return spans


