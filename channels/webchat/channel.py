"""The web chat input channel: Rasa's Socket.IO channel, hardened for the hotline.

Register it in credentials.yml by module path (see docs/WEBCHAT.md):

    channels.webchat.channel.HotlineSocketIOInput:
      socketio_path: /webchat/socket.io
      static_path: /webchat

Differences from `rasa.core.channels.socketio.SocketIOInput`:
session persistence is always on (the browser keeps a random conversation id),
allowed origins come from configuration, payloads are validated, messages are
limited in length and rate, the opening line is produced by a `session_start`
event (once per Rasa session), the history of a conversation can be restored,
and the chat page and widget are served by the same server.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Optional

import rasa.core.channels.channel
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

from channels.lines import DomainLines, agent_responses
from channels.webchat.config import WebchatConfig, load_webchat_config
from channels.webchat.gateway import AgentGateway, ConversationGateway
from channels.webchat.handlers import WebchatHandlers
from channels.webchat.origins import OriginPolicy
from channels.webchat.output import CHANNEL_NAME, HotlineSocketIOOutput
from channels.webchat.static_routes import add_static_routes

logger = logging.getLogger(__name__)

# Largest Engine.IO packet accepted; bigger ones close the connection. A
# 2,000-character message is ~6 KB of UTF-8, so over-long messages up to about
# 20,000 characters still get a polite refusal instead of a dropped connection.
MAX_PACKET_BYTES = 64 * 1024
# Redis pub/sub channel on which replicas pass each other the emits to their rooms.
SHARED_ROOMS_CHANNEL = "hotline:webchat:rooms"


class WebchatBlueprint(SocketBlueprint):
    """Attaches Socket.IO and the static page/widget routes when registered."""

    def __init__(
        self,
        sio: AsyncServer,
        socketio_path: str,
        on_register: Callable[[Sanic], None],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(sio, socketio_path, *args, **kwargs)
        self.ctx.on_register = on_register

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        super().register(app, options)
        self.ctx.on_register(app)


class HotlineSocketIOInput(SocketIOInput):
    """Socket.IO web chat for the hotline (`channels.webchat.channel.HotlineSocketIOInput`)."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(
            user_message_evt=credentials.get("user_message_evt", "user_uttered"),
            bot_message_evt=credentials.get("bot_message_evt", "bot_uttered"),
            namespace=credentials.get("namespace"),
            socketio_path=credentials.get("socketio_path", "/webchat/socket.io"),
            jwt_key=credentials.get("jwt_key"),
            jwt_method=credentials.get("jwt_method", "HS256"),
            metadata_key=credentials.get("metadata_key", "metadata"),
            static_path=credentials.get("static_path", "/webchat"),
        )

    def __init__(
        self,
        user_message_evt: str = "user_uttered",
        bot_message_evt: str = "bot_uttered",
        namespace: Optional[str] = None,
        socketio_path: Optional[str] = "/webchat/socket.io",
        jwt_key: Optional[str] = None,
        jwt_method: Optional[str] = "HS256",
        metadata_key: Optional[str] = "metadata",
        static_path: Optional[str] = "/webchat",
        config: Optional[WebchatConfig] = None,
        gateway_factory: Optional[Callable[[Sanic, Any], ConversationGateway]] = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        super().__init__(
            user_message_evt,
            bot_message_evt,
            namespace,
            True,  # session persistence: the conversation id is the browser's
            socketio_path or "/webchat/socket.io",
            jwt_key,
            jwt_method,
            metadata_key or "metadata",
        )
        self.static_path = static_path
        self.config = config
        self.gateway_factory = gateway_factory or AgentGateway
        self.clock = clock  # the flood limits' clock; None: time.monotonic
        self.app: Optional[Sanic] = None

    def get_output_channel(self) -> Optional[OutputChannel]:
        """For messages pushed from outside a user turn (e.g. the agent console)."""
        if self.sio is None:
            return super().get_output_channel()
        return HotlineSocketIOOutput(self.sio, self.bot_message_evt, self.namespace)

    def _responses(self) -> Any:
        """The running agent's domain responses (channels/lines.py)."""
        agent = getattr(self.app.ctx, "agent", None) if self.app is not None else None
        return agent_responses(agent)

    def _jwt_check(self, auth: Optional[dict]) -> bool:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            return False
        try:
            payload = rasa.core.channels.channel.decode_bearer_token(
                token, self.jwt_key, self.jwt_algorithm
            )
        except Exception:  # noqa: BLE001 - any decoding problem means "not allowed"
            return False
        return bool(payload)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        config = self.config or load_webchat_config()
        self.config = config
        # With several replicas a socket lives in one of them while a line for its
        # conversation may be emitted by another (an agent's line through the HTTP API
        # on whichever replica the console's request reached): the replicas then pass
        # room emits to each other through Redis pub/sub.
        manager = (
            AsyncRedisManager(config.shared_rooms_redis_url, channel=SHARED_ROOMS_CHANNEL)
            if config.shared_rooms_redis_url
            else None
        )
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=OriginPolicy(config.allowed_origins, config.allow_localhost),
            max_http_buffer_size=MAX_PACKET_BYTES,
            client_manager=manager,
        )
        self.sio = sio
        gateway_holder: dict[str, ConversationGateway] = {}

        def gateway() -> ConversationGateway:
            if "gateway" not in gateway_holder:
                if self.app is None:
                    raise RuntimeError("web chat blueprint used before registration")
                gateway_holder["gateway"] = self.gateway_factory(self.app, on_new_message)
            return gateway_holder["gateway"]

        def on_register(app: Sanic) -> None:
            self.app = app
            if self.static_path:
                add_static_routes(app, config, self.static_path)

        webhook = WebchatBlueprint(
            sio, self.socketio_path, on_register, "webchat_webhook", __name__
        )

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        WebchatHandlers(
            sio,
            config,
            gateway,
            bot_message_evt=self.bot_message_evt,
            user_message_evt=self.user_message_evt,
            namespace=self.namespace,
            metadata_key=self.metadata_key or "metadata",
            jwt_check=self._jwt_check if self.jwt_key else None,
            lines=DomainLines(CHANNEL_NAME, responses_of=self._responses),
            **({"clock": self.clock} if self.clock is not None else {}),
        ).register()
        return webhook
