"""Render a domain response inside a channel, for the rare replies made without a turn."""

from __future__ import annotations

import logging
from typing import Any, Optional

from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic

logger = logging.getLogger(__name__)


async def scripted_reply(
    app: Sanic, response_name: str, sender_id: str, channel: str
) -> Optional[dict[str, Any]]:
    """The domain's `response_name` for this channel, or None if it can't be rendered."""
    agent = getattr(app.ctx, "agent", None)
    processor = getattr(agent, "processor", None)
    if processor is None:
        return None
    try:
        tracker = DialogueStateTracker(sender_id, processor.domain.slots)
        return await processor.nlg.generate(response_name, tracker, channel)
    except Exception:  # noqa: BLE001 - a reply of last resort must not raise
        logger.exception("could not render %s", response_name)
        return None
