"""`dialogue.repair`, `forms` and `ladders`: conversation repair (docs/DIALOGUE.md).

Which intent means what when a caller leaves the happy path is company configuration
(a company with other intents renames them here), as are the forms' optional slots and
the escalation ladders. The planner (bot/dialogue/planner.py) reads `RepairConfig`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.config.business import word_patterns
from bot.config.errors import ConfigError
from bot.config.parse import mapping


@dataclass(frozen=True)
class FormSpec:
    """One form: the intents that are answers to it, what may be skipped, what is kept."""

    name: str
    intents: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    # A form that files a ticket keeps what the caller said as an incomplete ticket when
    # it is left unfinished (goodbye, a person, a scripted closing); when the caller
    # cancels, only if one of `keeps_ticket_when` was filled (a complaint described).
    files_ticket: bool = False
    keeps_ticket_when: frozenset[str] = frozenset()
    # Slots whose answer is free text: anything but a control intent is the answer.
    free_text: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Ladder:
    """An escalation ladder (hotline.yml `ladders`): the n-th occurrence of its intent
    reaches the n-th stage; each stage says its lines (`lines`, inside a form `in_form`
    where it differs). The tokens `end` and `handoff` in a stage's lines end the session
    or hand the caller to a person."""

    name: str
    intent: str
    slot: str
    stages: tuple[str, ...] = ()
    # consecutive: a run of the intent; session: the whole session; form_refusals: answers
    # in a row that a form could not read
    count: str = "consecutive"
    lines: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    in_form: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def action(self) -> str:
        return f"action_ladder_{self.name}"

    def stage_for(self, count: int) -> str:
        """The stage the `count`-th occurrence reaches (the last stage repeats)."""
        return self.stages[min(max(count, 1), len(self.stages)) - 1]


@dataclass(frozen=True)
class RepairConfig:
    cancel: frozenset[str]
    goodbye: frozenset[str]
    human: frozenset[str]
    repeat: frozenset[str]
    louder: frozenset[str]
    greet: frozenset[str]
    hangup: frozenset[str]
    answers: frozenset[str]
    declines: frozenset[str]
    corrects: frozenset[str]
    no_more: frozenset[str]
    go_ahead: frozenset[str]
    chitchat: Mapping[str, str]
    anything_else_prompts: frozenset[str]
    survey_prompt: str
    angry: str
    malicious: str
    complaint: str
    out_of_scope: str
    praise: str
    suggestion: str
    pursue: str
    ticket_status: str
    nomatch_intent: str
    business: frozenset[str]
    topic_words: tuple[str, ...]
    forms: Mapping[str, FormSpec] = field(default_factory=dict)
    ladders: Mapping[str, Ladder] = field(default_factory=dict)
    # Channel events that end the session with their own closing line.
    endings: Mapping[str, str] = field(default_factory=dict)
    # Intents that interrupt even a free-text answer (besides cancel, goodbye, …).
    interrupting: frozenset[str] = frozenset()
    # What the channels report rather than the caller says (silence, hang-up …).
    channel_events: frozenset[str] = frozenset()
    # An answer that offers to take its request down (business_intents.<intent>.registers
    # with `offered`) -> that request: a yes right after it starts the registration.
    offers: Mapping[str, str] = field(default_factory=dict)
    # Per offered request, words giving a reason for it that take the offer up.
    offer_reasons: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Requests taken down when the caller has no order number for their lookup: at the
    # first refusal, or (`order_needed`) at the second, after where to find it.
    registers: frozenset[str] = frozenset()
    registers_after_explaining: frozenset[str] = frozenset()
    registers_at_once: frozenset[str] = frozenset()
    # Requests whose registration needs what is wrong (a repair): the fault said at their
    # lookup's question (`洗衣机不脱水了` when the order number is asked) takes it down.
    registers_with_fault: frozenset[str] = frozenset()
    # What accepts such an offer besides the request itself (`好的`, `那帮我预约一下`).
    takes_offer: frozenset[str] = frozenset()
    # Entities of the registration's own questions: a caller who gives them right after
    # the offer (`明天下午可以吗`, `姓孙`) goes ahead with it.
    takes_offer_entities: frozenset[str] = frozenset()
    # The NLU's confidence a caller's ending (a personal call) needs to end the session;
    # below it, the message is not understood.
    ending_confidence: float = 0.0
    # Numbers a lookup did not find in a row before the request is taken down instead.
    lookup_misses: int = 2
    # Endings that need the caller's words to ask for someone (`我找一下刘芳`).
    endings_for_someone: frozenset[str] = frozenset()
    # The longest angry message that names no problem and is no description (`气死我了`).
    outburst_max_chars: int = 12
    # Requests named unmistakably in the caller's words (business_intents.*.asked_in_words,
    # and `human_words` for a person): served after the calming line when the message as a
    # whole reads as anger (`我他妈等了五天了 订单到底到哪了`, `烦死了，帮我转人工`).
    asked_in_words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # A request's own topic words (its registration category's: `保修` for a repair), which
    # name what the caller wants, not a problem (`你们保修多久` describes nothing).
    own_words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The answer of each request with a lookup (`utter_order_status` -> order_status):
    # what the caller was just told about, for a follow-up question.
    lookup_answers: Mapping[str, str] = field(default_factory=dict)


    @property
    def visits(self) -> frozenset[str]:
        """Requests taken down to send someone (a repair, an installation, a return), not
        questions about an order: asked for in a complaint, they go with it."""
        return self.registers - self.registers_after_explaining

    @property
    def plain_answers(self) -> frozenset[str]:
        """Answers that are neither a correction, a refusal, a yes nor a no (`inform`, not
        understood): outside a form, an answer to no question."""
        return self.answers - self.corrects - self.declines - self.no_more - self.go_ahead

    @property
    def not_understood_lines(self) -> frozenset[str]:
        """What the not-understood ladder says before it hands over (复述, the menu)."""
        ladder = self.ladder_for(self.nomatch_intent)
        if ladder is None:
            return frozenset()
        return frozenset(line for stage in ladder.lines.values() for line in stage
                         if line.startswith("utter_"))

    def ladder_for(self, intent: str) -> Ladder | None:
        return next((ladder for ladder in self.ladders.values() if ladder.intent == intent), None)

    @property
    def control_intents(self) -> frozenset[str]:
        """What is never the answer to a form's question."""
        return (self.cancel | self.goodbye | self.human | self.repeat | self.louder
                | self.hangup | frozenset(self.endings) | self.interrupting)

    def form(self, name: str | None) -> FormSpec | None:
        return self.forms.get(name or "")

    def form_for_intent(self, intent: str) -> str | None:
        """The form that serves a request (e.g. an order lookup for `order_status`)."""
        for spec in self.forms.values():
            if intent in spec.intents:
                return spec.name
        return None


