"""Sessions across channels: after a closing line, the next message opens a new session.

`action_end_conversation` marks the session closed (slot `session_closed`). A
channel calls `reopen_if_closed` before handing the next message to Rasa: it
restarts the tracker, so Rasa runs `action_session_start` (the opening line)
for that message, as it does for a brand-new conversation.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.shared.core.events import Restarted

logger = logging.getLogger(__name__)

CLOSED_SLOT = "session_closed"


async def reopen_if_closed(agent: Any, sender_id: str) -> bool:
    """Restart a closed conversation; True when it was closed."""
    processor = getattr(agent, "processor", None)
    if processor is None:
        return False
    # Rasa wraps the configured store in a fail-safe store (`_tracker_store`).
    store = getattr(agent.tracker_store, "_tracker_store", agent.tracker_store)
    is_closed = getattr(store, "is_closed", None)
    if is_closed is not None and await is_closed(sender_id) is False:
        return False  # the store keeps the flag with the tracker: no read, no lock
    async with agent.lock_store.lock(sender_id):
        tracker = await processor.get_tracker(sender_id)
        if not tracker.get_slot(CLOSED_SLOT):
            return False
        # The restart's own follow-up (an immediate session start) is not kept: the
        # session starts when the next message is handled, so the opening comes first.
        tracker.update(Restarted())
        tracker.followup_action = None
        await processor.save_tracker(tracker)
    logger.debug("conversation %s reopened after its closing line", sender_id)
    return True
