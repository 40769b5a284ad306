"""Telephony channel, caller side: what a Gather result means for the dialogue."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl

import pytest

from bot.config import ConfigError
from channels.voice.config import VoiceConfig
from channels.voice.inbound import classify
from channels.voice.state import MENU, CallState
from channels.voice.text import sanitize_speech, voice_text

ENV = {"TWILIO_AUTH_TOKEN": "test-token", "PUBLIC_BASE_URL": "https://hotline.example.com"}


@pytest.fixture(scope="module")
def cfg() -> VoiceConfig:
    return VoiceConfig.load({}, env=ENV)


def speech(text: str, confidence: float | None = 0.9) -> dict[str, str]:
    params = {"CallSid": "CA1", "SpeechResult": text}
    if confidence is not None:
        params["Confidence"] = str(confidence)
    return params


def test_nothing_heard_is_silence(cfg: VoiceConfig) -> None:
    for params in ({"CallSid": "CA1"}, speech("  "), {"CallSid": "CA1", "Digits": ""}):
        result = classify(params, CallState(turn=2), cfg)
        assert (result.text, result.kind) == ("/silence", "silence")


def test_clear_speech_goes_to_the_dialogue_and_resets_streaks(cfg: VoiceConfig) -> None:
    result = classify(speech("我要投诉你们的送货员"), CallState(turn=2, unusable=1, noise=1), cfg)
    assert result.text == "我要投诉你们的送货员"
    assert (result.state.unusable, result.state.noise) == (0, 0)
    assert result.metadata["speech_confidence"] == pytest.approx(0.9)


def test_speech_cannot_pose_as_an_intent_payload(cfg: VoiceConfig) -> None:
    assert classify(speech("/request_human"), CallState(turn=1), cfg).text == "request_human"


def test_oversized_speech_is_truncated(cfg: VoiceConfig) -> None:
    result = classify(speech("投诉" * 1000), CallState(turn=1), cfg)
    assert len(result.text) == cfg.speech.max_chars
    assert result.metadata["truncated"] is True


def test_keypad_menu_keys_become_intent_payloads(cfg: VoiceConfig) -> None:
    assert classify({"Digits": "1"}, CallState(turn=1), cfg).text == "/order_status"
    assert classify({"Digits": "2"}, CallState(turn=1), cfg).text == "/complaint"
    zero = classify({"Digits": "0"}, CallState(turn=1), cfg)
    assert (zero.text, zero.kind) == ("/request_human", "menu")


def test_a_key_outside_the_menu_is_passed_on(cfg: VoiceConfig) -> None:
    result = classify({"Digits": "7"}, CallState(turn=1), cfg)
    assert (result.text, result.kind) == ("7", "digits")


def test_digits_of_a_number_are_sent_as_text(cfg: VoiceConfig) -> None:
    state = CallState(turn=3, mode="slot:phone_number")
    result = classify({"Digits": "13912345678#"}, state, cfg)
    assert (result.text, result.kind) == ("13912345678", "digits")
    # a 1 while entering a number is a digit, not the menu's order status
    assert classify({"Digits": "1"}, state, cfg).text == "1"


def test_rating_keys_use_the_configured_payload(cfg: VoiceConfig) -> None:
    state = CallState(turn=5, mode="response:utter_ask_satisfaction")
    assert classify({"Digits": "5"}, state, cfg).text == '/inform{"rating":"5"}'


@pytest.mark.parametrize(("said", "meant"), [
    ("1", "/affirm"), ("一", "/affirm"), ("幺", "/affirm"), ("按1", "/affirm"),
    ("按一号键", "/affirm"), ("二。", "/deny"), ("我按2", "/deny")])
def test_a_key_said_at_the_read_back_is_the_key(cfg: VoiceConfig, said: str,
                                                meant: str) -> None:
    state = CallState(turn=4, mode="slot:phone_confirmed")
    result = classify(speech(said), state, cfg)
    assert (result.text, result.kind, result.metadata["input"]) == (meant, "digits", "speech")


def test_a_number_or_a_sentence_at_the_read_back_stays_speech(cfg: VoiceConfig) -> None:
    state = CallState(turn=4, mode="slot:phone_confirmed")
    for said in ("对的", "不对，是13912345678", "一二三", "3"):
        assert classify(speech(said), state, cfg).kind == "speech"
    # outside a prompt with keys, a spoken digit is speech (the menu's 1 is no order status)
    assert classify(speech("1"), CallState(turn=1), cfg).kind == "speech"


def test_only_keys_and_digits_survive(cfg: VoiceConfig) -> None:
    state = CallState(turn=3, mode="slot:phone_number")
    assert classify({"Digits": "13a9<x>"}, state, cfg).text == "139"


def test_low_confidence_fragment_is_low_volume(cfg: VoiceConfig) -> None:
    result = classify(speech("嗯啊", 0.3), CallState(turn=2), cfg)
    assert (result.text, result.state.unusable) == ("/low_volume", 1)
    again = classify(speech("喂", 0.2), result.state, cfg)
    assert (again.text, again.state.unusable) == ("/low_volume", 2)


def test_repeated_unusable_long_speech_is_dialect(cfg: VoiceConfig) -> None:
    first = classify(speech("侬好伐我要问问看迭个事体", 0.3), CallState(turn=2), cfg)
    assert first.text == "侬好伐我要问问看迭个事体"  # one bad result: the NLU gets a chance
    second = classify(speech("阿拉屋里厢个冰箱坏脱了", 0.25), first.state, cfg)
    assert second.text == "/dialect"
    third = classify(speech("侬听得懂伐我讲个闲话", 0.3), second.state, cfg)
    assert third.text == "/dialect"  # consecutive, so the dialogue's ladder escalates
    clear = classify(speech("我要投诉", 0.9), third.state, cfg)
    assert clear.text == "我要投诉" and clear.state.unusable == 0


def test_noise_level_results_in_a_row_are_a_noisy_line(cfg: VoiceConfig) -> None:
    state = CallState(turn=2)
    texts = []
    for _ in range(cfg.speech.noise_after):
        result = classify(speech("沙沙沙沙沙沙沙", 0.05), state, cfg)
        texts.append(result.text)
        state = result.state
    assert texts[-1] == "/noisy_line"
    assert "/noisy_line" not in texts[:-1]


def test_caller_saying_we_are_too_quiet_makes_us_louder(cfg: VoiceConfig) -> None:
    result = classify(speech("听不清,大声点"), CallState(turn=2), cfg)
    assert (result.text, result.state.loud) == ("/too_quiet_bot", True)
    assert classify(speech("好的"), result.state, cfg).state.loud is True
    # a long complaint that mentions it is not the event
    long = "我上次打电话的时候你们客服说话我听不清楚,后来就挂了,到现在也没人处理"
    assert classify(speech(long), CallState(turn=2), cfg).text == long


def test_thresholds_are_configurable(cfg: VoiceConfig) -> None:
    strict = replace(cfg, speech=replace(cfg.speech, min_confidence=0.95))
    assert classify(speech("嗯", 0.9), CallState(turn=1), strict).text == "/low_volume"
    lax = replace(cfg, speech=replace(cfg.speech, min_confidence=0.1, noise_after=0))
    assert classify(speech("嗯", 0.2), CallState(turn=1), lax).text == "嗯"


def test_missing_or_bad_confidence_counts_as_usable(cfg: VoiceConfig) -> None:
    assert classify(speech("查订单", None), CallState(turn=1), cfg).text == "查订单"
    params = {**speech("查订单"), "Confidence": "abc"}
    assert classify(params, CallState(turn=1), cfg).text == "查订单"


def test_call_state_round_trips_through_the_url() -> None:
    state = CallState(turn=7, mode="slot:phone_number", unusable=2, noise=1, loud=True, errors=1)
    assert CallState.from_query(dict(parse_qsl(state.query()))) == state
    assert CallState.from_query({}) == CallState()
    assert CallState.from_query({"t": "x", "u": "-5"}) == CallState(mode=MENU)


def test_voice_text_strips_emoji_links_and_markup_but_not_chinese() -> None:
    text = "您好😀!请查看 [订单详情](https://shop.example.com/o/1) 或 https://x.cn/a 👍🏻 **谢谢**"
    assert voice_text(text) == "您好!请查看 订单详情 或 谢谢"
    assert voice_text("对不起,请您讲普通话,好吗?谢谢!") == "对不起,请您讲普通话,好吗?谢谢!"


def test_sanitize_speech_drops_control_characters() -> None:
    assert sanitize_speech("查\x00订\u200b单", 10) == ("查订单", False)


def test_production_refuses_weak_tokens_and_unsigned_webhooks() -> None:
    production = {**ENV, "HOTLINE_ENV": "production"}
    with pytest.raises(ConfigError):
        VoiceConfig.load({}, env=production)  # a short token
    strong = {**production, "TWILIO_AUTH_TOKEN": "a-long-and-random-auth-token"}
    assert VoiceConfig.load({}, env=strong).validate_signatures is True
    with pytest.raises(ConfigError):
        VoiceConfig.load({"validate_signatures": "false"}, env=strong)
    assert VoiceConfig.load({"validate_signatures": "false"}, env=ENV).validate_signatures is False


def test_credentials_expand_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICE_TEST_TOKEN", "from-the-environment")
    loaded = VoiceConfig.load({"auth_token": "${VOICE_TEST_TOKEN}"}, env=ENV)
    assert loaded.auth_token == "from-the-environment"
    with pytest.raises(ConfigError):
        VoiceConfig.load({"auth_token": "${VOICE_TEST_UNSET_VARIABLE}"}, env=ENV)
