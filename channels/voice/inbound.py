"""What a caller's input means for the dialogue.

A Gather result (speech with a confidence, keypad digits, or nothing) becomes
the text of one dialogue turn: the transcript itself, a keypad choice
(`/order_status`), the digits of a number being entered, or a channel event
(`/silence`, `/low_volume`, `/dialect`, `/noisy_line`, `/too_quiet_bot`).

Line-quality heuristic (thresholds in hotline.yml `telephony.speech`):

- nothing recognised and no key pressed → `/silence`;
- a short utterance containing a `too_quiet_bot` phrase (听不清, 大声点 …) → `/too_quiet_bot`,
  and the rest of the call is spoken louder;
- confidence ≥ `min_confidence` (or no confidence reported) → the transcript;
- below it the result is *unusable*, and counts in a streak that any usable
  input resets:
  - `noise_after` results in a row below `noise_confidence` → `/noisy_line`
    (the recogniser hears sound but no speech);
  - an unusable fragment of at most `fragment_max_chars` letters → `/low_volume`
    (quiet or distant speech comes through in fragments);
  - from the `dialect_after`-th unusable result in a row, a longer one →
    `/dialect` (fluent speech the Mandarin recogniser keeps failing on);
  - otherwise the transcript goes to the dialogue, which may still understand it.

Events are sent every time the condition holds, so the dialogue's ladders
(which count consecutive events) escalate as the manual says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from bot.config.telephony import SpeechConfig
from bot.language.text.compare import meaningful_chars
from channels.voice.config import VoiceConfig
from channels.voice.state import MENU, CallState
from channels.voice.text import compact, sanitize_digits, sanitize_speech, spoken_key

SILENCE = "/silence"
LOW_VOLUME = "/low_volume"
NOISY_LINE = "/noisy_line"
DIALECT = "/dialect"
TOO_QUIET_BOT = "/too_quiet_bot"
HANGUP = "/hangup"


@dataclass(frozen=True)
class Inbound:
    """One caller input, as the dialogue receives it."""

    text: str
    # speech | digits | menu | silence | low_volume | dialect | noisy_line | too_quiet_bot
    kind: str
    state: CallState
    metadata: Mapping[str, Any] = field(default_factory=dict)


def confidence_of(params: Mapping[str, str]) -> Optional[float]:
    raw = params.get("Confidence")
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if 0.0 <= value <= 1.0 else None


def classify(params: Mapping[str, str], state: CallState, cfg: VoiceConfig) -> Inbound:
    """Turn a Gather callback's parameters into the dialogue's input."""
    digits = sanitize_digits(params.get("Digits"))
    if digits:
        return _digits(digits, state, cfg)
    speech, truncated = sanitize_speech(params.get("SpeechResult"), cfg.speech.max_chars)
    if not speech:
        return Inbound(SILENCE, "silence", state, {"input": "silence"})
    confidence = confidence_of(params)
    meta: dict[str, Any] = {"input": "speech", "speech_confidence": confidence}
    entry = cfg.digit_entry.entry(state.mode) if state.mode != MENU else None
    key = spoken_key(speech)
    if entry is not None and key in entry.keys:
        # `对的请按1`, and the caller says `一`: the same answer as the key
        calm = replace(state, unusable=0, noise=0)
        return Inbound(entry.keys[key], "digits", calm, {**meta, "spoken_key": key})
    if truncated:
        meta["truncated"] = True
    return _speech(speech, confidence, state, cfg.speech, meta)


def _digits(digits: str, state: CallState, cfg: VoiceConfig) -> Inbound:
    calm = replace(state, unusable=0, noise=0)
    entry = cfg.digit_entry.entry(state.mode) if state.mode != MENU else None
    if entry is not None:
        number = digits.rstrip("#")
        return Inbound(entry.payload(number), "digits", calm, {"input": "digits"})
    choice = cfg.keypad_menu.get(digits.rstrip("#"))
    if choice:
        return Inbound(choice, "menu", calm, {"input": "keypad", "key": digits})
    # A key outside the menu: let the dialogue see it (it answers "please repeat").
    return Inbound(digits, "digits", calm, {"input": "keypad", "key": digits})


def _speech(
    speech: str,
    confidence: Optional[float],
    state: CallState,
    rules: SpeechConfig,
    meta: dict[str, Any],
) -> Inbound:
    noise_level = confidence is not None and confidence < rules.noise_confidence
    if not noise_level and _asks_louder(speech, rules):
        louder = replace(state, loud=True, unusable=0, noise=0)
        return Inbound(TOO_QUIET_BOT, "too_quiet_bot", louder, meta)
    if confidence is None or confidence >= rules.min_confidence:
        return Inbound(speech, "speech", replace(state, unusable=0, noise=0), meta)
    unusable = replace(
        state, unusable=state.unusable + 1, noise=state.noise + 1 if noise_level else 0
    )
    meta["low_confidence"] = True
    if rules.noise_after and unusable.noise >= rules.noise_after:
        return Inbound(NOISY_LINE, "noisy_line", unusable, meta)
    if meaningful_chars(speech) <= rules.fragment_max_chars:
        return Inbound(LOW_VOLUME, "low_volume", unusable, meta)
    if rules.dialect_after and unusable.unusable >= rules.dialect_after:
        return Inbound(DIALECT, "dialect", unusable, meta)
    return Inbound(speech, "speech", unusable, meta)


def _asks_louder(speech: str, rules: SpeechConfig) -> bool:
    text = compact(speech)
    if not text or len(text) > rules.too_quiet_bot_max_chars:
        return False
    return any(compact(phrase) in text for phrase in rules.too_quiet_bot_phrases)
