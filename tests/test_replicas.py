"""`make run`'s default layout: Rasa replicas and action servers behind nginx, one Redis.

The stack is started by the launcher's own code (launcher/layout.py `plan`,
launcher/__main__.py `start_layout`) with two replicas on free ports, a real nginx
and a real redis-server. Through the one front port: a REST conversation whose turns
alternate between the replicas stays whole, a signed phone call validates, a web chat
session stays on one replica and still receives a line an agent pushes through the
other one, and one replica killed leaves the other serving.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import websockets

from channels.voice.phone import PhoneCall
from channels.webchat.client import WebchatClient, texts
from console.rasa_api import RasaConversationControl
from launcher.__main__ import start_layout
from launcher.layout import Layout, plan
from launcher.nginx import nginx_binary
from launcher.services import Ports, process_env
from launcher.supervisor import Supervisor
from tests.stack import ROOT, TEST_TOKEN, TEST_TWILIO_TOKEN
from tests.support.processes import RedisServer, free_port
from tests.support.provider import check_signed_order_call

pytestmark = pytest.mark.stack

ORDER = "DD20261101001"


@dataclass
class Replicas:
    layout: Layout
    supervisor: Supervisor
    redis: RedisServer
    work_dir: Path
    token: str = TEST_TOKEN

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.layout.ports.rasa}"

    @property
    def redis_url(self) -> str:  # the script audit reads the conversations from here
        return self.redis.url

    def replica_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.layout.rasa_ports[index]}"

    def upstream(self, index: int) -> str:
        return f"127.0.0.1:{self.layout.rasa_ports[index]}"

    def access_log(self) -> str:
        assert self.layout.nginx_dir is not None
        return (self.layout.nginx_dir / "access.log").read_text(encoding="utf-8")

    def turn(self, sender: str, message: str) -> tuple[str, list[str]]:
        response = requests.post(f"{self.url}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": message}, timeout=60)
        assert response.status_code == 200, response.text
        # nginx lists every replica it tried ("dead:port, live:port"): the last answered
        return (response.headers["X-Hotline-Upstream"].split(", ")[-1],
                [m["text"] for m in response.json() if m.get("text")])

    def events(self, sender: str) -> list[dict[str, Any]]:
        response = requests.get(f"{self.url}/conversations/{sender}/tracker",
                                params={"token": self.token}, timeout=30)
        response.raise_for_status()
        return list(response.json()["events"])


@pytest.fixture(scope="module")
def replicas(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    if nginx_binary() is None:
        raise RuntimeError("nginx is not installed; run `make test` (scripts/setup.sh installs it)")
    work = tmp_path_factory.mktemp("replicas")
    redis_server = RedisServer(work / "redis").start()
    ports = Ports(rasa=free_port(), actions=free_port(), console=free_port())
    layout = plan(ports, 2, work / "nginx")
    env = process_env(ROOT, redis_server.url, ports, extra={
        "RASA_TOKEN": TEST_TOKEN,
        "TWILIO_AUTH_TOKEN": TEST_TWILIO_TOKEN,
        "HOTLINE_OUTBOX_DIR": str(work / "outbox"),
        **layout.env(),
    })
    supervisor = Supervisor(ROOT, ROOT / "test-output" / "logs" / "replicas", env)
    try:
        start_layout(supervisor, layout, trained_model, TEST_TOKEN, worker=False,
                     with_console=False)
        yield Replicas(layout, supervisor, redis_server, work)
    finally:
        supervisor.stop_all()
        redis_server.stop()


def test_the_public_urls_are_nginx_s_and_point_the_replicas_at_the_front(
    replicas: Replicas,
) -> None:
    env = replicas.supervisor.env
    front = replicas.url
    assert env["PUBLIC_BASE_URL"] == front and env["RASA_URL"] == front
    assert env["ACTION_ENDPOINT_URL"] == f"http://127.0.0.1:{replicas.layout.ports.actions}/webhook"
    assert env["WEBCHAT_SHARED_ROOMS"] == "1"
    assert sorted(replicas.supervisor.running) == [
        "actions-1", "actions-2", "nginx", "rasa-1", "rasa-2"]
    assert requests.get(f"{front}/status", params={"token": replicas.token},
                        timeout=10).status_code == 200


def test_rest_turns_of_one_conversation_alternate_between_replicas_and_stay_whole(
    replicas: Replicas,
) -> None:
    sender = f"replicas-{uuid.uuid4().hex[:10]}"
    said = ["你好", f"帮我查一下订单{ORDER}到哪了", "好的谢谢", f"那订单{ORDER}什么时候到"]
    answered = [replicas.turn(sender, text) for text in said]
    served_by = [upstream for upstream, _ in answered]
    assert set(served_by) == {replicas.upstream(0), replicas.upstream(1)}, served_by
    assert any(a != b for a, b in zip(served_by, served_by[1:], strict=False)), served_by
    replies = [line for _, lines in answered for line in lines]
    assert all(lines for _, lines in answered), answered
    assert "已发货" in " ".join(answered[1][1]), answered
    openings = [line for line in replies if line.startswith("您好,欢迎")]
    assert len(openings) == 1 and answered[0][1][0] == openings[0], replies

    events = replicas.events(sender)
    assert [e["text"] for e in events if e["event"] == "user"] == said
    bot_lines = [e["text"] for e in events if e["event"] == "bot" and e.get("text")]
    assert bot_lines == replies, "each line said once, as the caller heard it"
    # the custom actions went through nginx's second port to both action servers
    actions = set(re.findall(r'"POST /webhook HTTP/1\.1" 200 upstream=(\S+)',
                             replicas.access_log()))
    assert actions == {f"127.0.0.1:{p}" for p in replicas.layout.action_ports}, actions


def test_a_form_turn_s_action_call_is_not_buffered_to_disk(replicas: Replicas) -> None:
    # A form validation carries the domain and the tracker (over 30 KB). nginx's default
    # 16 KB body buffer wrote such bodies to a temp file, and the action server got them
    # 44 ms later, every form turn; the layout keeps action calls in memory.
    sender = f"replicas-{uuid.uuid4().hex[:10]}"
    for text in ["你好", "我要投诉,快递一周了还没到", "姓王"]:
        replicas.turn(sender, text)
    assert re.search(r'"POST /webhook HTTP/1\.1" 200', replicas.access_log())
    assert replicas.layout.nginx_dir is not None
    errors = (replicas.layout.nginx_dir / "error.log").read_text(encoding="utf-8")
    assert "buffered to a temporary file" not in errors, errors[-2000:]


def test_a_signed_phone_call_through_the_front_port_validates(replicas: Replicas) -> None:
    check_signed_order_call(replicas.url, TEST_TWILIO_TOKEN, ORDER)
    served = set(re.findall(r'"POST /webhooks/phone/\S+ HTTP/1\.1" 200 upstream=(\S+)',
                            replicas.access_log()))
    assert served == {replicas.upstream(0), replicas.upstream(1)}, served


def test_a_web_chat_stays_on_one_replica_and_hears_an_agent_through_the_other(
    replicas: Replicas,
) -> None:
    with WebchatClient(replicas.url) as chat:
        assert chat.open_session()["ok"]
        assert chat.start()["ok"]
        assert chat.next_message(timeout=10)["text"].startswith("您好,欢迎")
        assert chat.say(f"帮我查一下订单{ORDER}到哪了") == {"ok": True}
        assert "已发货" in " ".join(texts(chat.drain(settle_s=1.0)))
        sid = chat.sio.get_sid(namespace="/") or ""
        engine_sid = chat.sio.eio.sid
        # every request of this Socket.IO session went to one replica
        served = set(re.findall(
            rf'"(?:GET|POST) /webchat/socket\.io/\?\S*sid={re.escape(engine_sid)}\S* '
            r'HTTP/1\.1" \d+ upstream=(\S+)', replicas.access_log()))
        assert len(served) == 1, (sid, served)
        # an agent's line pushed through either replica reaches the socket (shared rooms)
        for index in (0, 1):
            control = RasaConversationControl(replicas.replica_url(index), replicas.token)
            asyncio.run(control.say(chat.session_id or "", "agent-a",
                                    f"您好,我是客服小王,这是第{index + 1}条消息。"))
        got = []
        deadline = time.monotonic() + 10
        while len(got) < 2 and time.monotonic() < deadline:
            got += [m for m in chat.drain(settle_s=0.2) if m.get("agent") == "agent-a"]
        assert [m["text"] for m in got] == ["您好,我是客服小王,这是第1条消息。",
                                            "您好,我是客服小王,这是第2条消息。"], got


def test_the_websocket_upgrade_reaches_the_replica_of_the_polling_session(
    replicas: Replicas,
) -> None:
    """What a browser does: an Engine.IO polling handshake, then the WebSocket upgrade
    with that sid through nginx (which must pass the Upgrade headers and send it to the
    replica that holds the session), then a Socket.IO namespace connect over it."""
    base = f"{replicas.url}/webchat/socket.io/?EIO=4"
    handshake = requests.get(f"{base}&transport=polling", timeout=10)
    assert handshake.status_code == 200, handshake.text
    assert handshake.text.startswith("0"), handshake.text
    sid = json.loads(handshake.text[1:])["sid"]
    holder = handshake.headers["X-Hotline-Upstream"]

    async def upgrade() -> list[str]:
        ws_url = f"ws://127.0.0.1:{replicas.layout.ports.rasa}/webchat/socket.io/" \
                 f"?EIO=4&transport=websocket&sid={sid}"
        async with websockets.connect(ws_url, open_timeout=10) as ws:
            await ws.send("2probe")
            probe = await asyncio.wait_for(ws.recv(), 10)
            await ws.send("5")  # upgrade done: the session now uses this socket
            await ws.send("40")  # Socket.IO connect to the default namespace
            connected = ""
            while not connected.startswith("4"):  # skip Engine.IO noops ("6") and pings
                connected = str(await asyncio.wait_for(ws.recv(), 10))
            return [str(probe), connected]

    probe, connected = asyncio.run(upgrade())
    assert probe == "3probe"
    assert connected.startswith("40") and "sid" in connected, connected
    upgraded = set(re.findall(
        rf'"GET /webchat/socket\.io/\?EIO=4&transport=websocket&sid={re.escape(sid)} '
        r'HTTP/1\.1" 101 upstream=(\S+)', replicas.access_log()))
    assert upgraded == {holder}, (holder, upgraded)


def test_with_one_replica_killed_the_other_serves_every_channel(replicas: Replicas) -> None:
    replicas.supervisor.stop("rasa-2", hard=True)
    sender = f"replicas-down-{uuid.uuid4().hex[:10]}"
    served_by = set()
    for text in ("你好", f"帮我查一下订单{ORDER}到哪了", "好的谢谢"):
        upstream, lines = replicas.turn(sender, text)
        assert lines, text
        served_by.add(upstream)
    assert served_by == {replicas.upstream(0)}
    call = PhoneCall(replicas.url, TEST_TWILIO_TOKEN, caller="+8613912345679")
    try:
        assert call.dial().status == 200
        assert call.hang_up().status == 200
    finally:
        call.session.close()
    with WebchatClient(replicas.url) as chat:
        assert chat.open_session()["ok"] and chat.start()["ok"]
        assert chat.next_message(timeout=10)["text"].startswith("您好,欢迎")
