"""Satisfaction ratings (1-5) in the caller's words: `五分`, `4`, `非常满意`, `还行`.

Used by the NLU entity extractor (`find_rating`) and by the closing's survey
(`bare_score`, for an answer the NLU gave no rating entity). Texts are normalised first
(bot/language/text).
"""

from __future__ import annotations

import re
from typing import Optional

from bot.language.spans import EntitySpan
from bot.language.text.digits import chinese_number_value

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



# A bare score as an answer: "4", "五分", "5 分。".
_BARE_SCORE = re.compile(r"^\s*([1-5一二三四五])\s*分?\s*[。.!！]?\s*$")
_SCORE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}


def bare_score(text: str) -> Optional[int]:
    """The 1-5 score of a bare answer (or of a rating entity's value), else None."""
    match = _BARE_SCORE.match(text)
    if not match:
        return None
    char = match.group(1)
    return _SCORE_DIGITS.get(char) or int(char)
