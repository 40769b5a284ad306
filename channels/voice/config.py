"""The telephony channel's configuration: hotline.yml `telephony:` plus credentials.

Everything a company tunes (voice, timeouts, keypad menu, hand-off target,
thresholds of the line-quality heuristics, its own prompts) lives in
hotline.yml; secrets (auth token, account SID) come from credentials.yml or the
environment. `VoiceConfig.load()` reads both; every value has a default so a
hotline.yml without a `telephony:` section still gives a working channel.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from bot.config import ConfigError, HotlineConfig, hotline_config, settings


def _map(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"hotline.yml: telephony.{where} must be a mapping")
    return value


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in (value or []) if str(v).strip())


def _opt_int(value: Any) -> Optional[int]:
    return None if value in (None, "") else int(value)


@dataclass(frozen=True)
class GatherConfig:
    """Attributes of every `<Gather>` that listens to the caller."""

    silence_timeout_s: int = 5
    speech_timeout: str = "auto"
    speech_model: str = ""
    enhanced: bool = False
    profanity_filter: bool = False
    hints: tuple[str, ...] = ()
    hints_from_config: bool = True
    menu_num_digits: int = 1

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> GatherConfig:
        return cls(
            silence_timeout_s=int(raw.get("silence_timeout_s", 5)),
            speech_timeout=str(raw.get("speech_timeout", "auto")),
            speech_model=str(raw.get("speech_model") or ""),
            enhanced=bool(raw.get("enhanced", False)),
            profanity_filter=bool(raw.get("profanity_filter", False)),
            hints=_strs(raw.get("hints")),
            hints_from_config=bool(raw.get("hints_from_config", True)),
            menu_num_digits=int(raw.get("menu_num_digits", 1)),
        )


@dataclass(frozen=True)
class SpeechConfig:
    """Thresholds of the line-quality heuristics (docs/TELEPHONY.md, "Caller situations")."""

    max_chars: int = 300
    min_confidence: float = 0.45
    noise_confidence: float = 0.15
    fragment_max_chars: int = 3
    dialect_after: int = 2
    noise_after: int = 3
    too_quiet_bot_phrases: tuple[str, ...] = ()
    too_quiet_bot_max_chars: int = 12

    @classmethod
    def parse(cls, raw: Mapping[str, Any], quiet: Mapping[str, Any]) -> SpeechConfig:
        return cls(
            max_chars=int(raw.get("max_chars", 300)),
            min_confidence=float(raw.get("min_confidence", 0.45)),
            noise_confidence=float(raw.get("noise_confidence", 0.15)),
            fragment_max_chars=int(raw.get("fragment_max_chars", 3)),
            dialect_after=int(raw.get("dialect_after", 2)),
            noise_after=int(raw.get("noise_after", 3)),
            too_quiet_bot_phrases=_strs(quiet.get("phrases")),
            too_quiet_bot_max_chars=int(quiet.get("max_chars", 12)),
        )


@dataclass(frozen=True)
class DigitEntry:
    """How digits are collected after a prompt that asks for a number."""

    finish_on_key: str = "#"
    num_digits: Optional[int] = None
    timeout_s: int = 10
    send: str = "{digits}"  # what the dialogue receives; `{digits}` is replaced
    # Keys that stand for an answer (a read-back: 1 yes, 2 no); others are sent as digits.
    keys: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> DigitEntry:
        return cls(
            finish_on_key=str(raw.get("finish_on_key", "#")),
            num_digits=_opt_int(raw.get("num_digits")),
            timeout_s=int(raw.get("timeout_s", 10)),
            send=str(raw.get("send", "{digits}")),
            keys={str(k): str(v) for k, v in _map(raw.get("keys"), "digit_entry keys").items()},
        )

    def payload(self, digits: str) -> str:
        return self.keys.get(digits) or self.send.replace("{digits}", digits)


@dataclass(frozen=True)
class DigitEntryConfig:
    """When digits are data (a phone number, a rating) rather than menu choices."""

    slots: Mapping[str, DigitEntry] = field(default_factory=dict)
    responses: Mapping[str, DigitEntry] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> DigitEntryConfig:
        slots = _map(raw.get("slots"), "digit_entry.slots")
        responses = _map(raw.get("responses"), "digit_entry.responses")
        return cls(
            slots={str(k): DigitEntry.parse(_map(v, f"digit_entry.slots.{k}"))
                   for k, v in slots.items()},
            responses={str(k): DigitEntry.parse(_map(v, f"digit_entry.responses.{k}"))
                       for k, v in responses.items()},
            keywords=_strs(raw.get("keywords")),
        )

    def entry(self, key: str) -> Optional[DigitEntry]:
        """The entry named `slot:<name>`, `response:<name>` or `keyword`."""
        kind, _, name = key.partition(":")
        if kind == "slot":
            return self.slots.get(name)
        if kind == "response":
            return self.responses.get(name)
        if kind == "keyword":
            return DigitEntry()
        return None


@dataclass(frozen=True)
class HandoffConfig:
    """Where callers go when the dialogue hands them to a person."""

    mode: str = "enqueue"  # enqueue | dial
    queue: str = "hotline"
    priority_queue: str = ""
    workflow_sid: str = ""
    task_priority: int = 0
    priority_task_priority: int = 10
    wait_url: str = ""
    dial_number: str = ""
    priority_dial_number: str = ""
    dial_client: str = ""
    caller_id: str = ""
    timeout_s: int = 30
    whisper: str = ""
    finished_payload: str = "/handoff_finished"
    failed_payload: str = "/handoff_finished"

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> HandoffConfig:
        mode = str(raw.get("mode", "enqueue"))
        if mode not in ("enqueue", "dial"):
            raise ConfigError("hotline.yml: telephony.handoff.mode must be 'enqueue' or 'dial'")
        return cls(
            mode=mode,
            queue=str(raw.get("queue", "hotline")),
            priority_queue=str(raw.get("priority_queue") or ""),
            workflow_sid=str(raw.get("workflow_sid") or ""),
            task_priority=int(raw.get("task_priority", 0)),
            priority_task_priority=int(raw.get("priority_task_priority", 10)),
            wait_url=str(raw.get("wait_url") or ""),
            dial_number=str(raw.get("dial_number") or ""),
            priority_dial_number=str(raw.get("priority_dial_number") or ""),
            dial_client=str(raw.get("dial_client") or ""),
            caller_id=str(raw.get("caller_id") or ""),
            timeout_s=int(raw.get("timeout_s", 30)),
            whisper=str(raw.get("whisper") or ""),
            finished_payload=str(raw.get("finished_payload", "/handoff_finished")),
            failed_payload=str(raw.get("failed_payload", "/handoff_finished")),
        )


@dataclass(frozen=True)
class CallbackScript:
    """The outbound callback call (HOTLINE_SPEC 4): lines and reply handling."""

    caller_id: str = ""
    opening: str = ""
    connecting: str = ""
    not_convenient: str = ""
    wrong_number: str = ""
    no_reply: str = ""
    agents_busy: str = ""
    wrong_number_phrases: tuple[str, ...] = ()
    affirm_digits: tuple[str, ...] = ("1",)
    deny_digits: tuple[str, ...] = ("2",)
    affirm_intents: tuple[str, ...] = ("affirm",)
    deny_intents: tuple[str, ...] = ("deny",)
    reprompts: int = 1
    machine_detection: bool = True
    outcome_wait_s: float = 0.0

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> CallbackScript:
        return cls(
            caller_id=str(raw.get("caller_id") or ""),
            opening=str(raw.get("opening") or ""),
            connecting=str(raw.get("connecting") or ""),
            not_convenient=str(raw.get("not_convenient") or ""),
            wrong_number=str(raw.get("wrong_number") or ""),
            no_reply=str(raw.get("no_reply") or ""),
            agents_busy=str(raw.get("agents_busy") or ""),
            wrong_number_phrases=_strs(raw.get("wrong_number_phrases")),
            affirm_digits=_strs(raw.get("affirm_digits", ["1"])),
            deny_digits=_strs(raw.get("deny_digits", ["2"])),
            affirm_intents=_strs(raw.get("affirm_intents", ["affirm"])),
            deny_intents=_strs(raw.get("deny_intents", ["deny"])),
            reprompts=int(raw.get("reprompts", 1)),
            machine_detection=bool(raw.get("machine_detection", True)),
            outcome_wait_s=float(raw.get("outcome_wait_s", 0)),
        )


@dataclass(frozen=True)
class VoiceConfig:
    """Everything the telephony channel needs, resolved once per process."""

    auth_token: str
    public_base_url: str
    redis_url: str
    language: str = "zh-CN"
    voice: str = "Polly.Zhiyu"
    louder_volume: str = "x-loud"
    barge_in: bool = True
    pause_between_messages_s: int = 0
    gather: GatherConfig = GatherConfig()
    speech: SpeechConfig = SpeechConfig()
    keypad_menu: Mapping[str, str] = field(default_factory=dict)
    digit_entry: DigitEntryConfig = DigitEntryConfig()
    goodbye_wait_s: int = 10
    hangup_after_s: int = 5
    scripted_reasons: tuple[str, ...] = ("malicious", "silence", "low_volume", "noisy_line")
    opening_response: str = "utter_opening"
    recording_notice: str = ""
    recording_notice_url: str = ""
    recordings: Mapping[str, str] = field(default_factory=dict)
    handoff: HandoffConfig = HandoffConfig()
    technical_error: str = ""
    max_technical_errors: int = 2
    dedupe_ttl_s: int = 600
    dedupe_wait_s: float = 8.0
    record_ttl_days: int = 180
    max_body_bytes: int = 65536
    validate_signatures: bool = True
    callback: CallbackScript = CallbackScript()
    hints: tuple[str, ...] = ()
    company_values: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        credentials: Optional[Mapping[str, Any]] = None,
        config: Optional[HotlineConfig] = None,
        env: Optional[Mapping[str, str]] = None,
    ) -> VoiceConfig:
        """Read hotline.yml `telephony:` and the channel's credentials.yml block."""
        config = config or hotline_config()
        creds = {k: _expand(v) for k, v in (credentials or {}).items()}
        deploy = settings(env)
        raw = _map(config.raw.get("telephony"), "")
        ending = _map(raw.get("ending"), "ending")
        notice = _map(raw.get("recording_notice"), "recording_notice")
        dedupe = _map(raw.get("dedupe"), "dedupe")
        prompts = _map(raw.get("prompts"), "prompts")
        gather = GatherConfig.parse(_map(raw.get("gather"), "gather"))
        retention = _map(config.raw.get("privacy"), "privacy").get("retention_days", 180)
        token = str(creds.get("auth_token") or deploy.twilio_auth_token)
        validate = _flag(creds.get("validate_signatures", True))
        if deploy.is_production and (len(token) < 16 or token in ("dev-token", "change-me")):
            raise ConfigError("production mode refuses a default or short TWILIO_AUTH_TOKEN")
        if deploy.is_production and not validate:
            raise ConfigError("production mode refuses validate_signatures: false")
        return cls(
            auth_token=token,
            public_base_url=str(creds.get("public_base_url") or deploy.public_base_url),
            redis_url=str(creds.get("redis_url") or deploy.redis_url),
            language=str(raw.get("language", "zh-CN")),
            voice=str(raw.get("voice", "Polly.Zhiyu")),
            louder_volume=str(raw.get("louder_volume", "x-loud")),
            barge_in=bool(raw.get("barge_in", True)),
            pause_between_messages_s=int(raw.get("pause_between_messages_s", 0)),
            gather=gather,
            speech=SpeechConfig.parse(
                _map(raw.get("speech"), "speech"), _map(raw.get("too_quiet_bot"), "too_quiet_bot")
            ),
            keypad_menu={str(k): str(v) for k, v in _map(raw.get("keypad_menu"), "keypad_menu")
                         .items()},
            digit_entry=DigitEntryConfig.parse(_map(raw.get("digit_entry"), "digit_entry")),
            goodbye_wait_s=int(ending.get("goodbye_wait_s", 10)),
            hangup_after_s=int(ending.get("hangup_after_s", 5)),
            scripted_reasons=_strs(ending.get(
                "scripted_reasons", ["malicious", "silence", "low_volume", "noisy_line"])),
            opening_response=str(notice.get("after", "utter_opening")),
            recording_notice=str(notice.get("text") or ""),
            recording_notice_url=str(notice.get("play") or ""),
            recordings={str(k): str(v) for k, v in _map(raw.get("recordings"), "recordings")
                        .items() if v},
            handoff=HandoffConfig.parse(_map(raw.get("handoff"), "handoff")),
            technical_error=str(prompts.get("technical_error") or ""),
            max_technical_errors=int(raw.get("max_technical_errors", 2)),
            dedupe_ttl_s=int(dedupe.get("ttl_s", 600)),
            dedupe_wait_s=float(dedupe.get("wait_s", 8.0)),
            record_ttl_days=int(raw.get("record_ttl_days", retention)),
            max_body_bytes=int(raw.get("max_body_bytes", 65536)),
            validate_signatures=validate,
            callback=CallbackScript.parse(_map(raw.get("callback"), "callback")),
            hints=speech_hints(gather, config),
            company_values=config.slot_values(),
        )


def _expand(value: Any) -> Any:
    """`${VAR}` from the environment: Rasa expands it only in unquoted YAML scalars."""
    if isinstance(value, str) and "${" in value:
        expanded = os.path.expandvars(value)
        if "${" in expanded:
            raise ConfigError(f"credentials.yml: environment variable not set in {value!r}")
        return expanded
    return value


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off")
    return bool(value)


def speech_hints(gather: GatherConfig, config: HotlineConfig) -> tuple[str, ...]:
    """Recogniser hints: configured phrases plus the company's own vocabulary.

    Twilio accepts up to 500 hints of at most 100 characters each.
    """
    hints: list[str] = list(gather.hints)
    if gather.hints_from_config:
        company = config.company
        hints += [company.name, company.assistant_name, company.hotline_name]
        for label in config.complaint_categories.values():
            hints += [part for part in _split_label(label) if part]
    seen: dict[str, None] = {}
    for hint in hints:
        hint = hint.strip()[:100]
        if hint and "," not in hint:
            seen.setdefault(hint, None)
    return tuple(list(seen)[:500])


def _split_label(label: str) -> list[str]:
    for sep in "()()/、,,":
        label = label.replace(sep, " ")
    return label.split()
