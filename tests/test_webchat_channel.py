"""The web chat channel over real Socket.IO, with the scripted dev-server bot.

The real channel code (validation, limits, session start, history, origins)
runs in a real Sanic server process; only the bot behind it is the scripted
`ScriptedGateway` of channels/webchat/devserver.py, so these tests need no
trained model. The same protocol against the real Rasa stack is tested in
tests/test_webchat_stack.py.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import socketio

from channels.webchat import devserver
from channels.webchat.client import WebchatClient, controls, texts

ENGINEIO = "/webchat/socket.io/?EIO=4&transport=polling"


@pytest.fixture(scope="module")
def server(test_output_dir: Path) -> Iterator[str]:
    with devserver.running(log_path=test_output_dir / "webchat-devserver.log") as url:
        yield url


@pytest.fixture()
def chat(server: str) -> Iterator[WebchatClient]:
    with WebchatClient(server) as client:
        yield client


def test_the_opening_line_arrives_once(server: str) -> None:
    # How soon it arrives is a benchmark figure (bench/startup.py), not asserted here.
    with WebchatClient(server) as chat:
        ack = chat.open_session()
        assert ack["ok"] and len(ack["session_id"]) == 32 and ack["history"] == []
        assert chat.start() == {"ok": True, "started": True}
        opening = chat.next_message(timeout=30)
        assert opening["text"] == devserver.OPENING
        assert isinstance(opening["timestamp"], float)
        assert chat.confirmed == [ack["session_id"]]
        assert ack["config"]["max_message_chars"] == 2000
        assert chat.start() == {"ok": True, "started": False}
        assert chat.pending() == []


def test_a_reconnect_restores_the_history_without_a_second_opening(server: str) -> None:
    with WebchatClient(server) as first:
        first.open_session()
        first.start()
        first.say("你好")
        session_id = first.session_id
    with WebchatClient(server) as second:
        ack = second.open_session(session_id)
        assert ack["session_id"] == session_id
        assert [(e["role"], e["text"]) for e in ack["history"]] == [
            ("bot", devserver.OPENING), ("user", "你好"), ("bot", "您说的是:你好"),
        ]
        assert second.start() == {"ok": True, "started": False}
        assert second.pending() == []
        assert second.history()["history"] == ack["history"]


def test_a_button_click_is_restored_as_its_title(chat: WebchatClient, server: str) -> None:
    chat.open_session()
    chat.start()
    chat.say("评价")
    assert chat.say("5 非常满意", display_text="5 非常满意",
                    payload='/inform{"rating":"5"}') == {"ok": True}
    with WebchatClient(server) as again:
        history = again.open_session(chat.session_id)["history"]
    assert [e.get("text") for e in history if e["role"] == "user"] == ["评价", "5 非常满意"]
    assert history[2]["quick_replies"][0]["title"] == "5 非常满意"


def test_history_is_only_given_for_the_sockets_own_conversation(
    chat: WebchatClient, server: str
) -> None:
    chat.open_session()
    chat.start()
    with WebchatClient(server) as other:
        other.open_session()
        other.start()
        other.pending()
        stranger = uuid.uuid4().hex
        assert other.call("history_request", {"session_id": chat.session_id})["ok"] is False
        refused = other.call(
            "user_uttered", {"message": "hi", "session_id": chat.session_id}
        )
        assert refused["error"] == "invalid_session_id"
        assert other.call("history_request", {"session_id": stranger})["ok"] is False
    assert texts(chat.pending()) == [devserver.OPENING]  # nothing leaked into it


def test_a_socket_must_ask_for_a_session_first(chat: WebchatClient) -> None:
    chat.session_id = uuid.uuid4().hex
    assert chat.say("你好")["error"] == "invalid_session_id"
    assert chat.call("session_start", {})["error"] == "invalid_session_id"
    assert chat.call("history_request", None)["error"] == "invalid_session_id"


@pytest.mark.parametrize(
    "bad_id",
    ["x" * 20_000, "not-a-uuid", 12345, ["a"], {"$ne": None}, str(uuid.uuid1())],
    ids=["huge", "text", "number", "list", "object", "uuid1"],
)
def test_malformed_session_ids_are_refused(chat: WebchatClient, bad_id: object) -> None:
    ack = chat.call("session_request", {"session_id": bad_id})
    assert ack["ok"] is False and ack["error"] == "invalid_session_id"
    assert chat.confirmed == []
    assert chat.open_session()["ok"]  # the connection is still fine


def test_an_over_long_message_is_refused_politely(chat: WebchatClient) -> None:
    chat.open_session()
    chat.start()
    chat.pending()
    ack = chat.say("好" * 2001)
    assert ack["ok"] is False and ack["error"] == "too_long"
    assert "2000" in ack["message"] and ack["message"].startswith("对不起")
    notice = chat.next_message()
    assert notice["system"] is True and notice["text"] == ack["message"]
    assert chat.say("好" * 2000) == {"ok": True}


@pytest.fixture(scope="module")
def stepped_server(test_output_dir: Path) -> Iterator[str]:
    """A dev server whose flood limits run on a clock the test moves (`--manual-clock`)."""
    with devserver.running(["--manual-clock"],
                           log_path=test_output_dir / "webchat-devserver-clock.log") as url:
        yield url


def advance_clock(server: str, seconds: float) -> None:
    moved = requests.post(f"{server}/dev/clock", json={"advance_s": seconds}, timeout=10)
    assert moved.status_code == 200, moved.text


def test_a_flood_is_refused_politely_and_then_allowed_again(stepped_server: str) -> None:
    """Twelve messages in the same instant of the limiter's clock (it stands still until
    the test moves it): exactly five are taken, whatever the machine's speed."""
    with WebchatClient(stepped_server) as chat:
        chat.open_session()
        chat.start()
        acks: list[dict] = []
        done = threading.Event()

        def collect(ack: dict) -> None:
            acks.append(ack)
            if len(acks) == 12:
                done.set()

        for i in range(12):
            chat.sio.emit("user_uttered", {"message": f"第{i}条", "session_id": chat.session_id},
                          callback=collect)
        assert done.wait(30), f"only {len(acks)} of 12 acknowledgements within 30 s"
        assert sum(a["ok"] for a in acks) == 5
        refused = [a for a in acks if not a["ok"]]
        assert {a["error"] for a in refused} == {"rate_limited"}
        assert "每秒最多 5 条" in refused[0]["message"]
        answered = texts(chat.pending())
        assert answered[0] == devserver.OPENING and len(answered) == 1 + 5
        still = chat.say("还是同一秒")
        assert still["ok"] is False and still["error"] == "rate_limited"
        advance_clock(stepped_server, 1.0)  # the one-second window has passed
        assert chat.say("现在可以了吗") == {"ok": True}


