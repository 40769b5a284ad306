"""The telephony channel's configuration: hotline.yml `telephony:` (typed in
bot/config/telephony.py, defaults there) plus credentials and deployment settings.

Everything a company tunes (voice, timeouts, keypad menu, hand-off target, thresholds
of the line-quality heuristics) lives in hotline.yml; secrets (auth token, account SID)
come from credentials.yml or the environment; what the phone says is domain.yml
(channels/lines.py). `VoiceConfig.load()` puts them together once per process.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from bot.config import ConfigError, HotlineConfig, hotline_config, settings
from bot.config.parse import flag
from bot.config.telephony import (
    CallbackScript,
    DigitEntryConfig,
    GatherConfig,
    HandoffConfig,
    SpeechConfig,
    TelephonySettings,
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
    opening_response: str = "utter_opening"  # the recording notice follows it
    recording_notice_url: str = ""
    recordings: Mapping[str, str] = field(default_factory=dict)
    handoff: HandoffConfig = HandoffConfig()
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
        phone: TelephonySettings = config.telephony
        token = str(creds.get("auth_token") or deploy.twilio_auth_token)
        validate = flag(creds.get("validate_signatures", True))
        if deploy.is_production and (len(token) < 16 or token in ("dev-token", "change-me")):
            raise ConfigError("production mode refuses a default or short TWILIO_AUTH_TOKEN")
        if deploy.is_production and not validate:
            raise ConfigError("production mode refuses validate_signatures: false")
        return cls(
            auth_token=token,
            public_base_url=str(creds.get("public_base_url") or deploy.public_base_url),
            redis_url=str(creds.get("redis_url") or deploy.redis_url),
            language=phone.language,
            voice=phone.voice,
            louder_volume=phone.louder_volume,
            barge_in=phone.barge_in,
            pause_between_messages_s=phone.pause_between_messages_s,
            gather=phone.gather,
            speech=phone.speech,
            keypad_menu=phone.keypad_menu,
            digit_entry=phone.digit_entry,
            goodbye_wait_s=phone.goodbye_wait_s,
            hangup_after_s=phone.hangup_after_s,
            scripted_reasons=phone.scripted_reasons,
            opening_response=phone.recording_notice_after,
            recording_notice_url=phone.recording_notice_url,
            recordings=phone.recordings,
            handoff=phone.handoff,
            max_technical_errors=phone.max_technical_errors,
            dedupe_ttl_s=phone.dedupe_ttl_s,
            dedupe_wait_s=phone.dedupe_wait_s,
            record_ttl_days=phone.record_ttl_days or config.privacy.retention_days,
            max_body_bytes=phone.max_body_bytes,
            validate_signatures=validate,
            callback=phone.callback,
            hints=speech_hints(phone.gather, config),
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
