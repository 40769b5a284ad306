"""What the web chat asks of Rasa: start a session, read the history, handle a message.

Session start. Rasa runs `action_session_start` when a tracker has no events
or its last session expired, but only when a user message arrives
(`MessageProcessor.log_message`). Sending a user message `/session_start` is
not a clean trigger: on a new tracker the processor first runs the session
start itself and then the RulePolicy's default rule maps the `session_start`
intent to `action_session_start` again, so the opening line would be said
twice, and a fake user turn would be stored. Instead, `start_session` calls
`MessageProcessor.fetch_tracker_and_update_session` (the public method
`log_message` uses) under the conversation's lock and saves the tracker: the
custom `action_session_start` runs exactly once per Rasa session, with the
channel metadata in the `session_started_metadata` slot, and nothing happens
for a conversation whose session is still running (a reload or reconnect).
"""

from __future__ import annotations

import time
from typing import Any, Optional, Protocol

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted
from sanic import Sanic

from bot.dialogue.planner import OPENED_ON_CONNECT
from channels.payloads import button_payloads, event_payloads
from channels.sessions import reopen_if_closed
from channels.webchat.history import visible_history

# What the widget sends of its own accord: the idle timeout.
WIDGET_PAYLOADS = event_payloads(["idle_timeout"])

class ConversationGateway(Protocol):
    """The operations the socket handlers need (the real one wraps the Rasa agent)."""

    def is_ready(self) -> bool: ...

    def allowed_payloads(self) -> frozenset[str]: ...

    async def start_session(
        self, sender_id: str, output_channel: OutputChannel, metadata: dict[str, Any]
    ) -> bool: ...

    async def history(self, sender_id: str, limit: int) -> list[dict[str, Any]]: ...

    async def handle_message(self, message: UserMessage) -> None: ...


class AgentGateway:
    """`ConversationGateway` over the Rasa server's `app.ctx.agent`."""

    def __init__(self, app: Sanic, on_new_message: Any) -> None:
        self._app = app
        self._on_new_message = on_new_message
        self._payloads: Optional[tuple[int, frozenset[str]]] = None

    @property
    def _agent(self) -> Any:
        return getattr(self._app.ctx, "agent", None)

    def is_ready(self) -> bool:
        agent = self._agent
        return bool(agent is not None and agent.is_ready())

    def allowed_payloads(self) -> frozenset[str]:
        """The buttons the assistant offers (domain.yml) and the widget's own events."""
        domain = self._agent.domain if self._agent is not None else None
        if domain is None:
            return WIDGET_PAYLOADS
        if self._payloads is None or self._payloads[0] != id(domain):
            self._payloads = (id(domain), button_payloads(domain.responses) | WIDGET_PAYLOADS)
        return self._payloads[1]

    async def start_session(
        self, sender_id: str, output_channel: OutputChannel, metadata: dict[str, Any]
    ) -> bool:
        agent = self._agent
        started_after = time.time()
        async with agent.lock_store.lock(sender_id):
            processor = agent.processor
            tracker = await processor.fetch_tracker_and_update_session(
                sender_id, output_channel, {**metadata, OPENED_ON_CONNECT: True}
            )
            started = any(
                isinstance(event, ActionExecuted)
                and event.action_name == ACTION_SESSION_START_NAME
                and event.timestamp >= started_after
                for event in reversed(tracker.events)
            )
            if started:
                await processor.save_tracker(tracker)
        return started

    async def history(self, sender_id: str, limit: int) -> list[dict[str, Any]]:
        tracker = await self._agent.tracker_store.retrieve_full_tracker(sender_id)
        if tracker is None:
            return []
        return visible_history(tracker.events, limit)

    async def handle_message(self, message: UserMessage) -> None:
        # After a closing line, the next message opens a new session (opening line first).
        await reopen_if_closed(self._agent, message.sender_id)
        await self._on_new_message(message)
