"""The Socket.IO events of the web chat (protocol: docs/WEBCHAT.md).

Client → server (each answered through the Socket.IO acknowledgement):

- `session_request {session_id?}` → `{ok, session_id, history, config}`; also
  emits Rasa's `session_confirm` with the id, as the stock socketio channel does.
- `session_start {session_id}` → `{ok, started}`; runs `action_session_start`
  (the opening line) once per Rasa session.
- `history_request {session_id}` → `{ok, history}`.
- `user_uttered {message, session_id, metadata?}` → `{ok}` after the bot has
  answered, or `{ok: false, error, message}` with a polite Chinese line (also
  emitted as a `system` bot message so that any Socket.IO client shows it).

A socket may only use the conversation id it was confirmed for.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Optional

from rasa.core.channels.channel import UserMessage
from socketio import AsyncServer

from channels.lines import DomainLines, Lines
from channels.payloads import allowed, as_caller_text
from channels.webchat import protocol
from channels.webchat.config import WebchatConfig
from channels.webchat.gateway import ConversationGateway
from channels.webchat.limits import SlidingWindowLimiter
from channels.webchat.output import CHANNEL_NAME, HotlineSocketIOOutput
from channels.webchat.protocol import Rejected

logger = logging.getLogger(__name__)

Ack = dict[str, Any]
# Any socket: at most this many events of any kind per second (session requests included).
SOCKET_EVENTS_PER_SECOND = 20
CHANNEL_METADATA = {"channel": CHANNEL_NAME}


class WebchatHandlers:
    """Registers and implements the socket event handlers."""

    def __init__(
        self,
        sio: AsyncServer,
        config: WebchatConfig,
        gateway: Callable[[], ConversationGateway],
        bot_message_evt: str = "bot_uttered",
        user_message_evt: str = "user_uttered",
        namespace: Optional[str] = None,
        metadata_key: str = "metadata",
        jwt_check: Optional[Callable[[Optional[dict]], bool]] = None,
        lines: Optional[Lines] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sio = sio
        self.config = config
        self.lines = lines or DomainLines(CHANNEL_NAME)
        self.gateway = gateway
        self.bot_message_evt = bot_message_evt
        self.user_message_evt = user_message_evt
        self.namespace = namespace
        self.metadata_key = metadata_key
        self.jwt_check = jwt_check
        # `clock` (seconds, monotonic) drives the flood limits; the dev server can step it.
        self.messages = SlidingWindowLimiter(config.max_messages_per_second, clock=clock)
        self.socket_events = SlidingWindowLimiter(SOCKET_EVENTS_PER_SECOND, clock=clock)
        self.refusals = SlidingWindowLimiter(1, clock=clock)

    def register(self) -> None:
        on = self.sio.on
        on("connect", namespace=self.namespace)(self.connect)
        on("disconnect", namespace=self.namespace)(self.disconnect)
        on("session_request", namespace=self.namespace)(self._one_payload(self.session_request))
        on("session_start", namespace=self.namespace)(self._one_payload(self.session_start))
        on("history_request", namespace=self.namespace)(self._one_payload(self.history_request))
        on(self.user_message_evt, namespace=self.namespace)(self._one_payload(self.user_uttered))

    def _one_payload(self, handler: Callable[..., Awaitable[Ack]]) -> Callable[..., Awaitable[Ack]]:
        """Socket.IO hands a handler every argument the client sent; ours take one payload.
        More than one is refused (invalid payload) instead of raising a TypeError."""

        async def checked(sid: str, *args: Any) -> Ack:
            if len(args) > 1:
                return self._refusal(protocol.INVALID_PAYLOAD)
            return await handler(sid, *args)

        return checked

    def output(self) -> HotlineSocketIOOutput:
        return HotlineSocketIOOutput(self.sio, self.bot_message_evt, self.namespace)

    # --- connection ---------------------------------------------------------

    async def connect(self, sid: str, environ: dict, auth: Optional[dict] = None) -> bool:
        return self.jwt_check is None or self.jwt_check(auth)

    async def disconnect(self, sid: str, *_: Any) -> None:
        self.socket_events.forget(sid)
        self.refusals.forget(sid)

    async def _confirmed_id(self, sid: str) -> Optional[str]:
        session = await self.sio.get_session(sid, namespace=self.namespace)
        value = session.get("session_id")
        return value if isinstance(value, str) else None

    async def _bound_id(self, sid: str, data: Any) -> str:
        """The conversation id of this socket; `data.session_id`, if given, must match it."""
        confirmed = await self._confirmed_id(sid)
        if confirmed is None:
            raise Rejected(protocol.INVALID_SESSION_ID)
        requested = data.get("session_id") if isinstance(data, dict) else None
        if requested is not None and protocol.parse_session_id(requested) != confirmed:
            raise Rejected(protocol.INVALID_SESSION_ID)
        return confirmed

    def _refusal(self, code: str) -> Ack:
        return {"ok": False, "error": code, "message": self.config.refusal(code, self.lines)}

    # --- events -------------------------------------------------------------

    async def session_request(self, sid: str, data: Any = None) -> Ack:
        if not self.socket_events.allow(sid):
            return self._refusal(protocol.RATE_LIMITED)
        try:
            requested = protocol.requested_session_id(data)
        except Rejected as exc:
            return self._refusal(exc.code)
        session_id = requested or protocol.new_session_id()
        previous = await self._confirmed_id(sid)
        if previous and previous != session_id:
            await self.sio.leave_room(sid, previous, namespace=self.namespace)
        await self.sio.save_session(sid, {"session_id": session_id}, namespace=self.namespace)
        await self.sio.enter_room(sid, session_id, namespace=self.namespace)
        await self.sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)
        history: list[dict[str, Any]] = []
        if requested is not None:
            history = await self._history(session_id)
        return {
            "ok": True,
            "session_id": session_id,
            "history": history,
            "config": self.config.public(),
        }

    async def session_start(self, sid: str, data: Any = None) -> Ack:
        if not self.socket_events.allow(sid):
            return self._refusal(protocol.RATE_LIMITED)
        try:
            session_id = await self._bound_id(sid, data)
        except Rejected as exc:
            return self._refusal(exc.code)
        return await self._start(session_id)

    async def history_request(self, sid: str, data: Any = None) -> Ack:
        if not self.socket_events.allow(sid):
            return self._refusal(protocol.RATE_LIMITED)
        try:
            session_id = await self._bound_id(sid, data)
        except Rejected as exc:
            return self._refusal(exc.code)
        return {"ok": True, "history": await self._history(session_id)}

    async def user_uttered(self, sid: str, data: Any = None) -> Ack:
        try:
            message = protocol.parse_user_message(
                data, self.config.max_message_chars, self.metadata_key
            )
            if message.session_id != await self._confirmed_id(sid):
                raise Rejected(protocol.INVALID_SESSION_ID)
            if not self.socket_events.allow(sid) or not self.messages.allow(message.session_id):
                raise Rejected(protocol.RATE_LIMITED)
        except Rejected as exc:
            return await self._refuse(sid, exc.code)
        if message.is_session_start:
            return await self._start(message.session_id)
        gateway = self.gateway()
        if not gateway.is_ready():
            return await self._refuse(sid, protocol.UNAVAILABLE)
        if message.payload is not None:
            if not allowed(message.payload, gateway.allowed_payloads()):
                return await self._refuse(sid, protocol.INVALID_PAYLOAD)
            text = message.payload  # a button the assistant offered, or the widget's event
        else:
            text = as_caller_text(message.text)
        metadata: dict[str, Any] = dict(CHANNEL_METADATA)
        if message.display_text:
            metadata["display_text"] = message.display_text
        user_message = UserMessage(
            text,
            self.output(),
            message.session_id,
            input_channel=CHANNEL_NAME,
            metadata=metadata,
        )
        try:
            await gateway.handle_message(user_message)
        except Exception:  # noqa: BLE001 - one failing turn must not kill the socket
            logger.exception("webchat: handling a message failed")
            return await self._refuse(sid, protocol.UNAVAILABLE)
        return {"ok": True}

    # --- helpers ------------------------------------------------------------

    async def _start(self, session_id: str) -> Ack:
        gateway = self.gateway()
        if not gateway.is_ready():
            return self._refusal(protocol.UNAVAILABLE)
        try:
            started = await gateway.start_session(
                session_id, self.output(), dict(CHANNEL_METADATA)
            )
        except Exception:  # noqa: BLE001
            logger.exception("webchat: starting a session failed")
            return self._refusal(protocol.UNAVAILABLE)
        return {"ok": True, "started": started}

    async def _history(self, session_id: str) -> list[dict[str, Any]]:
        gateway = self.gateway()
        if not gateway.is_ready():
            return []
        try:
            return await gateway.history(session_id, self.config.history_limit)
        except Exception:  # noqa: BLE001
            logger.exception("webchat: reading the history failed")
            return []

    async def _refuse(self, sid: str, code: str) -> Ack:
        """Refuse politely: the ack, plus (at most once a second) a visible system message."""
        ack = self._refusal(code)
        if self.refusals.allow(sid):
            await self.sio.emit(
                self.bot_message_evt,
                {"text": ack["message"], "system": True, "error": code,
                 "timestamp": time.time()},
                room=sid,
                namespace=self.namespace,
            )
        return ack
