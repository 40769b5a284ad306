"""How callers answer a question in Chinese: skip it, correct an earlier answer, confirm.

Used by the forms (actions/forms.py) beside the NLU intent, so that `订单号找不到了`
skips an optional question and `不对，是139…` / `我说错了，是李` replace an answer,
whatever intent the classifier gave the sentence. Texts are normalised first
(bot/language/text: Simplified, half-width, Arabic digits).
"""

from __future__ import annotations

import re

from bot.language.numbers import ORDER_CUES, PHONE_CUES, mentions

# "I don't have it / rather not say": the caller skips the question.
_SKIP = re.compile(
    r"不知道|不清楚|不记得|记不(?:清|得|住)|忘(?:了|记)|找不(?:到|着)|没(?:有|留|记)(?:了|啊|呀|的)?$"
    r"|^没(?:有|留|记)|不方便|不想(?:说|留|告诉|给)|不愿意|不好说|跳过|不用(?:填|留|说)|没法(?:说|提供)"
    r"|保密|手边没有|手头没有|暂时没有|说不上来|^不(?:留|给|说|告诉)(?:了|吧)?$"
    # no order number: none at all, or bought where none is given
    r"|没(?:有)?(?:订单|单号)|(?:^|[,，。\s])(?:我)?(?:是)?(?:在)?(?:你们)?(?:的)?"
    r"(?:门店|线下|实体店|店里|商场|超市)里?买的[吧啊呀呢的。.!！]*$"
)
# "That was wrong, it is …": the caller corrects an earlier answer.
_CORRECTION = re.compile(
    r"不对|说错|错了|搞错|记错|改成|改为|改一下|更正|应该是|重新说|不是.{0,12}而?是"
)
# A yes to a read-back ("对，就是这个号码").
_CONFIRM = re.compile(
    r"^(?:嗯|哦|啊)?[,，]?(?:对|是|对的|是的|没错|正确|对对|嗯嗯|好的|可以|就是|没问题)"
)
_DENY = re.compile(r"^(?:不对|不是|错了|号码不对|不正确)")
# Words that only ask to complain, not what happened ("我要投诉").
_BARE_COMPLAINT = re.compile(
    r"^(?:(?:喂|你好|您好|客服)[,，。!！?？\s]*)*(?:我|我要|我想|我想要|想|要|我得)?"
    r"(?:投诉|反映|反馈)(?:一下|个事|一个问题|个问题|下)?(?:你们)?[。!！,，.]*$"
)


# "Not a complaint after all": the caller takes back asking to complain.
_RETRACT_COMPLAINT = re.compile(
    r"(?:不|别|不用|不想|不要|不是|没想|没有?)(?:再|是|想|要|来|打算|用)?(?:要|来)?投诉|不用登记"
)

_GREETING = re.compile(
    r"你好|您好|喂|哈喽|hello|hi|嗨|在吗|在不在|有人吗|早上好|下午好|晚上好"
    r"|回来了|久等了", re.IGNORECASE
)


def greets(text: str) -> bool:
    """The words are a greeting (`喂，你好`, back on the line: `好了我回来了`), not a bare
    answer such as `下午`."""
    return bool(_GREETING.search(text))


def skips(text: str) -> bool:
    """The answer declines the question (no number at hand, rather not say)."""
    return bool(_SKIP.search(text.strip()))


# What a skip names, when it names something (`订单号我忘了`, `地址就不说了`), by the slot it
# is the answer to; the order first (`订单号码` is an order number, not a phone). The
# numbers' cue words are the ones that tell a number's kind (bot.language.numbers).
_SKIPPED_SUBJECT = (
    ("order_number", ORDER_CUES),
    ("phone_number", PHONE_CUES),
    ("caller_address", ("地址", "住址", "住哪")),
    ("surname", ("名字", "姓什么", "贵姓", "姓名")),
)


def skipped_subject(text: str) -> str | None:
    """The slot a skip names (`订单号我忘了`: order_number), or None when it names none."""
    return next((slot for slot, cues in _SKIPPED_SUBJECT if mentions(text, cues)), None)


def corrects(text: str) -> bool:
    """The message corrects something said before."""
    return bool(_CORRECTION.search(text))


# Between two values of one kind: the later one replaces the earlier (`我姓张，哦不对，姓章`,
# `13812345678，不对，是139…`), unless the earlier is affirmed against it (`王不是汪`).
_REPLACED_BY_NEXT = re.compile(_CORRECTION.pattern + r"|哦不|不不|^[,，。\s]*不[,，]")
_KEPT_AGAINST_NEXT = re.compile(r"^[,，\s]*(?:不是|而不是|不姓)[,，\s]*$")


