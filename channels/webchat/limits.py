"""Flood control: a sliding one-second window per key (conversation id or socket id)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """Allow at most `max_events` per `window_s` seconds for each key.

    Only allowed events are counted, so a client that keeps flooding is let
    through again at the permitted rate rather than locked out for good.
    """

    PRUNE_ABOVE = 10_000

    def __init__(
        self,
        max_events: int,
        window_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_events <= 0:
            raise ValueError("max_events must be positive")
        self.max_events = max_events
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= self.window_s:
            hits.popleft()
        if len(hits) >= self.max_events:
            return False
        hits.append(now)
        if len(self._hits) > self.PRUNE_ABOVE:
            self._prune(now)
        return True

    def forget(self, key: str) -> None:
        self._hits.pop(key, None)

    def __len__(self) -> int:
        return len(self._hits)

    def _prune(self, now: float) -> None:
        stale = [k for k, hits in self._hits.items() if not hits or now - hits[-1] >= self.window_s]
        for key in stale:
            del self._hits[key]
