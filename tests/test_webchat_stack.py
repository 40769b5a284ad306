"""The web chat protocol against the real stack (Rasa, action server, Redis).

Real python-socketio client, real Rasa server started with credentials.yml:
the opening line once per session; history restored from the Redis tracker;
refusals of over-long messages and floods; malformed payloads that do not crash
anything. Nothing here asserts how fast: the opening line's latency is a figure of
bench/startup.py, and "nothing more arrived" is checked with a round trip
(WebchatClient.pending), not a wait.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from bot.config import hotline_config
from channels.webchat.client import WebchatClient, controls, texts
from tests.stack import Stack

pytestmark = pytest.mark.stack


def opening_line() -> str:
    company = hotline_config().company
    return (
        f"您好,欢迎光临{company.name}在线客服,客服代表{company.assistant_name}"
        "很高兴为您服务,请问有什么可以帮助您!"
    )


def new_chat(stack: Stack) -> WebchatClient:
    chat = WebchatClient(stack.rasa_url).connect()
    assert chat.open_session()["ok"]
    return chat


def test_the_opening_line_arrives_once_on_connecting(rasa_stack: Stack) -> None:
    with WebchatClient(rasa_stack.rasa_url) as chat:
        ack = chat.open_session()
        assert ack["ok"] and ack["history"] == []
        assert chat.start() == {"ok": True, "started": True}
        first = chat.next_message(timeout=30)
        assert first["text"] == opening_line()
        assert texts(chat.pending()) == []
        tracker = rasa_stack.tracker(chat.session_id)
        assert tracker["slots"]["channel"] == "webchat"


def test_a_reconnect_with_the_same_id_restores_history_without_a_second_opening(
    rasa_stack: Stack,
) -> None:
    with new_chat(rasa_stack) as first:
        first.start()
        first.next_message(timeout=30)
        assert first.say("你好") == {"ok": True}
        replies = texts(first.pending())
        assert replies
        session_id = first.session_id

    with WebchatClient(rasa_stack.rasa_url) as again:
        ack = again.open_session(session_id)
        assert ack["session_id"] == session_id
        history = ack["history"]
        assert [(e["role"], e["text"]) for e in history] == (
            [("bot", opening_line()), ("user", "你好")] + [("bot", text) for text in replies]
        )
        stamps = [e["timestamp"] for e in history]
        assert stamps == sorted(stamps) and stamps[-1] <= time.time()
        assert again.start() == {"ok": True, "started": False}
        assert again.call("user_uttered", {"message": "/session_start",
                                           "session_id": session_id})["started"] is False
        assert again.pending() == []  # no second opening line
        assert again.history()["history"] == history


def test_history_is_not_given_for_someone_elses_conversation(rasa_stack: Stack) -> None:
    with new_chat(rasa_stack) as owner, new_chat(rasa_stack) as stranger:
        owner.start()
        assert stranger.call("history_request", {"session_id": owner.session_id})["ok"] is False
        refused = stranger.call("user_uttered", {"message": "你好",
                                                 "session_id": owner.session_id})
        assert refused["error"] == "invalid_session_id"


def test_an_over_long_message_is_refused_politely_and_not_processed(rasa_stack: Stack) -> None:
    with new_chat(rasa_stack) as chat:
        chat.start()
        chat.pending()
        ack = chat.say("请" * 2001)
        assert ack["ok"] is False and ack["error"] == "too_long"
        assert ack["message"].startswith("对不起") and "2000" in ack["message"]
        assert chat.next_message()["system"] is True
        events = rasa_stack.tracker(chat.session_id)["events"]
        assert not [e for e in events if e["event"] == "user"]


def test_a_flood_is_refused_politely_and_refused_messages_are_not_processed(
    rasa_stack: Stack,
) -> None:
    """Ten messages at once. How many of them fall in one second of the server's clock
    depends on the machine's speed, so the exact count (five) is the dev server's test on
    a stepped clock (tests/test_webchat_channel.py). Here, whatever the speed: the first
    five are always taken, every other one is taken or refused as rate-limited with the
    polite line, and the tracker holds exactly the messages taken."""
    with new_chat(rasa_stack) as chat:
        chat.start()
        acks: list[dict] = []
        done = threading.Event()

        def collect(ack: dict) -> None:
            acks.append(ack)
            if len(acks) == 10:
                done.set()

        for _ in range(10):
            chat.sio.emit("user_uttered", {"message": "你好", "session_id": chat.session_id},
                          callback=collect)
        assert done.wait(60), f"only {len(acks)} of 10 acknowledgements within 60 s"
        taken = sum(a["ok"] for a in acks)
        assert taken >= 5
        refusals = [a for a in acks if not a["ok"]]
        assert {a["error"] for a in refusals} <= {"rate_limited"}
        assert all("每秒最多 5 条" in a["message"] for a in refusals), refusals
        events = rasa_stack.tracker(chat.session_id)["events"]
        assert len([e for e in events if e["event"] == "user"]) == taken


@pytest.mark.parametrize(
    "payload",
    [None, "你好", 7, ["你好"], {"message": None}, {"message": {"text": "你好"}},
     {"message": "你好", "session_id": "x" * 20_000}, {"message": "你好", "metadata": "{"},
     {"message": "/inform{not json"}],
    ids=["none", "string", "number", "list", "null-message", "object-message", "huge-id",
         "bad-metadata", "bad-trigger"],
)
def test_malformed_payloads_do_not_crash_anything(rasa_stack: Stack, payload: object) -> None:
    with new_chat(rasa_stack) as chat:
        chat.start()
        chat.next_message(timeout=30)
        if isinstance(payload, dict) and "session_id" not in payload:
            payload = {**payload, "session_id": chat.session_id}
        ack = chat.call("user_uttered", payload)
        assert isinstance(ack, dict)
        chat.pending()
        assert chat.connected
        assert chat.say("你好") == {"ok": True}
        assert texts(chat.pending()), "the bot still answers"


def test_malformed_session_requests_are_refused(rasa_stack: Stack) -> None:
    with WebchatClient(rasa_stack.rasa_url) as chat:
        for bad in ("x" * 20_000, "../../tracker", 42, str(uuid.uuid1())):
            ack = chat.call("session_request", {"session_id": bad})
            assert ack["ok"] is False and ack["error"] == "invalid_session_id"
        assert chat.open_session()["ok"]


def test_an_idle_chat_gets_the_idle_closing_and_ends(rasa_stack: Stack) -> None:
    with new_chat(rasa_stack) as chat:
        chat.start()
        chat.next_message(timeout=30)
        assert chat.say("idle", payload="/idle_timeout") == {"ok": True}
        messages = chat.pending()
        assert texts(messages) == [
            "您好,由于您长时间没有回复,本次会话将结束。很高兴为您服务,再见!"
        ]
        assert [c["event"] for c in controls(messages)] == ["end"]
        history = chat.history()["history"]
        assert history[-1]["role"] == "event" and history[-1]["event"]["event"] == "end"
        assert all(e.get("text") != "/idle_timeout" for e in history)


def test_agent_only_triggers_cannot_be_typed(rasa_stack: Stack) -> None:
    with new_chat(rasa_stack) as chat:
        chat.start()
        chat.say("/handoff_finished")
        chat.say('/inform{"phone_number":"13800000000"}')
        chat.pending()
        events = rasa_stack.tracker(chat.session_id)["events"]
        user = [e for e in events if e["event"] == "user"]
        assert user[-2]["text"] == "／handoff_finished"
        assert user[-2]["parse_data"]["intent"]["name"] != "handoff_finished"
        # typed entities are words for NLU, never slot values
        assert user[-1]["parse_data"]["intent"]["name"] != "inform" or not any(
            e.get("extractor") == "RegexMessageHandler" for e in user[-1]["parse_data"]["entities"]
        )
        assert rasa_stack.tracker(chat.session_id)["slots"]["phone_number"] is None
        refused = chat.say("转人工", payload="/handoff_finished")
        assert refused["ok"] is False and refused["error"] == "invalid_payload"