def _count(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"hotline.yml: dialogue.repair.{key} must be a whole number >= 1")
    return value


def _names(raw: Mapping[str, Any], key: str, default: tuple[str, ...] = ()) -> frozenset[str]:
    value = raw.get(key, list(default))
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"hotline.yml: dialogue.repair.{key} must be a list")
    return frozenset(str(v) for v in value)


def _forms(raw: Mapping[str, Any]) -> dict[str, FormSpec]:
    forms = {}
    for name, spec in (raw or {}).items():
        spec = spec or {}
        if not isinstance(spec, Mapping):
            raise ConfigError(f"hotline.yml: forms.{name} must be a mapping")
        forms[str(name)] = FormSpec(
            name=str(name),
            intents=frozenset(str(i) for i in spec.get("intents") or []),
            optional=frozenset(str(s) for s in spec.get("optional") or []),
            files_ticket=bool(spec.get("files_ticket", False)),
            keeps_ticket_when=frozenset(str(s) for s in spec.get("keeps_ticket_when") or []),
            free_text=frozenset(str(s) for s in spec.get("free_text") or []),
        )
    return forms


def parse_repair(
    raw: Mapping[str, Any],
    forms: Mapping[str, Any],
    ladders: Mapping[str, Any],
    business_intents: Iterable[str],
    topic_words: Iterable[str],
    registrations: Mapping[str, Any] | None = None,
    asked_in_words: Mapping[str, tuple[str, ...]] | None = None,
    own_words: Mapping[str, tuple[str, ...]] | None = None,
    lookup_answers: Mapping[str, str] | None = None,
) -> RepairConfig:
    """`dialogue.repair`, `forms`, `ladders`, with the business intents and the complaint
    category words (what counts as a digression, and as talk about the topic)."""
    raw = mapping(raw, "dialogue.repair")
    states = raw.get("states") or {}
    registrations = dict(registrations or {})
    return RepairConfig(
        cancel=_names(raw, "cancel", ("cancel",)),
        goodbye=_names(raw, "goodbye", ("goodbye",)),
        human=_names(raw, "human", ("request_human",)),
        repeat=_names(raw, "repeat", ("ask_repeat",)),
        louder=_names(raw, "louder", ("too_quiet_bot",)),
        greet=_names(raw, "greet", ("greet",)),
        hangup=_names(raw, "hangup", ("hangup",)),
        answers=_names(raw, "answers", ("inform", "affirm", "deny", "nlu_fallback")),
        declines=_names(raw, "declines", ("skip",)),
        corrects=_names(raw, "corrects", ("correct",)),
        no_more=_names(raw, "no_more", ("deny", "goodbye", "thank")),
        go_ahead=_names(raw, "go_ahead", ("affirm",)),
        chitchat={str(k): str(v) for k, v in (raw.get("chitchat") or {}).items()},
        anything_else_prompts=_names(raw, "anything_else_prompts", ("utter_anything_else",)),
        survey_prompt=str(raw.get("survey_prompt", "utter_ask_satisfaction")),
        angry=str(states.get("angry", "angry")),
        malicious=str(states.get("malicious", "malicious")),
        complaint=str(states.get("complaint", "complaint")),
        out_of_scope=str(states.get("out_of_scope", "out_of_scope")),
        praise=str(states.get("praise", "praise")),
        suggestion=str(states.get("suggestion", "suggestion")),
        pursue=str(raw.get("pursue", "pursue_request")),
        ticket_status=str(raw.get("ticket_status", "ask_ticket_status")),
        nomatch_intent=str(raw.get("nomatch", "nlu_fallback")),
        business=frozenset(str(k) for k in business_intents),
        topic_words=tuple(str(word) for word in topic_words if str(word)),
        forms=_forms(mapping(forms, "forms")),
        ladders={str(name): _ladder(str(name), spec)
                 for name, spec in mapping(ladders, "ladders").items()},
        endings={str(k): str(v) for k, v in (raw.get("endings") or {}).items()},
        interrupting=_names(raw, "interrupting", ("malicious",)),
        channel_events=_names(raw, "channel_events", ("silence", "hangup")),
        offers={spec.offered_by: name for name, spec in registrations.items()
                if spec.offered_by},
        offer_reasons={name: spec.reasons for name, spec in registrations.items()
                       if spec.offered_by and spec.reasons},
        registers=frozenset(registrations),
        registers_after_explaining=frozenset(
            name for name, spec in registrations.items() if spec.order_needed),
        registers_at_once=frozenset(
            name for name, spec in registrations.items() if spec.at_once),
        registers_with_fault=frozenset(
            name for name, spec in registrations.items() if spec.needs_fault),
        takes_offer=_names(raw, "takes_offer", ("affirm",)),
        takes_offer_entities=_names(raw, "takes_offer_entities",
                                    ("surname", "phone_number", "time_slot")),
        ending_confidence=_confidence(raw.get("ending_confidence", 0.0)),
        lookup_misses=_count(raw.get("lookup_misses", 2), "lookup_misses"),
        outburst_max_chars=_count(raw.get("outburst_max_chars", 12), "outburst_max_chars"),
        endings_for_someone=_names(raw, "endings_for_someone"),
        asked_in_words=_asked_in_words(raw, asked_in_words or {}),
        own_words={str(k): tuple(v) for k, v in (own_words or {}).items() if v},
        lookup_answers=dict(lookup_answers or {}),
    )


