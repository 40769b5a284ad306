"""What the assistant does next when a caller leaves the happy path (docs/DIALOGUE.md).

Pure: no Rasa, no I/O. The dialogue policy (rasa_extensions/policy.py) describes the
conversation as a `CallerTurn` (what the caller just said and where the script stood
when they said it) and a `TurnProgress` (what has been done since) and asks
`next_step`. `None` means: the rules in data/rules decide (the happy paths).

A turn's *plan* is the list of actions for what the caller did, worked out from the
turn's start, so every step of one turn follows the same plan. Plans own:

- the closing line is final: once a session is closed nothing more is said;
- escalation ladders and channel events (anger, abuse, silence, line quality, idle chat),
  outside and inside forms; an ending inside a form keeps what the caller said;
- repair inside any form: cancel, goodbye, a person, repeat, chit-chat, digressions
  (answered, then the form's pending question again), no-match;
- the skeleton's answers: a first greeting, "anything else?" answered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.config.repair import FormSpec, RepairConfig
from bot.language.numbers import order_number_in, phone_candidate
from bot.language.patterns import asks_for_someone
from bot.language.replies import (
    asks_a_question,
    asks_for_a_visit,
    greets,
    only_asks_to_complain,
    refers_to_that_order,
    reports_a_no_show,
    retracts_complaint,
    says_nothing_more,
    skips,
    takes_up_offer,
)
from bot.language.states import praise_then_problem, shows_anger
from bot.language.text.compare import meaningful_chars
from bot.language.text.digits import digit_view
from bot.language.text.normalize import normalize_text

LISTEN = "action_listen"
END = "action_end_conversation"
HANDOFF = "action_handoff"
REPEAT = "action_repeat_last"
CANCEL_FORM = "action_cancel_form"  # drop the form, say so (keeps a described complaint)
CLOSE_FORM = "action_close_form"  # the caller leaves: keep what was said, say so
KEEP_FORM = "action_keep_form"  # leave the form silently, keeping what was said
SET_FORM_ASIDE = "action_set_form_aside"  # a digression comes first: remember the form
RESUME_FORM = "action_resume_form"  # back to the form set aside, its question again
REGISTER = "action_start_registration"  # a request taken down: the complaint form, preset
FORM_NOMATCH = "form_nomatch"  # the ladder of answers a form could not read
ANSWER_ACTIONS = frozenset({"action_answer_business", "action_ticket_status",
                            "action_create_ticket"})
LOOKUP_MISSES = "lookup_misses"  # numbers a lookup did not find in a row (actions/lookups.py)
REJECTED = "!"  # TurnProgress.done marks a form that refused the caller's message so
# Session metadata of channels that open the session when the caller connects (the
# opening line comes before the caller's first message, which is then not a first
# greeting the opening already answered).
OPENED_ON_CONNECT = "opened_on_connect"
# What the bot says to a digression before the form's question comes again (besides
# the chit-chat lines of hotline.yml); see _digression.
RESUME_LINE = "utter_resume_form"
PRAISE_THANKS = ("utter_praise_thanks", "action_record_praise")
SUGGESTION_THANKS = ("utter_suggestion_thanks", "action_record_suggestion")
OUT_OF_SCOPE_LINE = "utter_out_of_scope"
ASIDE_LINES = frozenset({RESUME_LINE, OUT_OF_SCOPE_LINE, PRAISE_THANKS[0],
                         SUGGESTION_THANKS[0]})
# The complaint procedure's start (data/rules/complaint.yml), after a calming line.
COMPLAINT_START = ("utter_complaint_thanks", "utter_complaint_apology", "complaint_form")
# A problem named after praise: the apology and the form (the praise is thanked first).
PROBLEM_AFTER_PRAISE = ("utter_complaint_apology", "complaint_form")
# Tokens of hotline.yml `ladders.<name>.lines` that stand for actions.
LINE_TOKENS = {"end": END, "handoff": HANDOFF}


@dataclass(frozen=True)
class CallerTurn:
    """The caller's message and where the script stood when it came."""

    intent: str
    text: str = ""
    form: str | None = None  # the form active when the caller spoke
    requested_slot: str | None = None  # its pending question
    last_response: str | None = None  # the last response said before the caller spoke
    served: bool = False
    opening_this_turn: bool = False  # the opening line was said for this very message
    form_aside: str | None = None  # a form set aside for a digression
    caller_state: str | None = None  # how the caller feels beside the request (angry …)
    refused_slot: str | None = None  # a required question the caller declined before
    last_form: str | None = None  # the form that ran last in this session
    also_asks: str | None = None  # a request the NLU reads close behind the intent
    behind: tuple[str, ...] = ()  # every intent the NLU reads close behind, best first
    confidence: float = 1.0  # how sure the NLU is of `intent`
    said: tuple[str, ...] = ()  # the responses said since the caller's message before
    said_before: tuple[str, ...] = ()  # the responses said in the bot's turn before that
    topic: str | None = None  # the request a lookup form was asking for
    values: frozenset[str] = frozenset()  # the entities the message states (surname …)


