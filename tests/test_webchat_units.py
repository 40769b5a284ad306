"""Web chat building blocks without a server: validation, limits, origins, history."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

from bot.config import hotline_config, settings
from channels.payloads import allowed, as_caller_text, button_payloads
from channels.webchat import protocol
from channels.webchat.config import WebchatConfig, load_webchat_config
from channels.webchat.gateway import WIDGET_PAYLOADS
from channels.webchat.history import control_event, visible_history
from channels.webchat.limits import SlidingWindowLimiter
from channels.webchat.origins import OriginPolicy, normalise_origin
from channels.webchat.protocol import Rejected, parse_session_id, parse_user_message
from channels.webchat.static_routes import STATIC_DIR, render_page

ROOT = Path(__file__).resolve().parent.parent
SID = uuid.uuid4().hex


# --- conversation ids ---------------------------------------------------------


def test_session_ids_are_random_uuids_in_canonical_form() -> None:
    value = uuid.uuid4()
    assert parse_session_id(str(value)) == value.hex
    assert parse_session_id(value.hex.upper()) == value.hex


@pytest.mark.parametrize(
    "value",
    [None, 42, "", "abc", "x" * 10_000, str(uuid.uuid1()), "../../etc/passwd",
     "00000000-0000-0000-0000-000000000000", {"id": 1}, ["a"], uuid.uuid4().hex + "0"],
)
def test_malformed_session_ids_are_rejected(value: object) -> None:
    with pytest.raises(Rejected) as caught:
        parse_session_id(value)
    assert caught.value.code == protocol.INVALID_SESSION_ID


def test_a_session_request_without_an_id_asks_for_a_new_conversation() -> None:
    assert protocol.requested_session_id(None) is None
    assert protocol.requested_session_id({}) is None
    assert protocol.requested_session_id({"session_id": None}) is None
    with pytest.raises(Rejected):
        protocol.requested_session_id("not a mapping")


# --- user messages -----------------------------------------------------------------


def test_a_valid_message_is_accepted_with_its_button_title() -> None:
    message = parse_user_message(
        {"message": "  /inform{\"rating\":\"5\"} ", "session_id": SID,
         "metadata": {"display_text": "5 非常满意", "channel": "phone"}},
        max_chars=2000,
    )
    assert message.text == '/inform{"rating":"5"}'
    assert message.display_text == "5 非常满意"
    assert message.session_id == SID


def test_metadata_may_be_a_json_string_as_in_rasas_socketio_channel() -> None:
    message = parse_user_message(
        {"message": "你好", "session_id": SID, "metadata": '{"display_text": "你好"}'}, 2000
    )
    assert message.display_text == "你好"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (None, protocol.INVALID_PAYLOAD),
        ("你好", protocol.INVALID_PAYLOAD),
        (["你好"], protocol.INVALID_PAYLOAD),
        ({"message": "你好"}, protocol.INVALID_SESSION_ID),
        ({"message": "你好", "session_id": "1" * 5000}, protocol.INVALID_SESSION_ID),
        ({"session_id": SID}, protocol.INVALID_MESSAGE),
        ({"message": 5, "session_id": SID}, protocol.INVALID_MESSAGE),
        ({"message": ["a"], "session_id": SID}, protocol.INVALID_MESSAGE),
        ({"message": {"text": "a"}, "session_id": SID}, protocol.INVALID_MESSAGE),
        ({"message": "   ", "session_id": SID}, protocol.EMPTY_MESSAGE),
        ({"message": "\x00\x01", "session_id": SID}, protocol.EMPTY_MESSAGE),
        ({"message": "好" * 2001, "session_id": SID}, protocol.TOO_LONG),
        ({"message": "你好", "session_id": SID, "metadata": "{not json"},
         protocol.INVALID_PAYLOAD),
        ({"message": "你好", "session_id": SID, "metadata": [1]}, protocol.INVALID_PAYLOAD),
    ],
)
def test_bad_messages_are_rejected_with_a_code(data: object, code: str) -> None:
    with pytest.raises(Rejected) as caught:
        parse_user_message(data, max_chars=2000)
    assert caught.value.code == code


def test_exactly_the_limit_is_accepted() -> None:
    assert len(parse_user_message({"message": "好" * 2000, "session_id": SID}, 2000).text) == 2000


def test_session_start_trigger_is_recognised() -> None:
    start = parse_user_message({"message": "/session_start", "session_id": SID}, 2000)
    assert start.is_session_start
    assert not parse_user_message({"message": "/greet", "session_id": SID}, 2000).is_session_start


# --- payloads: caller text is text ----------------------------------------------------


def test_only_offered_buttons_and_widget_events_are_payloads() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    offered = button_payloads(domain["responses"]) | WIDGET_PAYLOADS
    assert allowed('/inform{"rating":"5"}', offered)  # the survey's button, exactly
    assert allowed("/idle_timeout", offered)
    # the phone's and the console's events, and any payload with entities of one's own
    assert not allowed("/handoff_finished", offered)
    assert not allowed("/silence", offered)
    assert not allowed('/inform{"phone_number":"13800000000"}', offered)



def test_typed_slash_text_is_passed_on_as_text() -> None:
    assert as_caller_text('/inform{"phone_number":"13800000000"}') == (
        '／inform{"phone_number":"13800000000"}'
    )
    assert as_caller_text("  /silence") == "／silence"
    assert as_caller_text("我要投诉") == "我要投诉"


def test_a_button_payload_rides_beside_its_title() -> None:
    message = parse_user_message(
        {"message": "5 非常满意", "payload": '/inform{"rating":"5"}', "session_id": SID}, 2000
    )
    assert message.text == "5 非常满意"
    assert message.payload == '/inform{"rating":"5"}'
    with pytest.raises(Rejected):
        parse_user_message({"message": "x", "payload": 5, "session_id": SID}, 2000)


# --- flood control -----------------------------------------------------------------


def test_the_limiter_allows_five_a_second_per_key() -> None:
    now = [100.0]
    limiter = SlidingWindowLimiter(5, clock=lambda: now[0])
    assert all(limiter.allow("a") for _ in range(5))
    assert not limiter.allow("a")
    assert limiter.allow("b")
    now[0] += 1.0
    assert limiter.allow("a")
    limiter.forget("a")
    assert len(limiter) == 1


def test_the_limiter_forgets_idle_keys() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(1, clock=lambda: now[0])
    limiter.PRUNE_ABOVE = 3
    for key in "abcd":
        limiter.allow(key)
    now[0] = 5.0
    limiter.allow("e")
    assert len(limiter) == 1


# --- origins -------------------------------------------------------------------------


def test_same_origin_is_always_allowed_and_others_only_when_configured() -> None:
    environ = {"HTTP_HOST": "chat.example.com"}
    strict = OriginPolicy([], allow_localhost=False)
    assert strict("https://chat.example.com", environ)
    assert not strict("https://evil.example.net", environ)
    assert not strict("http://localhost:3000", environ)
    assert not strict("null", environ)
    assert strict(None, environ)  # not a browser: CORS does not apply

    development = OriginPolicy([], allow_localhost=True)
    assert development("http://localhost:3000", environ)
    assert development("http://127.0.0.1:8080", environ)

    configured = OriginPolicy(["https://shop.example.com/", "bad origin"], allow_localhost=False)
    assert configured("https://SHOP.example.com", environ)
    assert not configured("https://shop.example.com.evil.net", environ)
    assert OriginPolicy(["*"], allow_localhost=False)("https://any.example", environ)


def test_forwarded_host_counts_as_same_origin() -> None:
    policy = OriginPolicy([], allow_localhost=False)
    environ = {"HTTP_HOST": "10.0.0.5:5005", "HTTP_X_FORWARDED_HOST": "chat.example.com"}
    assert policy("https://chat.example.com", environ)


def test_normalised_origins() -> None:
    assert normalise_origin("HTTPS://Shop.Example.com:8443/") == "https://shop.example.com:8443"
    assert normalise_origin("ftp://x") is None
    assert normalise_origin("https://x/path") is None


def test_allowed_origins_come_from_the_environment() -> None:
    env = settings({"WEBCHAT_ALLOWED_ORIGINS": "https://a.example, https://b.example ,"})
    assert env.webchat_allowed_origins == ("https://a.example", "https://b.example")
    assert settings({}).webchat_allowed_origins == ()


# --- configuration -------------------------------------------------------------------


def test_configuration_comes_from_hotline_yml() -> None:
    config = load_webchat_config()
    raw = hotline_config()
    assert config.max_message_chars == raw.dialogue["max_message_chars"]
    assert config.idle_timeout_s == raw.dialogue["webchat_idle_timeout_s"]
    assert config.max_messages_per_second == raw.webchat["max_messages_per_second"]
    assert config.hotline_number == raw.company.hotline_number
    assert "2000" in config.refusal(protocol.TOO_LONG)
    assert config.hotline_number in config.refusal(protocol.UNAVAILABLE)
    public = config.public()
    assert "allowed_origins" not in public and "messages" not in public


def test_bad_configuration_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = yaml.safe_load((ROOT / "hotline.yml").read_text(encoding="utf-8"))
    raw["webchat"]["max_messages_per_second"] = 0
    path = tmp_path / "hotline.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("HOTLINE_CONFIG", str(path))
    with pytest.raises(Exception, match="max_messages_per_second"):
        load_webchat_config()


# --- history ---------------------------------------------------------------------------


def test_history_shows_what_the_visitor_saw_and_nothing_else() -> None:
    buttons = [{"title": "5 非常满意", "payload": '/inform{"rating":"5"}'}]
    events = [
        ActionExecuted("action_session_start", timestamp=1.0),
        SlotSet("company_name", "优品商城", timestamp=1.0),
        BotUttered("您好,欢迎光临", {}, timestamp=1.1),
        UserUttered("我要投诉", timestamp=2.0),
        BotUttered("第一段\n\n第二段", {}, timestamp=3.0),
        BotUttered(None, {"custom": {"hotline": {
            "event": "handoff", "reason": "angry", "priority": True, "ticket_id": "T1",
            "internal": "secret"}}}, timestamp=4.0),
        BotUttered(None, {"custom": {"other": 1}}, timestamp=4.1),
        BotUttered("请您评价", {"buttons": buttons}, timestamp=5.0),
        UserUttered('/inform{"rating":"5"}', metadata={"display_text": "5 非常满意"},
                    timestamp=6.0),
        UserUttered("/idle_timeout", metadata={"channel": "webchat"}, timestamp=7.0),
        BotUttered(None, {"custom": {"hotline": {"event": "end", "reason": "idle"}}},
                   timestamp=8.0),
    ]
    history = visible_history(events, limit=100)
    assert [(e["role"], e.get("text")) for e in history] == [
        ("bot", "您好,欢迎光临"),
        ("user", "我要投诉"),
        ("bot", "第一段"),
        ("bot", "第二段"),
        ("event", None),
        ("bot", "请您评价"),
        ("user", "5 非常满意"),
        ("event", None),
    ]
    assert history[4]["event"] == {
        "event": "handoff", "reason": "angry", "priority": True, "ticket_id": "T1"
    }
    assert history[5]["quick_replies"] == buttons
    assert history[-1]["event"]["event"] == "end"
    assert [e["timestamp"] for e in history] == sorted(e["timestamp"] for e in history)
    assert visible_history(events, limit=2) == history[-2:]


def test_control_events_are_recognised_strictly() -> None:
    assert control_event({"hotline": {"event": "handback"}}) == {"event": "handback"}
    assert control_event({"hotline": {"event": "explode"}}) is None
    assert control_event({"hotline": "end"}) is None
    assert control_event("end") is None
    assert control_event({"hotline": {"event": "end", "priority": "yes"}}) == {"event": "end"}


# --- the page and the widget ----------------------------------------------------------


def test_the_page_escapes_configured_values() -> None:
    config = WebchatConfig(title='<img src=x onerror="alert(1)">', hotline_number="400\"><b>")
    page = render_page(config, "/webchat")
    assert "<img" not in page and "<b>" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert 'src="/webchat/widget.js"' in page


def test_the_widget_never_renders_server_text_as_html() -> None:
    source = (STATIC_DIR / "widget.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source


def test_no_ui_text_contains_a_forbidden_phrase() -> None:
    """The service taboo phrases (HOTLINE_SPEC 6) are not in the widget or the refusals."""
    source = (STATIC_DIR / "widget.js").read_text(encoding="utf-8")
    ui_strings = re.findall(r'"([^"]*[\u4e00-\u9fff][^"]*)"', source)
    ui_strings += list(load_webchat_config().messages.values())
    assert ui_strings
    for phrase in hotline_config().forbidden_phrases:
        offending = [s for s in ui_strings if phrase in s]
        assert not offending, f"{phrase!r} in {offending}"
