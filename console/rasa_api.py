"""`ConversationControl` over the Rasa server's HTTP API (web-chat take-over).

The Rasa server stays the only writer of its trackers: every change goes through its
API, which takes the conversation's lock (Redis lock store). `output_channel=webchat`
makes Rasa send the new bot events through the web chat's output channel, i.e. live to
the customer's Socket.IO room.

- take-over: `ConversationPaused` (the bot logs the customer's messages, says nothing)
  and a `takeover` control notice;
- agent line: a bot event with `metadata.agent` (transcripts, script audit, widget label);
- hand-back: `ConversationResumed`, the `handback` notice, then the intent
  `handoff_finished`, whose rule thanks the customer and asks the satisfaction question.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.takeover import ControlUnavailable

logger = logging.getLogger("hotline.console.takeover")

OUTPUT_CHANNEL = "webchat"
HANDBACK_INTENT = "handoff_finished"


def _control(event: str, agent: str) -> dict[str, Any]:
    """A control notice for the widget (`{"hotline": {...}}`), stored as an agent bot event."""
    return {"event": "bot", "text": None,
            "data": {"custom": {"hotline": {"event": event, "agent": agent}}},
            "metadata": {"agent": agent}}


class RasaConversationControl:
    def __init__(self, base_url: str, token: str, timeout_s: float = 30) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def _post(self, conversation_id: str, path: str, body: Any) -> None:
        url = f"{self._base}/conversations/{quote(conversation_id, safe='')}/{path}"
        params = {"token": self._token, "output_channel": OUTPUT_CHANNEL,
                  "execute_side_effects": "true"}
        try:
            async with aiohttp.ClientSession(timeout=self._timeout) as session, \
                    session.post(url, json=body, params=params) as response:
                if response.status >= 300:
                    detail = (await response.text())[:300]
                    logger.error("Rasa refused %s for %s: %s %s", path, conversation_id,
                                 response.status, detail)
                    raise ControlUnavailable(f"Rasa answered {response.status}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            logger.error("Rasa unreachable for %s of %s: %s", path, conversation_id, exc)
            raise ControlUnavailable(str(exc)) from exc

    async def pause(self, conversation_id: str, agent: str) -> None:
        await self._post(conversation_id, "tracker/events",
                         [{"event": "pause"}, _control("takeover", agent)])

    async def say(self, conversation_id: str, agent: str, text: str) -> None:
        await self._post(conversation_id, "tracker/events",
                         [{"event": "bot", "text": text, "metadata": {"agent": agent}}])

    async def hand_back(self, conversation_id: str, agent: str) -> None:
        await self._post(conversation_id, "tracker/events",
                         [{"event": "resume"}, _control("handback", agent)])
        await self._post(conversation_id, "trigger_intent", {"name": HANDBACK_INTENT})