@dataclass(frozen=True)
class TurnProgress:
    """What has happened since the caller spoke."""

    done: tuple[str, ...] = ()  # actions run, in order; REJECTED + form for a refusal
    slots: Mapping[str, Any] = None  # type: ignore[assignment]
    session_closed: bool = False

    def slot(self, name: str) -> Any:
        return (self.slots or {}).get(name)


@dataclass(frozen=True)
class Step:
    """One action. A form run after another action of the turn does not read the
    caller's message again: it asks its pending question (actions/forms.py)."""

    action: str


PlanItem = str  # an action's name


def next_step(
    turn: CallerTurn | None, progress: TurnProgress, config: RepairConfig
) -> Step | None:
    """The next action of this turn, or None to leave it to the rules.

    `turn` is None before the caller has said anything in this session."""
    if progress.session_closed or progress.done[-1:] == (END,):
        return Step(LISTEN)  # nothing is said after a closing line
    if turn is None:
        return None
    done = progress.done
    refused = next((i for i, name in enumerate(done) if name.startswith(REJECTED)), None)
    if refused is not None:
        form = done[refused][len(REJECTED):]
        if _missed_too_often(form, progress, config):
            # `对不起,暂时没有查到订单…` twice: taken down, not asked for a third number
            return _follow(_register(config), done[refused + 1:])
        plan = _ladder(FORM_NOMATCH, progress, config, _back_to(form), _leave_form())
        return _follow(plan or [], done[refused + 1:])
    if done and done[-1] in ANSWER_ACTIONS and progress.slot("form_aside"):
        return Step(RESUME_FORM)  # the digression is answered: back to the form
    plan = _plan(turn, progress, config)
    nomatch = config.ladder_for(config.nomatch_intent)
    if done and nomatch and done[0] == nomatch.action and (not plan or plan[0] != done[0]):
        # No rule applied (the rules' fallback is the no-match ladder): play it on.
        back = _back_to(turn.form) if turn.form else [LISTEN]
        plan = _ladder(config.nomatch_intent, progress, config, back, [])
    return None if plan is None else _follow(plan, done)


def _missed_too_often(form: str, progress: TurnProgress, config: RepairConfig) -> bool:
    """A lookup that has not found the caller's number `lookup_misses` times in a row."""
    spec = config.form(form)
    misses = progress.slot(LOOKUP_MISSES)
    return (spec is not None and not spec.files_ticket and isinstance(misses, (int, float))
            and misses >= config.lookup_misses)


def _follow(plan: Sequence[PlanItem], done: Sequence[str]) -> Step | None:
    if list(plan[: len(done)]) != list(done):
        return None  # the turn went another way: the rules decide
    return Step(plan[len(done)]) if len(done) < len(plan) else None


def _plan(
    turn: CallerTurn, progress: TurnProgress, config: RepairConfig
) -> list[PlanItem] | None:
    if turn.intent in config.endings and not _sure_ending(turn, config):
        # Too unsure to end the call on (a personal call at 0.32, or one that asks for
        # nobody): not understood.
        turn = replace(turn, intent=config.nomatch_intent)
    if (not turn.form and turn.intent in config.goodbye
            and turn.confidence < config.ending_confidence and turn.behind
            and (turn.behind[0] in (config.angry, config.complaint)
                 or turn.behind[0] in config.business)):
        # `再这样我报警了` read as goodbye 0.45 (the 再 of 再见) with anger 0.44 close
        # behind: an unsure goodbye must not close the call on a caller with a problem
        turn = replace(turn, intent=turn.behind[0])
    if turn.intent != config.complaint and only_asks_to_complain(turn.text):
        # `投诉`, `我想投诉`, `我想投诉一下`, `喂，我想投诉` read as a cancel (the data's
        # `我不想投诉了`), a ticket question or a greeting: the words only ask to complain.
        if not turn.form:
            return list(COMPLAINT_START)
        turn = replace(turn, intent=config.complaint)
    if turn.form:
        return _in_form(turn, progress, config)
    return _outside_form(turn, progress, config)


