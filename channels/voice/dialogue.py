"""The dialogue as the telephony channel sees it, and its Rasa implementation.

`Dialogue` is what the webhook logic needs from Rasa; tests substitute a
scripted one. `RasaDialogue` talks to the agent of the running server:

- `start` runs the session start (which says the opening line) without a user
  message, as the processor does for a new conversation, so the IVR speaks
  first and nothing fake appears in the transcript;
- `send` is one user turn through the channel's `on_new_message`;
- `requested_slot` reads the tracker after a turn (is a number being asked for?);
- `intent_of` runs NLU only (the callback script's yes/no question).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Optional, Protocol

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.dialogue.planner import OPENED_ON_CONNECT
from rasa_extensions.tracker_store import asking, forget_left_asking, left_asking

CHANNEL_NAME = "phone"
Message = dict[str, Any]


class DialogueUnavailable(RuntimeError):
    """The Rasa agent has no model loaded (yet)."""


class Dialogue(Protocol):
    async def start(self, sid: str, metadata: Mapping[str, Any]) -> list[Message]: ...

    async def send(self, sid: str, text: str, metadata: Mapping[str, Any]) -> list[Message]: ...

    async def requested_slot(self, sid: str) -> Optional[str]: ...

    async def intent_of(self, text: str) -> Optional[str]: ...


class VoiceOutput(CollectingOutputChannel):
    """Collects bot messages whole, `utter_action` included.

    Its name selects the `channel: phone` variants of domain responses.
    """

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        await self._persist_message({k: v for k, v in message.items() if v is not None})


class RasaDialogue:
    def __init__(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]], agent: Any
    ) -> None:
        self._on_new_message = on_new_message
        self._agent = agent

    def _ready_agent(self) -> Any:
        if self._agent is None or not self._agent.is_ready():
            raise DialogueUnavailable("no model loaded")
        return self._agent

    async def start(self, sid: str, metadata: Mapping[str, Any]) -> list[Message]:
        agent = self._ready_agent()
        output = VoiceOutput()
        forget_left_asking()
        async with agent.lock_store.lock(sid):
            processor = agent.processor
            tracker = await processor.fetch_tracker_with_initial_session(
                sid, output, {**metadata, OPENED_ON_CONNECT: True}
            )
            await processor.save_tracker(tracker)
        return output.messages

    async def send(self, sid: str, text: str, metadata: Mapping[str, Any]) -> list[Message]:
        self._ready_agent()
        output = VoiceOutput()
        message = UserMessage(
            text, output, sid, input_channel=CHANNEL_NAME, metadata=dict(metadata)
        )
        forget_left_asking()
        await self._on_new_message(message)
        return output.messages

    async def requested_slot(self, sid: str) -> Optional[str]:
        known, slot = left_asking(sid)  # the turn just saved it (our tracker store)
        if known:
            return slot
        tracker = await self._ready_agent().tracker_store.retrieve(sid)
        return None if tracker is None else asking(tracker)

    async def intent_of(self, text: str) -> Optional[str]:
        parsed = await self._ready_agent().parse_message(text)
        name = (parsed.get("intent") or {}).get("name")
        return str(name) if name else None
