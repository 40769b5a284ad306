"""TwiML rendering: one dialogue turn becomes what the caller hears next.

A turn ends in one of three ways:

- listening: the speech inside (barge-in) or before a `<Gather>` whose action
  URL carries the call state; in the keypad menu the Gather takes one key, while
  a number is being entered it collects digits up to `#`;
- ending (`end` control): the speech, a `<Pause>` (the control's
  `hangup_after_s` for the scripted endings — silent, noisy, quiet line, abuse —
  otherwise up to 10 s for the caller to hang up first), then a
  `<Redirect>` to the channel's hang-up URL, which answers `<Hangup/>` and
  records that the line was dropped by us — if the caller hangs up during the
  pause, that request never comes, which is how "who hung up first" is known;
- a hand-off (`handoff` control, see `channels.voice.handoff`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional, Union
from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather, Say, VoiceResponse

from bot.config.telephony import DigitEntry
from channels.voice.config import VoiceConfig
from channels.voice.messages import Control, Spoken
from channels.voice.state import MENU, CallState

Parent = Union[VoiceResponse, Gather]


@dataclass(frozen=True)
class Urls:
    """Absolute webhook URLs (the provider signs exactly these)."""

    base: str  # e.g. https://hotline.example.com/webhooks/phone

    def voice(self, state: CallState) -> str:
        return f"{self.base}/voice?{state.query()}"

    def handoff(self, state: CallState) -> str:
        return f"{self.base}/handoff?{state.query()}"

    def hangup(self, reason: str) -> str:
        return f"{self.base}/hangup?{urlencode({'reason': reason or 'end'})}"

    def whisper(self, query: str) -> str:
        return f"{self.base}/whisper?{query}"

    def status(self) -> str:
        return f"{self.base}/status"

    def outbound(self, query: str) -> str:
        return f"{self.base}/outbound?{query}"


def xml(response: VoiceResponse) -> str:
    return response.to_xml()


def add_spoken(parent: Parent, items: Iterable[Spoken], cfg: VoiceConfig, loud: bool) -> None:
    for index, item in enumerate(items):
        if index and cfg.pause_between_messages_s:
            parent.pause(length=cfg.pause_between_messages_s)
        if item.play_url:
            parent.play(item.play_url)
        elif item.text:
            parent.append(say(item.text, cfg, loud))


def say(text: str, cfg: VoiceConfig, loud: bool = False) -> Say:
    element = Say(voice=cfg.voice or None, language=cfg.language)
    if loud and cfg.louder_volume:
        element.prosody(text, volume=cfg.louder_volume)
    else:
        element.value = text
    return element


def gather(
    action: str, cfg: VoiceConfig, entry: Optional[DigitEntry], menu_digits: Optional[int] = None
) -> Gather:
    """A Gather posting to `action`: speech or a menu key, or (`entry`) a number's digits."""
    attrs: dict[str, object] = {
        "action": action,
        "method": "POST",
        "language": cfg.language,
        "speech_timeout": cfg.gather.speech_timeout,
        "action_on_empty_result": True,
        "profanity_filter": cfg.gather.profanity_filter,
    }
    if cfg.hints:
        attrs["hints"] = ",".join(cfg.hints)
    if cfg.gather.speech_model:
        attrs["speech_model"] = cfg.gather.speech_model
    if cfg.gather.enhanced:
        attrs["enhanced"] = True
    if entry is None:
        attrs.update(input="speech dtmf", timeout=cfg.gather.silence_timeout_s)
        if menu_digits:
            attrs["num_digits"] = menu_digits
    else:
        attrs.update(input="dtmf speech", timeout=entry.timeout_s,
                     finish_on_key=entry.finish_on_key or None)
        if entry.num_digits:
            attrs["num_digits"] = entry.num_digits
    return Gather(**attrs)


def render_prompt(
    spoken: Iterable[Spoken], action: str, cfg: VoiceConfig, loud: bool = False,
    entry: Optional[DigitEntry] = None, menu_digits: Optional[int] = None,
) -> str:
    """Speak, then listen, posting the answer to `action`."""
    response = VoiceResponse()
    listener = gather(action, cfg, entry, menu_digits)
    add_spoken(listener if cfg.barge_in else response, spoken, cfg, loud)
    response.append(listener)
    # Only reached if the provider ignores actionOnEmptyResult: same as an empty result.
    response.redirect(action, method="POST")
    return xml(response)


def render_listen(
    spoken: Iterable[Spoken], state: CallState, cfg: VoiceConfig, urls: Urls
) -> str:
    """A dialogue prompt; `state` is the state the next request will carry."""
    entry = cfg.digit_entry.entry(state.mode) if state.mode != MENU else None
    menu_digits = cfg.gather.menu_num_digits if cfg.keypad_menu else None
    return render_prompt(spoken, urls.voice(state), cfg, state.loud, entry, menu_digits)


def render_end(
    spoken: Iterable[Spoken], control: Control, state: CallState, cfg: VoiceConfig, urls: Urls
) -> str:
    response = VoiceResponse()
    add_spoken(response, spoken, cfg, state.loud)
    wait = control.hangup_after_s()
    if wait is None:  # a normal closing: the caller hangs up first
        scripted = control.reason in cfg.scripted_reasons
        wait = cfg.hangup_after_s if scripted else cfg.goodbye_wait_s
    if wait:
        response.pause(length=wait)
    response.redirect(urls.hangup(control.reason), method="POST")
    return xml(response)


def render_hangup() -> str:
    response = VoiceResponse()
    response.hangup()
    return xml(response)


def render_empty() -> str:
    return xml(VoiceResponse())


def render_text(lines: Iterable[str], cfg: VoiceConfig) -> str:
    """Speech only (e.g. the whisper to an agent), nothing else."""
    response = VoiceResponse()
    for line in lines:
        if line:
            response.append(say(line, cfg))
    return xml(response)