def _asked_in_words(raw: Mapping[str, Any],
                    business: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """The business requests' patterns, and a person asked for (`human_words`) under the
    first of the `human` intents."""
    found = {name: patterns for name, patterns in business.items() if patterns}
    human = word_patterns(raw.get("human_words"), "dialogue.repair.human_words")
    humans = sorted(_names(raw, "human", ("request_human",)))
    if human and humans:
        found[humans[0]] = human
    return found


def _confidence(value: Any) -> float:
    if not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ConfigError("hotline.yml: dialogue.repair.ending_confidence must be 0 to 1")
    return float(value)


def _lines(raw: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        return {}
    return {str(stage): tuple(str(line) for line in lines or []) for stage, lines in raw.items()}


def _ladder(name: str, spec: Any) -> Ladder:
    if not isinstance(spec, Mapping) or "slot" not in spec:
        raise ConfigError(f"hotline.yml: ladders.{name} needs a slot")
    stages = tuple(str(stage) for stage in spec.get("stages") or ())
    if not stages:
        raise ConfigError(f"hotline.yml: ladders.{name} needs stages")
    count = str(spec.get("count", "consecutive"))
    if count not in ("consecutive", "session", "form_refusals"):
        raise ConfigError(f"hotline.yml: ladders.{name}.count must be consecutive, session "
                          "or form_refusals")
    return Ladder(
        name=name,
        intent=str(spec.get("intent", name)),
        slot=str(spec["slot"]),
        stages=stages,
        count=count,
        lines=_lines(spec.get("lines")),
        in_form=_lines(spec.get("in_form")),
    )
