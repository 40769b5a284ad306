"""Bot → browser messages.

Every message carries a `timestamp` (epoch seconds) so the widget shows the
server's time. Custom JSON (the `hotline` control events) is sent as
`{"custom": {...}}`: Rasa's own `SocketIOOutput.send_custom_json` spreads the
JSON into `emit()` keyword arguments, which fails for `{"hotline": ...}`.
A line an agent typed in the console (a bot event with `metadata.agent`, see
bot/takeover.py) carries `"agent": <name>` so the widget can label it.
"""

from __future__ import annotations

import time
from typing import Any

from rasa.core.channels.socketio import SocketIOOutput
from socketio import AsyncServer

CHANNEL_NAME = "webchat"


class HotlineSocketIOOutput(SocketIOOutput):
    """Sends to the Socket.IO room named after the conversation id."""

    @classmethod
    def name(cls) -> str:
        # Response variations with `channel: webchat` match this name.
        return CHANNEL_NAME

    def __init__(self, sio: AsyncServer, bot_message_evt: str, namespace: str | None = None):
        super().__init__(sio, bot_message_evt)
        self.namespace = namespace

    async def _send_message(self, socket_id: str, response: Any) -> None:
        message = dict(response) if isinstance(response, dict) else {"text": str(response)}
        message.setdefault("timestamp", time.time())
        await self.sio.emit(
            self.bot_message_evt, message, room=socket_id, namespace=self.namespace
        )

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        agent = kwargs.get("agent")
        for part in text.strip().split("\n\n"):
            message: dict[str, Any] = {"text": part}
            if isinstance(agent, str) and agent:
                message["agent"] = agent
            await self._send_message(recipient_id, message)

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        await self._send_message(recipient_id, {"custom": json_message})
