"""Hand-written lexicons (see lexicons/README.md) and the features built from them.

`Lexicon.scan(text)` finds entries longest-first without overlaps and flips the
polarity of sentiment entries preceded by a negator ("不太新鲜" is negative,
"不难吃" leans positive) and of a fault denied at the end of its clause ("一个坏的都
没有"); a praise word in quotation marks is irony and counts
as negative ("真是太'好'了，等了一周"). Facts stated as good or bad news without a
sentiment word ("师傅十分钟就上门", "续航两天" / "用了三天就坏了", "等了两个小时") are
found by the patterns of good_facts.txt and bad_facts.txt; anger aimed at the listener
as a question, a dare or an order ("你再说一遍试试", "你还是人吗") by confront.txt.
`Lexicon.sentence_features(text)` summarises a message in a small dense vector;
`token_features` marks each token.
`Lexicon.abuse_evidence(text)` names the evidence of abuse aimed at someone
(an insult, a mild swear word aimed at "you" or a group, a group named with
abuse or judged all at once, stereotype.txt, harassment, a threat)
that the malicious decision requires (rasa_extensions/nlu/malicious.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"
# order matters for entries listed twice: the first category owns them
CATEGORIES = ("positive", "negative", "threat", "harass", "abuse", "groups", "anger", "service",
              "oos")
EVIDENCE_KINDS = ("insult", "aimed_swearing", "group_attack", "harassment", "threat")
NEGATION_WINDOW = 2  # characters allowed between a negator and the entry it negates
# words that start with a negator and negate nothing ("不然就断网", "没想到这么快")
# ("特别慢" is slow, not "not slow"; "不得不说真好吃" and "无比好吃" are praise)
_NOT_NEGATING = re.compile(
    "不然|不过|不管|不仅|不但|不久|不少|不停|不断|不论|不得不|不愧|不禁|不由得|忍不住|没想到|没多久"
    "|无论|无比|无敌|无限|无损|无误|无忧|无微不至|无可挑剔|特别|分别|区别|差别|级别|个别|告别|别人"
    "|别的|别处|别说")
# a fault named, then denied at the end of a clause: "一个坏的都没有", "异味都没有了"
# ("问题都没有解决" goes on after the negator, and stays a problem)
_DENIED_AFTER = re.compile(
    r"(?:的)?(?:都|也|全)(?:没有?出?|不见|没见)(?:了|过|啦)?(?=$|[\s，,。.!！~、?？])")
_SECOND_PERSON = re.compile(r"你(?!好)")
# one person addressed ("你们" is the company), or the poster replied to in a thread
_ADDRESSEE = re.compile(r"你(?![好们])|楼上|楼主|博主|层主|up主", re.I)
_FIRST_PERSON = re.compile(r"我")
# a swear word right before a thing or a company the caller complains about
# (`傻逼快递，把我东西摔坏了`): harsh words in a genuine complaint, angry and never
# malicious (the manual; docs/DIALOGUE.md). Not before a person (`傻逼客服`, `傻逼快递员`), nor
# before 东西 or 玩意儿, which are said of people (`混蛋东西`, `什么玩意儿`).
_SWORN_AT_THING = re.compile(
    r"^(?:的)?(?:快递(?!员|小哥|师傅|哥)|物流|公司|平台|系统|产品|商品|外卖(?!员|小哥)"
    r"|店(?!员|长|主)|商家|售后(?!人员))")
# people in general, or the company's own staff in a complaint ("你们这帮人"): no
# group a sweeping judgement attacks (stereotype.txt)
_ANY_PEOPLE = frozenset({"这种人", "这些人", "这帮人", "那帮人", "这群人", "一群", "一帮", "网友",
                         "楼主", "答主", "粉丝"})
_CLAUSE_END = re.compile(r"[，,。.!！?？；;\s]")
_SENTENCE_END = re.compile(r"[。.!！?？；;\n]")
# "all of them" right after people named (`保安都该死`), or anywhere between them and the
# insult (`那些加塞的都是没妈的`): a group judged, not one person told about
# (`这帮贪官连救灾款都敢吞` is told about)
_ALL_OF_THEM = re.compile(r"(?:的|们)?(?:都|全)")
_SWEEPING = re.compile(r"都是|全是|全都|一个个|个个|没一个|没有一个")
# the listener's side named as a kind or a crowd (`你们这些骗子`, `你这种人`)
_LISTENERS_KIND = re.compile(r"你们?(?:这|那)(?:些|种|帮|群|类|伙)$")
# one person: a role or an age right after it is no group (`那个碰瓷的老头`)
_ONE_PERSON = re.compile(r"(?:[那这]个|[那这]位)[^，,。！？!?；;\s]{0,6}$")
_QUESTION = re.compile(r"[?？]|[吗呢吧][?？!！。.]?$")
_EXCLAIM = re.compile(r"[!！]")
_BOOK_TITLE = re.compile(r"《[^》]+》")
# a short span in quotation marks: praise words inside are ironic ("真是太'好'了")
_QUOTED = re.compile(r"[\"'“”‘’「『]([^\"'“”‘’「」『』]{1,8})[\"'“”‘’」』]")

FEATURE_NAMES = (
    "positive", "negative", "positive_wins", "negative_wins", "negated",
    "tail_positive", "tail_negative", "expectation",
    "abuse", "groups", "abuse_and_group", "abuse_and_you", "abuse_and_service",
    "anger", "anger_and_you", "second_person", "first_person", "service", "oos",
    "book_title", "question", "loud_negative", "length",
    "harass", "threat", "strong_abuse", "mild_abuse", "abuse_evidence",
    "good_fact", "bad_fact", "confront", "third_person_insult",
)
# macros of the fact patterns (good_facts.txt, bad_facts.txt)
FACT_MACROS = {
    "NUM": r"(?:[一二两三四五六七八九十百千几半\d]+|好几|十几|几十)",
    "UNIT": r"(?:个)?(?:秒钟?|分钟|小时|钟头|天|日|晚|周|星期|礼拜|月|年)",
    "SOON": r"(?:一会儿?|没一会儿?|没多久|不久|很快|马上|立刻|立马|当天|当晚|当场|第二天|次日|隔天"
            r"|一下子|转眼|眨眼|没几天|没等多久|一大早)",
    "DONE": r"(?:(?<![不找得])送?到(?!期)(?:了|货|家|账)?|送达|上门|来了|过来"
            r"|修好|装好|弄好|调好|换好|办好|办完|搞定|解决|处理|回复|回电|回了|退款|退了|发货|发出|接通|进系统|开机|充满"
            r"|好了|恢复|通了|安排|补发|换了|派人|制冷|制热|来电|通电|打印|拍清楚|出餐|上齐|睡着|洗干净|清理干净)",
}
TOKEN_SLOTS = {name: FEATURE_NAMES.index(name) for name in
               ("positive", "negative", "negated", "abuse", "groups", "anger", "service", "oos",
                "harass", "threat")}


@dataclass(frozen=True)
class Hit:
    category: str
    start: int
    end: int
    negated: bool = False
    word: str = ""


@dataclass(frozen=True)
class _Targets:
    """Who the abuse in a message is aimed at: the groups named (a role or an age after
    "那个" is one person, no group), whether each abuse hit (by id) has the listener
    addressed, and the ids of the insults aimed at a third person the caller tells
    about (no evidence of abuse: anger)."""

    groups: list[Hit]
    addressed: dict[int, bool]
    at_third_person: set[int]


def read_entries(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


class Lexicon:
    """All category word lists in one longest-first matcher."""

    def __init__(self, entries: dict[str, Iterable[str]], negators: Iterable[str],
                 neutral: Iterable[str] = (), contrast: Iterable[str] = (),
                 expectation: Iterable[str] = (), mild: Iterable[str] = (),
                 good_facts: Iterable[str] = (), bad_facts: Iterable[str] = (),
                 confront: Iterable[str] = (), acts: Iterable[str] = (),
                 stereotype: Iterable[str] = (),
                 stereotype_exclusion: Iterable[str] = (),
                 third_persons: Iterable[str] = (), slurs: Iterable[str] = (),
                 wrongdoers: Iterable[str] = ()) -> None:
        owner: dict[str, str] = {}
        for category, words in entries.items():
            for word in words:
                owner.setdefault(word.lower(), category)
        for word in neutral:
            owner[word.lower()] = "neutral"
        self._owner = owner
        self._mild = {word.lower() for word in mild}
        # what a caller asks for (投诉, 退货): negated it is no praise (`不投诉了` cancels)
        self._acts = {word.lower() for word in acts}
        words = sorted(owner, key=lambda w: (-len(w), w))
        self._pattern = re.compile("|".join(re.escape(w) for w in words), re.I)
        self._contrast = _alternation(contrast)
        self._expectation = _alternation(expectation)
        self._good_fact = _patterns(good_facts)
        self._bad_fact = _patterns(bad_facts)
        self._confront = _patterns(confront)
        self._stereotype = _patterns(stereotype)
        self._exclusion = _alternation(stereotype_exclusion)
        self._third_person = _patterns(third_persons)
        self._slurs = {word.lower() for word in slurs}
        self._wrongdoer = _patterns(wrongdoers)
        negs = sorted(set(negators), key=len, reverse=True)
        self._negator = re.compile(
            "(?:" + "|".join(re.escape(n) for n in negs)
            + f")[^\\s，,。.！!？?；;、~]{{0,{NEGATION_WINDOW}}}$"
        )

    @classmethod
    def from_directory(cls, directory: Path = LEXICON_DIR) -> Lexicon:
        entries = {c: read_entries(directory / f"{c}.txt") for c in CATEGORIES}
        return cls(entries, read_entries(directory / "negators.txt"),
                   read_entries(directory / "neutral.txt"),
                   read_entries(directory / "contrast.txt"),
                   read_entries(directory / "expectation.txt"),
                   read_entries(directory / "mild.txt"),
                   read_entries(directory / "good_facts.txt"),
                   read_entries(directory / "bad_facts.txt"),
                   read_entries(directory / "confront.txt"),
                   read_entries(directory / "acts.txt"),
                   read_entries(directory / "stereotype.txt"),
                   read_entries(directory / "stereotype_exclusion.txt"),
                   read_entries(directory / "third_persons.txt"),
                   read_entries(directory / "slurs.txt"),
                   read_entries(directory / "wrongdoers.txt"))

    def scan(self, text: str) -> list[Hit]:
        hits = []
        quoted = [m.span(1) for m in _QUOTED.finditer(text)]
        for match in self._pattern.finditer(text):
            category = self._owner[match.group(0).lower()]
            if category == "neutral":
                continue
            negated = False
            if category in ("positive", "negative"):
                before = _NOT_NEGATING.sub(lambda m: "_" * len(m.group(0)),
                                           text[max(0, match.start() - 6) : match.start()])
                negated = bool(self._negator.search(before))
                if negated and match.group(0).lower() in self._acts:
                    continue
                if (not negated and category == "negative"
                        and match.group(0).lower() not in self._acts
                        and _DENIED_AFTER.match(text, match.end())):
                    negated = True
                if negated:
                    category = "negative" if category == "positive" else "positive"
                if category == "positive" and any(a <= match.start() and match.end() <= b
                                                  for a, b in quoted):
                    category, negated = "negative", True  # irony in quotation marks
            hits.append(Hit(category, match.start(), match.end(), negated,
                            match.group(0).lower()))
        for start, end in quoted:  # a quoted bare "好" ("太'好'了") is no entry of its own
            if "好" in text[start:end] and not any(start <= h.start < end for h in hits):
                hits.append(Hit("negative", start, end, True, text[start:end].lower()))
        return hits

    def abuse_evidence(self, text: str, hits: Sequence[Hit] | None = None) -> tuple[str, ...]:
        """Kinds of evidence (EVIDENCE_KINDS) that the text abuses, harasses or threatens."""
        hits = self.scan(text) if hits is None else hits
        return self._evidence(text, hits, self._targets(text, hits))

    def _evidence(self, text: str, hits: Sequence[Hit], targets: _Targets) -> tuple[str, ...]:
        kinds = set()
        groups, addressed, at_third_person = (targets.groups, targets.addressed,
                                              targets.at_third_person)
        group = bool(groups)
        abuse = [h for h in hits if h.category == "abuse"]
        # praise in quotation marks aimed at a group or a person is contempt ("某地人真'厉害'")
        irony = any(h.category == "negative" and h.negated and _is_quoted(text, h) for h in hits)
        if group and (irony or any(id(h) not in at_third_person for h in abuse)):
            kinds.add("group_attack")
        if any(self._judges_group(text, h, hits) for h in groups):
            kinds.add("group_attack")  # "外地人都是来骗钱的", "残疾人就别出来添乱了"
        if irony and _ADDRESSEE.search(text):
            kinds.add("aimed_swearing")
        for hit in hits:
            if hit.category == "abuse":
                # `操你` in `我操你们公司`: swearing at the company, as harsh as anger gets
                # but no insult of the person on the line (the manual: angry)
                at_company = ((hit.word.endswith("你") and text.startswith("们", hit.end))
                              or (not addressed[id(hit)]
                                  and _SWORN_AT_THING.match(text[hit.end:])))
                if id(hit) in at_third_person:
                    continue
                if hit.word not in self._mild and not at_company:
                    kinds.add("insult")
                elif group or addressed[id(hit)]:
                    kinds.add("aimed_swearing")
            elif hit.category == "harass":
                kinds.add("harassment")
            elif hit.category == "threat":
                kinds.add("threat")
        return tuple(k for k in EVIDENCE_KINDS if k in kinds)

    def _targets(self, text: str, hits: Sequence[Hit]) -> _Targets:
        """Who the abuse in `hits` is aimed at (`_Targets`)."""
        # a role or an age after "那个" is one person told about (`那个碰瓷的老头`); a sex, a
        # race or a region is still the group judged through one of them (`那个女的`)
        groups = [h for h in hits if h.category == "groups"
                  and not (self._third_person.fullmatch(h.word)
                           and _ONE_PERSON.search(text[self._clause_start(text, h.start):h.start]))]
        abuse = [h for h in hits if h.category == "abuse"]
        addressed = {id(h): any(not h.start <= m.start() < h.end for m in _ADDRESSEE.finditer(text))
                     for h in abuse}
        # an insult at someone the caller tells about (`那个司机就是个畜生`) is anger at
        # that person; a slur attacks what a person is, at anyone
        at_third_person = {id(h) for h in abuse
                           if not addressed[id(h)] and not groups and h.word not in self._slurs
                           and h.word not in self._mild and self._aimed_at_third_person(text, h)}
        return _Targets(groups, addressed, at_third_person)

    def _aimed_at_third_person(self, text: str, hit: Hit) -> bool:
        """A third person (third_persons.txt) named earlier in the hit's sentence, or a
        role right after it (`傻逼司机`, `傻逼小偷`), or people named by a deed
        (wrongdoers.txt)."""
        sentence = max((m.end() for m in _SENTENCE_END.finditer(text, 0, hit.start)), default=0)
        named = self._third_person.finditer(text, sentence, hit.start)
        after = self._third_person.match(text, hit.end) or self._wrongdoer.match(text, hit.end)
        # people named by what they did are cursed for it, even all at once
        wrongdoers = [m for m in self._wrongdoer.finditer(text, sentence, hit.start)
                      if not _SWORN_AT_THING.match(text[m.end():])]  # not `骗子公司`
        return (any(self._tells_about(text, m, hit.start) for m in named)
                or (after is not None and self._tells_about(text, after, after.end()))
                or any(self._tells_about(text, m, m.end()) for m in wrongdoers))

    @staticmethod
    def _clause_start(text: str, position: int) -> int:
        return max((m.end() for m in _CLAUSE_END.finditer(text, 0, position)), default=0)

    def _tells_about(self, text: str, person: re.Match[str], end: int) -> bool:
        """One person or a few the caller tells about: not the listener and theirs
        (`你们这帮饭桶`, `你这种人`), nor people judged all at once before the insult
        at `end` (`保安都是废物`, `他们都是废物`: a group). A role of the company
        (`你们经理`) is a third person: harsh words about the staff are anger, as about
        a courier."""
        demonstrative = person.group(0)[0] in "这那此"
        owned = ((demonstrative and "你" in text[max(0, person.start() - 2):person.start()])
                 or _LISTENERS_KIND.search(text, 0, person.start()) is not None)
        judged = (_ALL_OF_THEM.match(text, person.end(), max(end, person.end())) is not None
                  or _SWEEPING.search(text, person.end(), end) is not None)
        return not owned and not judged

    def _judges_group(self, text: str, group: Hit, hits: Sequence[Hit]) -> bool:
        """A named group (not "这些人", who may be the company's staff) judged all at once
        (stereotype.txt), with a negative or abusive word or an exclusion after it in
        the same clause."""
        if group.word in _ANY_PEOPLE:
            return False
        judged = self._stereotype.match(text, group.end)
        if judged is None:
            return False
        clause = _CLAUSE_END.search(text, judged.end())
        end = clause.start() if clause else len(text)
        # a negated word is too weak a judgement ("00后都不爱打电话")
        negative = any(h.category in ("negative", "abuse") and not h.negated
                       and judged.end() <= h.start < end for h in hits)
        return negative or self._exclusion.search(text, judged.start(), end) is not None

    def _tail_balance(self, text: str, hits: Sequence[Hit], good: Sequence[int],
                      bad: Sequence[int]) -> tuple[int, int]:
        """Positive and negative evidence after the last contrast (`…,但是太贵`)."""
        tail_start = max((m.end() for m in self._contrast.finditer(text)), default=len(text))
        positive = (sum(1 for h in hits if h.start >= tail_start and h.category == "positive")
                    + sum(1 for start in good if start >= tail_start))
        negative = (sum(1 for h in hits if h.start >= tail_start and h.category == "negative")
                    + sum(1 for start in bad if start >= tail_start))
        return positive, negative

    def turns_negative(self, text: str) -> bool:
        """Praise, then a problem after a contrast (`师傅很耐心,不过洗衣机还是漏水`)."""
        hits = self.scan(text)
        good = [m.start() for m in self._good_fact.finditer(text)]
        bad = [m.start() for m in self._bad_fact.finditer(text)]
        tail_positive, tail_negative = self._tail_balance(text, hits, good, bad)
        positive = sum(1 for h in hits if h.category == "positive") + len(good)
        return positive > tail_positive and tail_negative > tail_positive

    def sentence_features(self, text: str, hits: Sequence[Hit] | None = None) -> np.ndarray:
        hits = self.scan(text) if hits is None else hits
        targets = self._targets(text, hits)
        count = {c: sum(1 for h in hits if h.category == c) for c in CATEGORIES}
        mild = sum(1 for h in hits if h.category == "abuse" and h.word in self._mild)
        you = len(_SECOND_PERSON.findall(text))
        good = [m.start() for m in self._good_fact.finditer(text)]
        bad = [m.start() for m in self._bad_fact.finditer(text)]
        # a fact counts as a sentiment word in the balance, but not as a lexicon hit
        positive = count["positive"] + len(good)
        negative = count["negative"] + len(bad)
        tail_positive, tail_negative = self._tail_balance(text, hits, good, bad)
        confront = len(self._confront.findall(text))
        values = {
            "tail_positive": tail_positive,
            "tail_negative": tail_negative,
            "expectation": len(self._expectation.findall(text)),
            "positive": count["positive"], "negative": count["negative"],
            "positive_wins": float(positive > negative),
            "negative_wins": float(negative > positive),
            "negated": sum(1 for h in hits if h.negated),
            "abuse": count["abuse"], "groups": count["groups"],
            "abuse_and_group": float(bool(count["abuse"] and count["groups"])),
            "abuse_and_you": float(bool(count["abuse"] and you)),
            "abuse_and_service": float(bool(count["abuse"] and count["service"])),
            "anger": count["anger"], "anger_and_you": float(bool(count["anger"] and you)),
            "second_person": you, "first_person": len(_FIRST_PERSON.findall(text)),
            "service": count["service"], "oos": count["oos"],
            "book_title": float(bool(_BOOK_TITLE.search(text))),
            "question": float(bool(_QUESTION.search(text.strip()))),
            # loudness is anger only in a negative message or one aimed at the listener:
            # praise is loud too (`我非常喜欢！`), and in the hand-written data `!` came
            # almost only with anger
            "loud_negative": (len(_EXCLAIM.findall(text))
                              if negative > positive or count["anger"] or confront else 0),
            "length": math.log1p(len(text)) / 3.0,
            "harass": count["harass"], "threat": count["threat"],
            "strong_abuse": count["abuse"] - mild, "mild_abuse": mild,
            "abuse_evidence": float(bool(self._evidence(text, hits, targets))),
            "good_fact": len(good), "bad_fact": len(bad),
            "confront": confront,
            # the insult words are the same at the listener and at a driver the caller
            # tells about; this tells the classifiers which one it is
            "third_person_insult": len(targets.at_third_person),
        }
        vector = [values[name] for name in FEATURE_NAMES]
        squashed = [math.log1p(v) if v > 1 else v for v in vector]
        return np.array([squashed], dtype=np.float32)

    def token_features(self, text: str, spans: Sequence[tuple[int, int]],
                       hits: Sequence[Hit] | None = None) -> np.ndarray:
        hits = self.scan(text) if hits is None else hits
        matrix = np.zeros((len(spans), len(FEATURE_NAMES)), dtype=np.float32)
        for row, (start, end) in enumerate(spans):
            for hit in hits:
                if hit.start < end and start < hit.end:
                    matrix[row, TOKEN_SLOTS[hit.category]] = 1.0
                    if hit.negated:
                        matrix[row, TOKEN_SLOTS["negated"]] = 1.0
        return matrix


def _is_quoted(text: str, hit: Hit) -> bool:
    return any(m.start(1) <= hit.start and hit.end <= m.end(1) for m in _QUOTED.finditer(text))


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    ordered = sorted(set(words), key=len, reverse=True) or ["(?!)"]
    return re.compile("|".join(re.escape(w) if w != "(?!)" else w for w in ordered))


def _patterns(lines: Iterable[str]) -> re.Pattern[str]:
    """One regular expression from pattern lines with FACT_MACROS expanded."""
    expanded = []
    for line in lines:
        for name, value in FACT_MACROS.items():
            line = line.replace("{" + name + "}", value)
        expanded.append(f"(?:{line})")
    return re.compile("|".join(expanded) or "(?!)")


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    return Lexicon.from_directory()