def _sure_ending(turn: CallerTurn, config: RepairConfig) -> bool:
    if turn.confidence < config.ending_confidence:
        return False
    return turn.intent not in config.endings_for_someone or asks_for_someone(turn.text)


def _back_to(form: str) -> list[PlanItem]:
    return [form]


def _leave_form() -> list[PlanItem]:
    return [KEEP_FORM]


def _ladder(
    intent: str,
    progress: TurnProgress,
    config: RepairConfig,
    carry_on: Sequence[PlanItem],
    leave: Sequence[PlanItem],
    in_form: bool = False,
) -> list[PlanItem] | None:
    """The ladder of `intent`: its action, then what the stage it reached says.

    `carry_on` follows a stage that keeps the conversation going (listen, or the
    form's question again); `leave` comes before a stage that ends or hands off.
    """
    ladder = config.ladder_for(intent)
    if ladder is None:
        return None
    stage = progress.slot(ladder.slot)
    lines = list(ladder.in_form.get(stage) or ladder.lines.get(stage) or []) if in_form else (
        list(ladder.lines.get(stage) or [])
    )
    actions = [LINE_TOKENS.get(line, line) for line in lines]
    ends = any(action in (END, HANDOFF) for action in actions)
    if ends:
        return [ladder.action, *leave, *actions, *([] if END in actions else [LISTEN])]
    return [ladder.action, *actions, *carry_on]


