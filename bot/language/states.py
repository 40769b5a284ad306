"""Signs of a caller's state in the words of a request (pure).

The intent classifier names one intent per message; a complaint said in anger is a
complaint (that is what the caller wants handled) with anger beside it, and the
manual wants the calming line first. These are the unmistakable signs of anger in a
request; the NLU's own caller-state reading, when it gives one, comes first
(rasa_extensions/turns.py).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.language.lexicon import default_lexicon

_ANGER = re.compile(
    r"气死|气人|气炸|火大|一肚子火|受够|忍无可忍|太过分|欺人太甚|欺负人|坑人|骗子|垃圾|"
    r"他妈|特么|tmd|什么破|破东西|破玩意|搞什么|到底(?:还)?(?:要|想|怎么)|"
    r"还要我等|都第[二三四五几]次|说了多少遍|别再(?:敷衍|推)|恼火|愤怒|"
    # swearing for emphasis (`妈的，退款到现在还没到账`): anger, aimed at no one
    r"妈的|卧槽|我靠|尼玛|(?<![a-z])md(?![a-z])|^(?:靠|操)(?:[,，!！]|$)|操蛋|"
    r"烦死|无语了|真无语|真(?:是)?服了|服了你们"
)


def shows_anger(text: str) -> bool:
    """The words carry unmistakable anger (`气死我了`, `他妈的`, `都第三次了`)."""
    return bool(_ANGER.search(text.lower()))


def praise_then_problem(text: str) -> bool:
    """Praise, then the problem after a contrast (`师傅很耐心,不过洗衣机还是漏水`): the
    caller is glad of someone and still has something to be handled."""
    return default_lexicon().turns_negative(text)


@dataclass(frozen=True)
class CallerState:
    """How the caller feels beside what they ask, and where that reading comes from:
    `intent` (the message is the state itself), `ranking` (the state close behind the
    request), `words` (unmistakable anger in the words, `shows_anger`)."""

    name: str
    confidence: float
    source: str


def read_caller_state(intent: str, confidence: float, ranking: Sequence[tuple[str, float]],
                      text: str, *, states: Collection[str], angry: str,
                      beside: float) -> CallerState | None:
    """The caller state of one message: its intent when that is a state; else anger
    beside the request (`搞什么啊，发票到底怎么开` is an invoice question said in
    anger), read close behind in the ranking (at least `beside`) or in the words. Only
    anger is read beside a request: the malicious decision is the gate's alone, and a
    complaint or praise beside a request is the request's business."""
    if intent in states:
        return CallerState(intent, confidence, "intent")
    for name, score in list(ranking)[1:3]:
        if name == angry and score >= beside:
            return CallerState(angry, score, "ranking")
    if shows_anger(text):
        score = next((score for name, score in ranking if name == angry), 0.0)
        return CallerState(angry, score, "words")
    return None
