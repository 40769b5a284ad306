"""Callback outcomes learned on the phone, written to the callback scheduler.

The channel learns how a callback call went (refused, wrong number, no answer
…) in the Rasa server process; `SchedulerOutcomes` records it with
`CallbackScheduler.record_outcome(..., actor="phone", attempt=n)`, which
schedules the retry or finishes the callback and writes the ticket. The
scheduler's client is synchronous, so the call runs in a worker thread.
Failures are logged, never raised into a call.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any, Optional, Protocol

from bot.callbacks.scheduler import CallbackNotFound, CallbackStateError
from bot.wiring import build_callback_scheduler

logger = logging.getLogger(__name__)

ACTOR = "phone"


class OutcomeSink(Protocol):
    async def __call__(self, callback_id: str, outcome: str, attempt: Optional[int]) -> None: ...


class SchedulerOutcomes:
    def __init__(self, build: Callable[[], Any] = build_callback_scheduler) -> None:
        self._build = build
        self._scheduler: Any = None
        self._lock = threading.Lock()

    def _record(self, callback_id: str, outcome: str, attempt: Optional[int]) -> None:
        with self._lock:
            if self._scheduler is None:
                self._scheduler = self._build()
        self._scheduler.record_outcome(callback_id, outcome, ACTOR, attempt=attempt)

    async def __call__(self, callback_id: str, outcome: str, attempt: Optional[int]) -> None:
        if not callback_id:
            return
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, self._record, callback_id, outcome, attempt)
            logger.info("callback %s attempt %s: outcome %s recorded", callback_id,
                        attempt or "?", outcome)
        except (CallbackNotFound, CallbackStateError) as exc:
            # e.g. an agent recorded this attempt first, or it was cancelled meanwhile
            logger.warning("callback %s: outcome %s not recorded: %s", callback_id, outcome, exc)
        except Exception:  # noqa: BLE001 - the call goes on; the record stays on the call hash
            logger.exception("callback %s: recording outcome %s failed", callback_id, outcome)