def _outside_form(
    turn: CallerTurn, progress: TurnProgress, config: RepairConfig
) -> list[PlanItem] | None:
    intent = turn.intent
    if intent in config.greet and turn.opening_this_turn:
        return [LISTEN]  # the opening line has answered the greeting
    if turn.last_response == config.survey_prompt and intent not in config.channel_events:
        # Whatever the answer, it is read for a score; a score is thanked; then goodbye.
        thanks = ["utter_thanks_for_rating"] if progress.slot("survey_answer") == "rated" else []
        return ["action_store_satisfaction", *thanks, "utter_closing", END]
    offered = _standing_offer(turn, config)
    if offered and _takes_the_offer(turn, offered, config):
        # `需要报修的话我可以为您登记` … `好的，帮我登记一下`: the request is taken down (a
        # bare `嗯` answers the "anything else?" after the offer).
        return _register(config)
    if intent in config.visits and reports_a_no_show(turn.text):
        # `安装师傅到现在还没来`: not a question about installations but a visit that
        # never came; the installation answer would tell the caller to wait again.
        return list(COMPLAINT_START)
    followed = follow_up_of(intent, turn.confidence, turn.behind, turn.said, config)
    if followed and config.form_for_intent(followed):
        return [config.form_for_intent(followed)]  # its lookup, for the same order
    if intent in config.registers_at_once and turn.confidence >= config.ending_confidence:
        return _register(config)  # `我想预约上门安装`: asking is enough
    if turn.last_response in config.anything_else_prompts:
        if intent in config.no_more:
            return [config.survey_prompt, LISTEN] if turn.served else ["utter_closing", END]
        if intent in config.go_ahead:
            return ["utter_go_ahead", LISTEN]
    if intent in config.repeat:
        return [REPEAT, LISTEN]
    lookup = config.form(turn.last_form)
    if intent in config.corrects and lookup and not lookup.files_ticket:
        # `不对，订单号是…` right after a lookup's answer: the same lookup, new number.
        return [lookup.name]
    if intent in config.chitchat and intent not in config.no_more:
        follow = "utter_anything_else" if turn.served else "utter_how_can_i_help"
        return [config.chitchat[intent], follow, LISTEN]
    if intent in config.endings:
        return [config.endings[intent], END]
    calm_complaint = intent == config.complaint and not _in_anger(turn, config)
    if (intent == config.praise or calm_complaint) and praise_then_problem(turn.text):
        # `师傅很耐心,不过洗衣机还是漏水` (praise) and `客服小王态度真好，就是送货太慢了`
        # (a complaint): the praise is thanked, the problem taken down.
        return [*PRAISE_THANKS, *PROBLEM_AFTER_PRAISE]
    if _disputes_a_status(turn, config):
        # `我的快递显示签收了但是我没收到`: read as a status question with a complaint close
        # behind, and a problem named; the status would only repeat what the caller disputes.
        return list(COMPLAINT_START)
    if _states_a_problem(turn, config):
        # `我买的洗衣机漏水` read as a bare answer (`买的是冰箱`) or not understood, with a
        # complaint close behind and a problem named: "please repeat" would fail a caller
        # who said exactly what is wrong.
        return list(COMPLAINT_START)
    if intent == config.complaint and _in_anger(turn, config):
        # A complaint in anger: the calming line first, then the complaint procedure.
        return ["utter_calm_down", *COMPLAINT_START]
    if intent in config.business and turn.caller_state == config.angry:
        # `搞什么啊，发票到底怎么开`: the request said in anger; the manual's calming
        # line first, then the request served as ever
        served = _served_in_anger(intent, config)
        if served:
            return ["utter_calm_down", *served]
    if intent == config.pursue and not progress.slot("ticket_id"):
        # Insisting on a request we have no record of: the manual's line, then the
        # complaint procedure takes it down with a number to call back (a ticket filed
        # at once would promise a callback to nobody on the web).
        return ["utter_pursue_soon", "complaint_form"]
    if intent == config.angry and turn.also_asks in config.business:
        # `气死我了，退款到底什么时候到` read as anger with the refund question close
        # behind: calmed (twice: a person), and the question served, not dropped
        served = _served_in_anger(str(turn.also_asks), config)
        if served:
            return _ladder(intent, progress, config, served, [])
    asked = asked_in_words(turn.text, config) if intent == config.angry else None
    if asked in config.human:
        # `烦死了，帮我转人工`: calmed, and the person asked for (the ladder's second stage
        # hands off with priority by itself)
        return _ladder(intent, progress, config, ["utter_handoff", HANDOFF, LISTEN], [])
    if intent == config.angry and _names_a_problem(turn.text, config):
        # Angry *and* a service problem: calm the caller, then the complaint procedure.
        return _ladder(intent, progress, config, COMPLAINT_START, [])
    served = _served_in_anger(asked, config) if asked in config.business else None
    if served:
        # `我他妈等了五天了 订单到底到哪了`: read as anger only, with the request named in
        # so many words (and no problem named: that is a complaint); calmed, and the
        # request served, not dropped
        return _ladder(intent, progress, config, served, [])
    return _ladder(intent, progress, config, [LISTEN], [])


def _in_anger(turn: CallerTurn, config: RepairConfig) -> bool:
    """Anger beside the request (the parse's caller state) or in the words."""
    return turn.caller_state == config.angry or shows_anger(turn.text)


def _served_in_anger(intent: str, config: RepairConfig) -> list[PlanItem] | None:
    """How a business request is served after the calming line: its lookup form (the
    rules take over from its question), or its answer and "anything else?"."""
    lookup = config.form_for_intent(intent)
    if lookup:
        return [lookup]
    if intent in config.registers_at_once:
        return None  # an appointment asked for: the rules and the planner take it down
    return ["action_answer_business", "utter_anything_else", LISTEN]


def _standing_offer(turn: CallerTurn, config: RepairConfig) -> str | None:
    """The request an answer offered to take down, said in the bot's last turn, or in the
    turn before when the last one only asked to hear it again (`鞋子尺码小了` after the
    return policy was not understood; the order number that follows still takes it up)."""
    offered = next((config.offers[said] for said in turn.said if said in config.offers), None)
    if offered or not turn.said or not set(turn.said) <= config.not_understood_lines:
        return offered
    return next((config.offers[said] for said in turn.said_before if said in config.offers),
                None)


