"""The foundation end to end: a real model, Rasa, action server and Redis.

A conversation through the REST channel opens with the standard opening line
and closes with the closing line; its tracker is in Redis; the HTTP API needs
the token; bad requests get a clear 4xx.
"""

from __future__ import annotations

import uuid

import pytest
import redis
import requests

from bot.config import hotline_config
from tests.stack import Stack

pytestmark = pytest.mark.stack


def texts(messages: list[dict]) -> list[str]:
    return [m["text"] for m in messages if m.get("text")]


def opening_line() -> str:
    company = hotline_config().company
    return (
        f"您好,欢迎光临{company.name}在线客服,客服代表{company.assistant_name}"
        "很高兴为您服务,请问有什么可以帮助您!"
    )


def test_conversation_opens_with_the_opening_line_and_closes_with_the_closing_line(
    rasa_stack: Stack,
) -> None:
    sender = f"foundation-{uuid.uuid4().hex[:8]}"
    first = texts(rasa_stack.say(sender, "你好"))
    assert first[0] == opening_line()
    closing = texts(rasa_stack.say(sender, "好的,再见"))
    assert closing[-1] == "很高兴为您服务,再见!"


def test_the_conversation_is_stored_in_redis(rasa_stack: Stack) -> None:
    sender = f"stored-{uuid.uuid4().hex[:8]}"
    rasa_stack.say(sender, "你好")
    client = redis.Redis.from_url(rasa_stack.redis_url)
    assert client.exists(f"hotline:tracker:{sender}") == 1
    tracker = rasa_stack.tracker(sender)
    assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == ["你好"]


def test_the_http_api_refuses_calls_without_the_token(rasa_stack: Stack) -> None:
    url = f"{rasa_stack.rasa_url}/conversations/anyone/tracker"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, params={"token": "wrong"}, timeout=10).status_code == 401
    assert requests.get(url, params={"token": rasa_stack.token}, timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b'{"message": "\xe4\xbd\xa0\xe5\xa5\xbd"}', 400),
        (b'{"sender": "a"}', 400),
        (b'{"sender": "a", "message": ""}', 400),
        (b'{"sender": "a", "message": "   \\n "}', 400),
        (b'{"sender": "a", "message": 42}', 400),
        (b'{"sender": 42, "message": "hi"}', 400),
        (b'{"sender": "' + b"x" * 500 + b'", "message": "hi"}', 400),
        (b'{"sender": "a", "message": "' + "好".encode() * 2001 + b'"}', 413),
        (b"\xff\xfe\xfa", 400),
    ],
)
def test_bad_requests_get_a_clear_4xx(rasa_stack: Stack, body: bytes, status: int) -> None:
    response = requests.post(
        f"{rasa_stack.rasa_url}/webhooks/rest/webhook", data=body,
        headers={"Content-Type": "application/json"}, timeout=30,
    )
    assert response.status_code == status
    assert "error" in response.json()


def test_a_message_of_exactly_2000_characters_is_answered(rasa_stack: Stack) -> None:
    messages = rasa_stack.say(f"long-{uuid.uuid4().hex[:8]}", "好" * 2000)
    assert texts(messages), "a long but allowed message still gets an answer"