@pytest.mark.parametrize(
    "payload",
    [None, "你好", 42, ["你好"], {"message": None}, {"message": ["a"]}, {"message": {"a": 1}},
     {"message": "你好", "metadata": "{broken"}, {"message": "你好", "metadata": 7},
     {"message": "你好", "session_id": {"a": 1}}, {"message": "\u0000"}],
    ids=lambda payload: type(payload).__name__ + ":" + str(payload)[:30],
)
def test_malformed_payloads_are_refused_without_crashing(
    chat: WebchatClient, payload: object
) -> None:
    chat.open_session()
    if isinstance(payload, dict) and "session_id" not in payload:
        payload = {**payload, "session_id": chat.session_id}
    ack = chat.call("user_uttered", payload)
    assert ack["ok"] is False and ack["message"].startswith("对不起")
    assert chat.say("你好") == {"ok": True}


def test_a_huge_packet_drops_only_that_connection(server: str) -> None:
    with WebchatClient(server) as chat:
        chat.open_session()
        with pytest.raises((socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError,
                            socketio.exceptions.DisconnectedError)):
            chat.call("user_uttered", {"message": "好" * 200_000, "session_id": chat.session_id},
                      timeout=5)
    with WebchatClient(server) as fresh:
        assert fresh.open_session()["ok"]


def test_typed_slash_commands_are_text_and_only_offered_payloads_are_taken(
    chat: WebchatClient,
) -> None:
    chat.open_session()
    chat.start()
    chat.pending()
    chat.say("/handoff_finished")  # typed: the caller's text, never the console's event
    assert texts(chat.pending()) == ["您说的是:／handoff_finished"]
    refused = chat.say("转人工", payload="/handoff_finished")  # a payload nobody offered
    assert refused["ok"] is False and refused["error"] == "invalid_payload"
    chat.pending()  # the refusal notice
    assert chat.say("/session_start") == {"ok": True, "started": False}
    assert chat.pending() == []  # no second opening line


def test_control_events_reach_the_browser_as_custom_json(chat: WebchatClient) -> None:
    chat.open_session()
    chat.start()
    chat.say("转人工")
    events = controls(chat.pending())
    assert events == [{"event": "handoff", "reason": "request_human", "priority": False,
                       "ticket_id": "T-DEV-1"}]


def test_only_allowed_origins_may_connect(server: str) -> None:
    port = server.rsplit(":", 1)[1]
    evil = requests.get(server + ENGINEIO, headers={"Origin": "https://evil.example"}, timeout=5)
    assert evil.status_code == 400
    same = requests.get(server + ENGINEIO, headers={"Origin": server}, timeout=5)
    assert same.status_code == 200
    local = requests.get(server + ENGINEIO, headers={"Origin": "http://localhost:3000"}, timeout=5)
    assert local.status_code == 200, "localhost is allowed in development"
    assert port


def test_the_page_and_widget_are_served_by_the_server(server: str) -> None:
    page = requests.get(f"{server}/webchat/", timeout=5)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert 'data-mode="fullpage"' in page.text and "400-800-1234" in page.text
    widget = requests.get(f"{server}/webchat/widget.js", timeout=5)
    assert widget.status_code == 200 and "javascript" in widget.headers["content-type"]
    assert widget.headers["x-content-type-options"] == "nosniff"
    css = requests.get(f"{server}/webchat/widget.css", timeout=5)
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    assert requests.get(f"{server}/webchat/../bot/config.py", timeout=5).status_code == 404