def _takes_the_offer(turn: CallerTurn, offered: str, config: RepairConfig) -> bool:
    """A yes to an answer's offer to take the request down: the request again, a yes that
    names the offer (`好的，帮我登记一下退货`, whatever the NLU reads it as), a request to
    book it, the order number, or what is wrong; not a bare `嗯`, which answers the
    "anything else?" asked after the offer."""
    intent = turn.intent
    if intent == offered or intent in config.takes_offer - config.go_ahead:
        return True
    leaves = config.no_more | config.control_intents | config.cancel
    # An order number given right after the offer (`订单号20261101002`), what is wrong
    # (`东西有质量问题` after the return policy), why (`鞋子尺码小了`), or an answer to the
    # registration's own questions (`明天下午可以吗`, `我姓孙`): the caller goes ahead, and
    # the request is taken down.
    reasons = config.offer_reasons.get(offered, ())
    return intent not in leaves and (takes_up_offer(turn.text)
                                     or order_number_in(turn.text) is not None
                                     or _names_a_problem(turn.text, config)
                                     or any(word in turn.text for word in reasons)
                                     or bool(turn.values & config.takes_offer_entities))


def _register(config: RepairConfig) -> list[PlanItem]:
    form = config.form_for_intent(config.complaint)
    return [REGISTER, form] if form else [REGISTER, LISTEN]


def _disputes_a_status(turn: CallerTurn, config: RepairConfig) -> bool:
    lookup = config.form(config.form_for_intent(turn.intent))
    return (lookup is not None and not lookup.files_ticket and turn.also_asks == config.complaint
            and _names_a_problem(turn.text, config))


def _states_a_problem(turn: CallerTurn, config: RepairConfig) -> bool:
    return (turn.intent in config.plain_answers and turn.also_asks == config.complaint
            and _names_a_problem(turn.text, config))


# Below this confidence a request right after another's lookup answer, with that one
# close behind, is read as a follow-up of the one answered.
FOLLOW_UP_DOUBT = 0.5


def follow_up_of(intent: str, confidence: float, behind: Sequence[str], said: Sequence[str],
                 config: RepairConfig) -> str | None:
    """`那什么时候能到` right after the order's status, read as a stock notice (0.40) with
    the status question close behind (0.38): the request just answered, asked again
    about the same order, not another request."""
    answered = next((config.lookup_answers[r] for r in said if r in config.lookup_answers),
                    None)
    if (answered and intent != answered and intent in config.business
            and confidence < FOLLOW_UP_DOUBT and answered in behind):
        return answered
    return None


def asked_in_words(text: str, config: RepairConfig) -> str | None:
    """The request the caller names in so many words (hotline.yml `asked_in_words`)."""
    words = normalize_text(text)
    return next((intent for intent, patterns in config.asked_in_words.items()
                 if any(re.search(pattern, words) for pattern in patterns)), None)


def _names_a_problem(text: str, config: RepairConfig, request: str = "") -> bool:
    """Words of a complaint category, besides the `request`'s own (`保修` in a warranty
    question names what is asked, not what is wrong)."""
    own = config.own_words.get(request, ())
    return any(word in text for word in config.topic_words if word not in own)


