"""A small synchronous client of the web chat protocol, for tests and debugging.

Uses the real python-socketio client over HTTP long-polling. (Its asyncio
WebSocket transport needs aiohttp >= 3.10, newer than Rasa 3.6 allows; the
browser widget uses WebSocket.)

    with WebchatClient("http://127.0.0.1:5005") as chat:
        chat.open_session()          # new conversation id
        chat.start()                 # the opening line arrives as a bot message
        chat.say("我要投诉")
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Optional

import engineio
import socketio
from engineio import payload

# A long-poll response may carry more packets than python-engineio's client
# decodes by default (16), e.g. during the flood test: many acks, echoes and
# refusals at once. Only this client process is affected.
CLIENT_MAX_DECODE_PACKETS = 256


class _OrderedEngineioClient(engineio.Client):
    """python-engineio hands each received message to a new thread, so two packets the
    server sent in order (a bot message, then an acknowledgement) can be handled in the
    other order. Here one dispatcher thread handles them one after the other, in the
    order they came (not the reading thread itself: a handler may disconnect, which
    joins that thread). The dispatcher ends when the connection is closed and idle."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inbox: queue.Queue[tuple[tuple[Any, ...], dict[str, Any]]] = queue.Queue()
        self._dispatch_lock = threading.Lock()
        self._dispatcher: Optional[threading.Thread] = None

    def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
        if event != "message" or not kwargs.get("run_async"):
            return super()._trigger_event(event, *args, **kwargs)
        with self._dispatch_lock:
            self._inbox.put((args, {**kwargs, "run_async": False}))
            if self._dispatcher is None or not self._dispatcher.is_alive():
                self._dispatcher = threading.Thread(target=self._dispatch, daemon=True)
                self._dispatcher.start()
        return None

    def _dispatch(self) -> None:
        while True:
            try:
                args, kwargs = self._inbox.get(timeout=1.0)
            except queue.Empty:
                with self._dispatch_lock:
                    if self.state != "connected" and self._inbox.empty():
                        self._dispatcher = None
                        return
                continue
            super()._trigger_event("message", *args, **kwargs)


class _OrderedClient(socketio.Client):
    def _engineio_client_class(self) -> type[engineio.Client]:
        return _OrderedEngineioClient


class WebchatClient:
    def __init__(
        self,
        base_url: str,
        socketio_path: str = "/webchat/socket.io",
        headers: Optional[dict[str, str]] = None,
    ) -> None:
        payload.Payload.max_decode_packets = max(
            payload.Payload.max_decode_packets, CLIENT_MAX_DECODE_PACKETS
        )
        self.base_url = base_url
        self.socketio_path = socketio_path
        self.headers = headers or {}
        self.sio = _OrderedClient(reconnection=False)
        self.bot_messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.confirmed: list[str] = []
        self.session_id: Optional[str] = None
        self.sio.on("bot_uttered", self._on_bot)
        self.sio.on("session_confirm", self.confirmed.append)

    def _on_bot(self, data: Any) -> None:
        self.bot_messages.put(data)

    def connect(self) -> WebchatClient:
        self.sio.connect(
            self.base_url,
            socketio_path=self.socketio_path,
            transports=["polling"],
            headers=self.headers,
            wait_timeout=15,
        )
        return self

    def close(self) -> None:
        if self.sio.connected:
            # abort: do not wait up to a ping interval for the pending long-poll to return
            self.sio.eio.disconnect(abort=True)

    def __enter__(self) -> WebchatClient:
        return self if self.connected else self.connect()

    def __exit__(self, *_: Any) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        return bool(self.sio.connected)

    def call(self, event: str, data: Any = None, timeout: float = 60) -> Any:
        return self.sio.call(event, data, timeout=timeout)

    def open_session(self, session_id: Optional[str] = None) -> dict[str, Any]:
        """`session_request`; remembers the confirmed id."""
        ack = self.call("session_request", {"session_id": session_id})
        if isinstance(ack, dict) and ack.get("ok"):
            self.session_id = ack["session_id"]
        return ack

    def start(self) -> dict[str, Any]:
        return self.call("session_start", {"session_id": self.session_id})

    def history(self) -> dict[str, Any]:
        return self.call("history_request", {"session_id": self.session_id})

    def say(self, text: Any, display_text: Optional[str] = None, **extra: Any) -> Any:
        """`user_uttered`; returns the acknowledgement (sent after the bot has answered)."""
        metadata = {"display_text": display_text} if display_text else {}
        payload = {"message": text, "session_id": self.session_id, "metadata": metadata, **extra}
        return self.call("user_uttered", payload)

    def next_message(self, timeout: float = 10) -> dict[str, Any]:
        return self.bot_messages.get(timeout=timeout)

    def barrier(self) -> None:
        """A round trip: the server acknowledges this `history_request` after everything
        it sent this socket before it, and messages are handled in order, so when this
        returns every message the server had sent is in `bot_messages`."""
        self.call("history_request", {"session_id": self.session_id})

    def pending(self) -> list[dict[str, Any]]:
        """Every bot message the server has sent so far, without waiting for more: the
        acknowledgement of a message comes after the bot's answers to it, so after `say`
        this is the whole answer (and `[]` means the bot said nothing)."""
        self.barrier()
        return self._queued()

    def wait_for(self, done: Callable[[list[dict[str, Any]]], bool],
                 timeout: float = 30) -> list[dict[str, Any]]:
        """Messages as they come until `done(messages so far)` holds, then any the server
        had sent by then. For messages pushed from outside a turn (an agent's line, a
        hand-back); `timeout` is only a safety net: the messages so far are returned."""
        deadline = time.monotonic() + timeout
        messages: list[dict[str, Any]] = []
        while not done(messages):
            left = deadline - time.monotonic()
            if left <= 0:
                return messages
            try:
                messages.append(self.bot_messages.get(timeout=left))
            except queue.Empty:
                return messages
        return messages + self.pending()

    def drain(self, settle_s: float = 0.3) -> list[dict[str, Any]]:
        """All bot messages received so far, waiting `settle_s` for stragglers."""
        time.sleep(settle_s)
        return self._queued()

    def _queued(self) -> list[dict[str, Any]]:
        messages = []
        while True:
            try:
                messages.append(self.bot_messages.get_nowait())
            except queue.Empty:
                return messages


def texts(messages: list[dict[str, Any]]) -> list[str]:
    """The texts of ordinary bot messages (not refusals or control events)."""
    return [m["text"] for m in messages if m.get("text") and not m.get("system")]


def controls(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `hotline` control events among bot messages."""
    return [
        m["custom"]["hotline"]
        for m in messages
        if isinstance(m.get("custom"), dict) and isinstance(m["custom"].get("hotline"), dict)
    ]