def meant_value(text: str, spans: list[tuple[int, int]]) -> int:
    """Which of several values of one kind in a message the caller means (their
    `(start, end)` spans, in order): the first, unless a correction between two values
    says the later one replaces it."""
    chosen = 0
    for index in range(1, len(spans)):
        between = text[spans[index - 1][1]:spans[index][0]]
        if _KEPT_AGAINST_NEXT.search(between):
            continue
        if _REPLACED_BY_NEXT.search(between):
            chosen = index
    return chosen


def confirms(text: str) -> bool:
    """A yes to a read-back, in the caller's words."""
    return bool(_CONFIRM.match(text.strip())) and not denies(text)


def denies(text: str) -> bool:
    return bool(_DENY.match(text.strip()))


def only_asks_to_complain(text: str) -> bool:
    """`我要投诉`, `喂，我想投诉一下`: the caller asks to complain without saying what
    happened (and without a negation: `我不想投诉了` is no such request)."""
    return bool(_BARE_COMPLAINT.match(text))


# "Yes, take it down": a yes that names the offer (`好的，帮我登记一下`, `需要`), not a bare
# `嗯`, which answers the "anything else?" asked after it.
_TAKES_OFFER = re.compile(r"登记|预约|报修|安排|上门|派人|派个人|需要|要的|麻烦你|麻烦您")


def takes_up_offer(text: str) -> bool:
    """The caller's yes is to the offer to take the request down (`好的，帮我登记一下`)."""
    return bool(_TAKES_OFFER.search(text))


# "That same order": a request about the order just looked up (`那这个订单的退款呢`).
_SAME_ORDER = re.compile(
    r"(?:这个|那个|这|那|同一个|同一|刚才(?:那个|的)?|刚刚(?:那个|的)?|上面(?:那个|的)?)"
    r"(?:订单|单子|单)(?!号)|还是这个")


def refers_to_that_order(text: str) -> bool:
    """The caller means the order just talked about (`那这个订单的退款呢`, `刚才那单`)."""
    return bool(_SAME_ORDER.search(text))


def retracts_complaint(text: str) -> bool:
    """`不投诉了`, `不是投诉`, `我不是来投诉的`: the caller takes back the complaint."""
    return bool(_RETRACT_COMPLAINT.search(text))


# "Let me first ask …": the message is a question of the caller's own, not an answer.
_ASKS = re.compile(
    r"[?？]|[吗呢][?？!！。.]?$|问一下|问问|请问|想问|多久|多长时间|多少|怎么|为什么|哪里|哪儿"
    r"|几天|能不能|可不可以|是不是|有没有"
)


def asks_a_question(text: str) -> bool:
    """`等等，我想先问一下你们保修多久`: the caller asks something of their own."""
    return bool(_ASKS.search(text.strip()))


# "That's all": the caller has nothing more to say, whatever else the message is (thanks,
# a no). Never said as the answer to a form's question: no question asks "anything else?".
_NOTHING_MORE = re.compile(
    r"没(?:有)?(?:别的|其他|其它)(?:的|事|事情|问题|要说的)?了|没(?:什么|啥)(?:事|要说的)了"
    r"|就(?:这些|这样)(?:了|吧)?[。.!！]*$|^(?:算了|好吧|那)?[,，\s]*不(?:说|问)了(?:吧)?[。.!！]*$"
)


def says_nothing_more(text: str) -> bool:
    """`好的谢谢，没别的了`, `算了，就这样吧`, `算了不说了`: the caller is done (`没有别的了吗?`
    asks)."""
    return bool(_NOTHING_MORE.search(text.strip())) and not asks_a_question(text)


# "Send someone round": a visit asked for (a repair, an installation), not a question.
_VISIT = re.compile(r"派人|派个|师傅|上门|(?:来|过来)(?:给我|帮我)?(?:修|装|看)|报修|报个修")


def asks_for_a_visit(text: str) -> bool:
    """`那你们能不能派人来修一下`, `派个师傅上门`: the caller wants someone sent."""
    return bool(_VISIT.search(text))


# The visit promised never came: `安装师傅到现在还没来`, `维修师傅一直没上门`.
_NO_SHOW = re.compile(
    r"(?:到现在|至今|一直|迟迟|还|都)(?:都|也|还)?(?:没|没有|不见)(?:人)?"
    r"(?:来|到|上门|过来|联系|打电话|来电话)(?!过)"
)


def reports_a_no_show(text: str) -> bool:
    """The caller says the person sent (or promised) has not come or called."""
    return bool(_NO_SHOW.search(text))


_ANOTHER_ORDER = re.compile(
    r"另(?:一|外)|还有(?:一|个)|别的(?:订单|单)|其他(?:订单|单)|新的?(?:订单|单)"
    r"|再(?:查|问)(?:一|个)|又一"
)


def names_another_order(text: str) -> bool:
    """`我还有一个订单也查一下`: the caller means an order other than the one just talked about."""
    return bool(_ANOTHER_ORDER.search(text))