def _in_form(
    turn: CallerTurn, progress: TurnProgress, config: RepairConfig
) -> list[PlanItem] | None:
    form = str(turn.form)
    spec = config.form(form)
    intent = turn.intent
    back = _back_to(form)
    aside = turn.form_aside
    if intent in config.hangup:
        return ["action_handle_hangup", LISTEN]
    if intent in config.goodbye and turn.confidence >= config.ending_confidence and (
            not _gives_a_number(turn.text)):
        return [CLOSE_FORM, "utter_closing", END]
    if (says_nothing_more(turn.text) and not turn.values and not _gives_a_number(turn.text)
            and not (spec and turn.requested_slot in spec.free_text)):
        # `好的谢谢，没别的了` while the phone number is asked (read as thanks, it got
        # "不客气" and the question again): the caller is done, as with a goodbye;
        # so with `算了不说了`, an unsure goodbye (dissatisfied_drop 0.53)
        return [CLOSE_FORM, "utter_closing", END]
    if intent in config.goodbye:
        # `找到了，20261101001` read as a goodbye: the number is the answer; an unsure
        # goodbye (`那咋办` once at 0.53) is no reason to end the call: the form reads it
        return None
    request = _request_turned_to(turn, form, config)
    switch = config.form_for_intent(request) if request else None
    if switch and switch != form:
        # `不投诉了，帮我查下订单到哪了`, `说错了，我是想查物流`: the form is dropped and the
        # request it was mistaken for begins (it reads the message for its answers).
        return [CANCEL_FORM, switch]
    if request in config.business and switch is None:
        # `等一下，我先不投诉了，我想问问积分怎么用`: the form is dropped, not set aside to
        # come back to, and the question answered
        return [CANCEL_FORM, "action_answer_business", "utter_anything_else", LISTEN]
    if _fault_told_for_a_visit(turn, spec, config):
        # `我要报修` … `洗衣机不脱水了` at the warranty lookup's order-number question: what
        # is wrong is what the repair needs; it is taken down, never "not understood"
        return _register(config)
    if _taken_down_without_the_number(turn, spec, config):
        # A repair without the order number the lookup asks for (`我没有订单号`,
        # `门店买的`), or a refund question after being told where to find it: no dead
        # end, it is taken down instead (a person looks it up by phone and calls back).
        return _register(config)
    if intent in config.cancel or _refuses_again(turn, spec, config):
        return [CANCEL_FORM, RESUME_FORM] if aside else [CANCEL_FORM, "utter_anything_else", LISTEN]
    if intent in config.human:
        return [KEEP_FORM, "utter_handoff", HANDOFF, LISTEN]
    if intent == config.angry and asked_in_words(turn.text, config) in config.human:
        # `烦死了，帮我转人工` mid-form: calmed, and the person asked for
        return _ladder(intent, progress, config, [KEEP_FORM, "utter_handoff", HANDOFF, LISTEN],
                       _leave_form(), in_form=True)
    if intent in config.repeat or intent in config.louder:
        return [REPEAT, LISTEN]
    if intent in config.endings:
        return [KEEP_FORM, config.endings[intent], END]
    if (spec and not spec.files_ticket and turn.requested_slot == "order_number"
            and refers_to_that_order(turn.text)):
        # `这个订单的` when the refund lookup asks which order: the order just looked
        # up, which the lookup reads (actions/lookups.py), not a product question aside
        return None
    asked_aside = _question_aside(turn, spec, form, config)
    if asked_aside:
        return asked_aside
    if _goes_on_after_an_aside(turn, config):
        # `好的，继续吧` after the business hours were told aside and the form's question
        # came again: the caller lets the form go on, which is no answer it failed to read
        return ["utter_go_ahead", *back]
    answers = config.answers | (spec.intents if spec else frozenset())
    if intent in answers or _free_text_answer(turn, spec, config):
        return None  # the form reads the answer; a refusal comes back as REJECTED
    if intent == config.malicious or config.ladder_for(intent) is not None:
        leave = [] if intent == config.malicious else _leave_form()
        return _ladder(intent, progress, config, back, leave, in_form=True)
    if intent in config.greet:
        # `喂？你好？` mid-form: still here, and the question; `下午` is an answer
        return ["utter_still_here", *back] if greets(turn.text) else None
    if intent in config.chitchat and turn.requested_slot in turn.values:
        return None  # `我姓林` read as a request to wait: the surname is the answer
    if intent in config.chitchat:
        return [config.chitchat[intent], *back]
    if (spec and spec.files_ticket and spec.free_text and intent in config.visits
            and asks_for_a_visit(turn.text)):
        # `那你们能不能派人来修一下` in a complaint about a broken fridge: taken down with
        # the complaint (actions/forms.py), not a lookup of the warranty
        return None
    return _digression(intent, form, config)


def _question_aside(turn: CallerTurn, spec: FormSpec | None, form: str,
                    config: RepairConfig) -> list[PlanItem] | None:
    """`等等，我想先问一下你们保修多久` at the order-number question: the NLU is not sure
    (not understood 0.30, hold on 0.29, the warranty question 0.23) but the caller asks
    a question of their own. It is answered and the form's question comes again, instead of the
    form reading it as no answer (an optional question was skipped without a word)."""
    asked = next((name for name in turn.behind
                  if name in config.business or config.form_for_intent(name)), None)
    if (turn.intent != config.nomatch_intent or not asked
            or (spec and asked in spec.intents) or not asks_a_question(turn.text)
            or turn.requested_slot in turn.values
            or (spec and turn.requested_slot in spec.free_text)):
        return None
    return _digression(asked, form, config)


def _goes_on_after_an_aside(turn: CallerTurn, config: RepairConfig) -> bool:
    """A bare go-ahead (`好的`, `继续吧`) right after something was answered aside and the
    form's question asked again. Once only: a second one is read by the form (at a
    read-back it is the yes, and elsewhere not understood)."""
    return (turn.intent in config.go_ahead and not turn.values
            and not _gives_a_number(turn.text) and len(turn.said) >= 2
            and any(name in ASIDE_LINES or name in config.chitchat.values()
                    for name in turn.said[:-1]))


