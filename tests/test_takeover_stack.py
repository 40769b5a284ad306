"""Web-chat take-over against the real stack: Rasa, action server, Redis, the console process.

A scripted web chat (real Socket.IO client) asks for a person; an agent takes it over in
the console (real HTTP, logged in, CSRF); the agent's lines reach the customer's socket live,
the customer's messages reach the tracker while the bot stays silent, a second agent is
refused, a forbidden phrase is refused, a reconnect restores the agent's lines, and the
hand-back makes the bot ask the satisfaction question and say the closing line. The
transcript names the agent and the script audit of the conversation passes.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
import requests

from bot.config import hotline_config
from channels.webchat.client import WebchatClient, controls, texts
from launcher.services import Ports, console
from tests.stack import Stack
from tests.support.console import CONSOLE_SECRET, add_user, csrf_of, login
from tests.support.processes import free_port, wait_until

pytestmark = pytest.mark.stack
ROOT = Path(__file__).resolve().parent.parent
AGENTS = {"wang": "wang-pass-1", "li": "li-pass-22"}
SUPERVISOR_PASSWORD = "zhao-pass-333"
HANDOFF_LINE = "好的,正在为您转接人工客服,请稍等。"
RETURNED_LINE = "人工客服已为您处理完毕,感谢您的耐心。"
SURVEY_LINE = "请您对本次服务做个评价,1 分到 5 分,5 分为非常满意。"
WEB_CLOSING = "很高兴为您服务,再见!"


@contextmanager
def console_for(stack: Stack, log_path: Path) -> Iterator[str]:
    """The console as `make run` starts it, pointed at the stack's Rasa API and Redis."""
    service = console(Ports(console=free_port()))
    env = {**os.environ, "REDIS_URL": stack.redis_url, "CONSOLE_SECRET": CONSOLE_SECRET,
           "RASA_URL": stack.rasa_url, "RASA_TOKEN": stack.token,
           "PYTHONPATH": str(ROOT), "SANIC_REGISTER": "false"}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(service.args, cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        if not wait_until(lambda: requests.get(service.health_url, timeout=2).ok, timeout=60):
            raise RuntimeError(f"console did not start; see {log_path}")
        yield service.health_url.rsplit("/", 1)[0]
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def console_url(rasa_stack: Stack, test_output_dir: Path) -> Iterator[str]:
    for name, password in AGENTS.items():
        add_user(rasa_stack.redis_url, name, "agent", password)
    add_user(rasa_stack.redis_url, "zhao", "supervisor", SUPERVISOR_PASSWORD)
    with console_for(rasa_stack, test_output_dir / "logs" / "console-takeover.log") as url:
        yield url


def agent_session(url: str, name: str) -> requests.Session:
    return login(url, name, AGENTS[name])


def handed_off_chat(stack: Stack) -> WebchatClient:
    """A web chat that asked for a person: opening line, `转人工`, the hand-off notice."""
    chat = WebchatClient(stack.rasa_url).connect()
    assert chat.open_session()["ok"]
    assert chat.start()["started"] is True
    chat.next_message(timeout=5)  # the opening line
    assert chat.say("转人工") == {"ok": True}
    messages = chat.pending()  # the answer came before the acknowledgement
    assert HANDOFF_LINE in texts(messages)
    assert [c["event"] for c in controls(messages)] == ["handoff"]
    return chat


def csrf(session: requests.Session, url: str, cid: str) -> str:
    page = session.get(f"{url}/takeover/{cid}", timeout=10)
    assert page.status_code == 200, page.text[:300]
    return csrf_of(page.text)


def claim(session: requests.Session, url: str, cid: str) -> requests.Response:
    return session.post(f"{url}/takeover/{cid}/claim", data={"csrf": csrf(session, url, cid)},
                        timeout=60)


def send(session: requests.Session, url: str, cid: str, text: str) -> requests.Response:
    return session.post(f"{url}/api/takeover/{cid}/messages",
                        data={"csrf": csrf(session, url, cid), "text": text}, timeout=60)


def events_of(stack: Stack, cid: str) -> list[dict]:
    return stack.tracker(cid)["events"]


def test_an_agent_takes_over_a_web_chat_and_hands_it_back(
    rasa_stack: Stack, console_url: str
) -> None:
    chat = handed_off_chat(rasa_stack)
    cid = chat.session_id
    assert cid
    wang, li = agent_session(console_url, "wang"), agent_session(console_url, "li")
    try:
        # wang takes it over: the bot pauses, the customer is told who joined
        taken = claim(wang, console_url, cid)
        assert taken.status_code == 200 and taken.url.endswith(f"/takeover/{cid}")
        assert "您正在接管此会话" in taken.text
        joined = controls(chat.wait_for(controls))  # pushed by the console, not a turn
        assert joined == [{"event": "takeover", "agent": "wang"}]
        assert any(e["event"] == "pause" for e in events_of(rasa_stack, cid))
        assert redis.Redis.from_url(rasa_stack.redis_url).zscore(
            "hotline:handoffs:waiting", cid) is None  # off the waiting queue

        # li cannot take it over, nor speak in it
        refused = claim(li, console_url, cid)
        assert refused.status_code == 409 and "该会话已由 wang 接管" in refused.text
        assert send(li, console_url, cid, "您好").status_code == 409

        # wang's line reaches the customer's socket live, labelled with the agent
        line = "您好,我是人工客服,请问您的订单号是多少?"
        sent = send(wang, console_url, cid, line)
        assert sent.status_code == 200 and sent.json() == {"ok": True, "text": line}
        received = chat.next_message(timeout=30)
        assert received["text"] == line and received["agent"] == "wang"

        # a forbidden phrase is refused before it reaches anybody
        phrase = hotline_config().forbidden_phrases[0]
        bad = send(wang, console_url, cid, f"{phrase},请您快点")
        assert bad.status_code == 422
        assert bad.json()["error"] == "forbidden_phrase" and phrase in bad.json()["message"]
        assert chat.pending() == []  # refused before anything was pushed
        assert not [e for e in events_of(rasa_stack, cid) if phrase in (e.get("text") or "")]

        # the customer's message reaches the tracker (and the agent's live view); the bot is
        # silent
        before = len(events_of(rasa_stack, cid))
        assert chat.say("订单号是20261101001,还没发货") == {"ok": True}
        assert chat.pending() == []  # a bot answer would have come before the ack
        new = events_of(rasa_stack, cid)[before:]
        assert [e["text"] for e in new if e["event"] == "user"] == ["订单号是20261101001,还没发货"]
        assert [e for e in new if e["event"] in ("bot", "action")] == []  # no prediction
        live = wang.get(f"{console_url}/api/takeover/{cid}", params={"after": before - 2},
                        timeout=10).json()
        assert live["status"] == "mine" and live["takeover"]["agent"] == "wang"
        assert live["turns"][-1]["speaker"] == "caller"
        assert live["turns"][-1]["text"].startswith("订单号是")

        assert send(wang, console_url, cid, "已为您催促仓库,今天内发货。").status_code == 200
        pushed = chat.next_message(timeout=30)
        assert (pushed["text"], pushed["agent"]) == ("已为您催促仓库,今天内发货。", "wang")
    finally:
        chat.close()

    # a reconnect restores the agent's lines with the agent's name
    with WebchatClient(rasa_stack.rasa_url) as again:
        history = again.open_session(cid)["history"]
        agent_lines = [(e["text"], e.get("agent")) for e in history if e.get("agent")]
        assert agent_lines == [(line, "wang"), ("已为您催促仓库,今天内发货。", "wang")]
        assert {"role": "event", "event": {"event": "takeover", "agent": "wang"}} in [
            {k: v for k, v in e.items() if k != "timestamp"} for e in history
        ]
        assert again.pending() == []

        # hand-back: the bot thanks, asks the satisfaction question, then closes
        back = wang.post(f"{console_url}/takeover/{cid}/handback",
                         data={"csrf": csrf(wang, console_url, cid)}, timeout=60)
        assert back.status_code == 200 and "已由 wang 交还机器人" in back.text
        messages = again.wait_for(lambda got: SURVEY_LINE in texts(got))
        assert [c["event"] for c in controls(messages)] == ["handback"]
        assert texts(messages) == [RETURNED_LINE, SURVEY_LINE]
        survey = next(m for m in messages if m.get("text") == SURVEY_LINE)
        five = next(b for b in survey["quick_replies"] if b["title"].startswith("5"))
        assert again.say(five["payload"], display_text=five["title"]) == {"ok": True}
        closing = again.pending()
        assert texts(closing)[-1] == WEB_CLOSING
        assert controls(closing)[-1]["event"] == "end"

    # the hand-off is resolved with the agent's name; wang no longer holds the conversation
    client = redis.Redis.from_url(rasa_stack.redis_url)
    record = json.loads(client.get(f"hotline:handoff:{cid}"))
    assert record["resolved_by"] == "wang" and record["claimed_by"] == "wang"
    assert send(wang, console_url, cid, "还在吗").status_code == 409

    # the transcript names the agent; the script audit of the conversation passes
    data = wang.get(f"{console_url}/api/conversations/{cid}", timeout=10).json()
    agent_turns = [t for t in data["turns"] if t["speaker"] == "agent" and not t["control"]]
    assert [(t["agent"], t["text"]) for t in agent_turns] == [
        ("wang", line), ("wang", "已为您催促仓库,今天内发货。")]
    assert data["audit"]["passed"] is True, data["audit"]
    page = wang.get(f"{console_url}/conversations/{cid}", timeout=10).text
    assert "(wang)" in page and 'id="takeover-link"' in page


def test_a_supervisor_hands_back_a_chat_an_agent_left_paused(
    rasa_stack: Stack, console_url: str
) -> None:
    wang, li = agent_session(console_url, "wang"), agent_session(console_url, "li")
    supervisor = login(console_url, "zhao", SUPERVISOR_PASSWORD)
    chat = handed_off_chat(rasa_stack)
    try:
        cid = chat.session_id
        assert claim(wang, console_url, cid).status_code == 200
        chat.wait_for(controls)  # the take-over notice
        page = supervisor.get(f"{console_url}/takeover/{cid}", timeout=10)
        assert 'id="release"' in page.text  # offered to supervisors only
        assert 'id="release"' not in li.get(f"{console_url}/takeover/{cid}", timeout=10).text
        refused = li.post(f"{console_url}/takeover/{cid}/release",
                          data={"csrf": csrf(li, console_url, cid)}, timeout=60)
        assert refused.status_code == 403
        released = supervisor.post(f"{console_url}/takeover/{cid}/release",
                                   data={"csrf": csrf_of(page.text)}, timeout=60)
        assert released.status_code == 200 and "已由 wang 交还机器人" in released.text
        handed_back = chat.wait_for(lambda got: SURVEY_LINE in texts(got))
        assert texts(handed_back) == [RETURNED_LINE, SURVEY_LINE]
    finally:
        chat.close()


def test_phone_and_rest_conversations_cannot_be_taken_over(
    rasa_stack: Stack, console_url: str
) -> None:
    sender = "takeover-rest-1"
    rasa_stack.say(sender, "你好")
    rasa_stack.say(sender, "转人工")
    wang = agent_session(console_url, "wang")
    page = wang.get(f"{console_url}/takeover/{sender}", timeout=10)
    assert page.status_code == 200 and "只有网页在线客服会话支持人工接管" in page.text
    assert 'id="claim"' not in page.text
    refused = wang.post(f"{console_url}/takeover/{sender}/claim",
                        data={"csrf": csrf_of(page.text)}, timeout=30)
    assert refused.status_code == 400 and "只有网页在线客服会话支持人工接管" in refused.text
    assert not any(e["event"] == "pause" for e in events_of(rasa_stack, sender))
    assert wang.post(f"{console_url}/takeover/nobody-here/claim",
                     data={"csrf": csrf_of(page.text)}, timeout=30).status_code == 404
    assert wang.get(f"{console_url}/api/takeover/{sender}", params={"after": "x"},
                    timeout=10).status_code == 400
    # without a session or without the CSRF token nothing happens
    anonymous = requests.post(f"{console_url}/api/takeover/{sender}/messages",
                              data={"text": "hi"}, timeout=10)
    assert anonymous.status_code == 401
    assert wang.post(f"{console_url}/takeover/{sender}/claim", timeout=10).status_code == 403
