"""A development server for the web chat: the real channel with a scripted bot.

    python -m channels.webchat.devserver --port 5055
    open http://127.0.0.1:5055/webchat/

No model, Redis or action server is needed: `ScriptedGateway` stands in for
the Rasa agent (same interface as `AgentGateway`) and keeps conversations in
memory as real Rasa events, so the history code path is the production one.
It answers a few fixed phrases, enough to exercise every widget feature:
`转人工` (hand-off), `好了` (hand-back), `评价` (quick replies), `再见` (end),
`结束并重新开始` (end, then a new opening under the same id), `/idle_timeout`
(idle closing + end); anything else is echoed. The channel's
fast tests (tests/test_webchat_channel.py, tests/test_webchat_widget.py) run
against it; the dialogue itself is tested against the real stack.

`--manual-clock`: the flood limits (messages per second) run on a clock that stands
still until `POST /dev/clock {"advance_s": 1.0}` moves it, so a test decides when a
second has passed instead of sleeping through one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Optional

import rasa.core.channels.channel
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.shared.core.events import BotUttered, Event, UserUttered
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.webchat.channel import HotlineSocketIOInput
from channels.webchat.config import WebchatConfig, load_webchat_config
from channels.webchat.gateway import WIDGET_PAYLOADS
from channels.webchat.history import visible_history

OPENING = "您好,欢迎光临在线客服(开发服务器),请问有什么可以帮助您!"
RATING_BUTTONS = [
    {"title": "5 非常满意", "payload": '/inform{"rating":"5"}'},
    {"title": "1 非常不满意", "payload": '/inform{"rating":"1"}'},
]


class ScriptedGateway:
    """In-memory stand-in for the Rasa agent, for development and channel tests."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.events: dict[str, list[Event]] = {}
        self.delay_s = delay_s

    def is_ready(self) -> bool:
        return True

    def allowed_payloads(self) -> frozenset[str]:
        return WIDGET_PAYLOADS | {button["payload"] for button in RATING_BUTTONS}

    async def _say(self, output: OutputChannel, sender_id: str, message: dict[str, Any]) -> None:
        data = {k: v for k, v in message.items() if k != "text"}
        self.events[sender_id].append(BotUttered(message.get("text"), data, timestamp=time.time()))
        await output.send_response(sender_id, dict(message))

    async def start_session(
        self, sender_id: str, output_channel: OutputChannel, metadata: dict[str, Any]
    ) -> bool:
        if self.events.get(sender_id):
            return False
        self.events[sender_id] = []
        await self._say(output_channel, sender_id, {"text": OPENING})
        return True

    async def history(self, sender_id: str, limit: int) -> list[dict[str, Any]]:
        return visible_history(self.events.get(sender_id, []), limit)

    async def handle_message(self, message: UserMessage) -> None:
        sender = message.sender_id
        out = message.output_channel
        if not self.events.get(sender):
            await self.start_session(sender, out, message.metadata or {})
        text = message.text or ""
        self.events[sender].append(
            UserUttered(text, metadata=message.metadata, timestamp=time.time())
        )
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        for reply in self.replies(text):
            await self._say(out, sender, reply)

    @staticmethod
    def replies(text: str) -> list[dict[str, Any]]:
        if text == "/idle_timeout":
            return [{"text": "您好,由于您长时间没有回复,本次会话将结束。再见!"},
                    {"custom": {"hotline": {"event": "end", "reason": "idle"}}}]
        if text.startswith("/inform"):
            return [{"text": "谢谢您的评价!"}]
        if "转人工" in text:
            return [{"text": "好的,正在为您转接人工客服,请稍等。"},
                    {"custom": {"hotline": {"event": "handoff", "reason": "request_human",
                                            "priority": False, "ticket_id": "T-DEV-1"}}}]
        if text == "好了":
            return [{"custom": {"hotline": {"event": "handback"}}}]
        if "评价" in text:
            return [{"text": "请您对本次服务做个评价。", "buttons": RATING_BUTTONS}]
        if text == "结束并重新开始":  # as a dialogue whose end action returns Restarted()
            return [{"text": "很高兴为您服务,再见!"},
                    {"custom": {"hotline": {"event": "end", "reason": "goodbye"}}},
                    {"text": OPENING}]
        if "再见" in text:
            return [{"text": "很高兴为您服务,再见!"},
                    {"custom": {"hotline": {"event": "end", "reason": "goodbye"}}}]
        return [{"text": f"您说的是:{text}"}]


class SteppedClock:
    """A monotonic clock (seconds) that moves only when told (`--manual-clock`)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a monotonic clock does not go back")
        self.now += seconds
        return self.now


def create_app(
    config: Optional[WebchatConfig] = None,
    gateway: Optional[ScriptedGateway] = None,
    clock: Optional[SteppedClock] = None,
) -> Sanic:
    """A Sanic app with only the web chat channel, answered by `ScriptedGateway`; with
    `clock`, the flood limits run on it and `POST /dev/clock` moves it."""
    scripted = gateway or ScriptedGateway()
    channel = HotlineSocketIOInput(
        config=config or load_webchat_config(),
        gateway_factory=lambda _app, _on_new_message: scripted,
        clock=clock,
    )
    app = Sanic("webchat_dev")
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = 1.0  # long-polls must not delay a restart
    rasa.core.channels.channel.register([channel], app, route="/webhooks/")
    if clock is not None:
        stepped = clock

        @app.post("/dev/clock")
        async def advance_clock(request: Request) -> HTTPResponse:
            body = request.json if isinstance(request.json, dict) else {}
            try:
                now = stepped.advance(float(body.get("advance_s", 0)))
            except (TypeError, ValueError) as error:
                return response.json({"error": str(error)}, status=400)
            return response.json({"now": now})

    return app


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--idle-timeout", type=int, default=0, help="override, seconds")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each reply")
    parser.add_argument("--manual-clock", action="store_true",
                        help="flood limits on a clock moved by POST /dev/clock (for tests)")
    args = parser.parse_args(argv)
    config = load_webchat_config()
    if args.idle_timeout:
        config = WebchatConfig(**{**config.__dict__, "idle_timeout_s": args.idle_timeout})
    app = create_app(config, ScriptedGateway(delay_s=args.delay),
                     SteppedClock() if args.manual_clock else None)
    app.run(host=args.host, port=args.port, access_log=False)


@contextlib.contextmanager
def running(
    args: Sequence[str] = (),
    log_path: Optional[Path] = None,
    port: Optional[int] = None,
    env: Optional[dict[str, str]] = None,
) -> Iterator[str]:
    """Run the dev server in a subprocess on a free port; yields its base URL."""
    if port is None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
    root = Path(__file__).resolve().parents[2]
    log = open(log_path or os.devnull, "ab")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "channels.webchat.devserver", "--port", str(port), *args],
        cwd=root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/webhooks/webchat/", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the web chat dev server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        log.close()


if __name__ == "__main__":
    main()