def _gives_a_number(text: str) -> bool:
    """The message carries a number a form asks for (an order, ticket or phone number)."""
    return bool(order_number_in(text) or phone_candidate(digit_view(text)))


def _request_turned_to(turn: CallerTurn, form: str, config: RepairConfig) -> str | None:
    """The request the caller turns to while cancelling or correcting this form (the NLU
    reads it close behind), or takes the complaint back for (`不投诉了，帮我查下订单`)."""
    if turn.form_aside:
        return None
    # A correction that states a value (`不对，订单号是2026…`) corrects an answer.
    corrects_the_request = turn.intent in config.corrects and not any(
        ch.isdigit() for ch in turn.text)
    if turn.intent in config.cancel or corrects_the_request:
        return turn.also_asks
    if form == config.form_for_intent(config.complaint) and retracts_complaint(turn.text):
        return turn.intent  # `不投诉了，帮我查下订单到哪了` read as the order question
    return None


def _fault_told_for_a_visit(turn: CallerTurn, spec: FormSpec | None,
                            config: RepairConfig) -> bool:
    return (turn.topic in config.registers_with_fault and spec is not None
            and not spec.files_ticket and turn.requested_slot is not None
            and not _gives_a_number(turn.text)
            and _names_a_problem(turn.text, config, str(turn.topic)))


def _taken_down_without_the_number(turn: CallerTurn, spec: FormSpec | None,
                                   config: RepairConfig) -> bool:
    if turn.topic not in config.registers or not spec or spec.files_ticket:
        return False
    if (turn.requested_slot and "phone_number" in turn.values
            and "order_number" not in turn.values):
        return True  # `我姓赵，电话138…` instead of the order number: taken down by phone
    if turn.topic in config.registers_after_explaining:
        return _refuses_again(turn, spec, config)  # told where to find it already
    return bool(turn.requested_slot) and intent_declines(turn.intent, turn.text, config)


def _refuses_again(turn: CallerTurn, spec: FormSpec | None, config: RepairConfig) -> bool:
    """A required question declined a second time: the caller does not want to go on."""
    asked = turn.requested_slot
    if not asked or asked != turn.refused_slot or (spec and asked in spec.optional):
        return False
    return intent_declines(turn.intent, turn.text, config)


def intent_declines(intent: str, text: str, config: RepairConfig) -> bool:
    return intent in config.declines or (intent in config.answers and skips(text))


def _free_text_answer(turn: CallerTurn, spec: FormSpec | None, config: RepairConfig) -> bool:
    """A free-text question (a complaint's description) takes anything as its answer but
    control intents, chit-chat, and other requests that name no problem."""
    if not spec or turn.requested_slot not in spec.free_text:
        return False
    intent = turn.intent
    if intent in config.control_intents or intent in config.chitchat or intent in config.greet:
        return False
    if intent in config.business or intent == config.ticket_status:
        # `洗衣机坏了，保修吗` describes; `你们保修多久` asks, and is answered aside
        return _names_a_problem(turn.text, config, intent)
    # `气死我了` is an outburst (calmed, and the question again); an angry account answers
    return not (intent == config.angry and not _names_a_problem(turn.text, config)
                and meaningful_chars(turn.text) <= config.outburst_max_chars)


def _digression(intent: str, form: str, config: RepairConfig) -> list[PlanItem] | None:
    """Another request in the middle of a form: serve it, then the form's question again."""
    back = [RESUME_LINE, *_back_to(form)]
    if intent == config.out_of_scope:
        return [OUT_OF_SCOPE_LINE, *back]
    if intent == config.praise:
        return [*PRAISE_THANKS, *back]
    if intent == config.suggestion:
        return [*SUGGESTION_THANKS, *back]
    if intent == config.pursue:
        return ["utter_pursue_soon", *_back_to(form)]  # the request goes with the ticket
    if intent == config.complaint:
        return [SET_FORM_ASIDE, *COMPLAINT_START]
    lookup = config.form_for_intent(intent)
    if lookup and lookup != form:
        return [SET_FORM_ASIDE, lookup]  # its own question first; answered, the form resumes
    if intent in config.business:
        return [SET_FORM_ASIDE, "action_answer_business"]
    return None
