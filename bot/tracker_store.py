"""Rasa's Redis tracker store, storing each tracker compressed (bot/tracker_codec.py).

Configured in endpoints.yml (`tracker_store: type: bot.tracker_store.CompactRedisTrackerStore`)
with the same settings as Rasa's `redis` type. Keys, expiry and session handling are
Rasa's own. One shortcut on save: Rasa re-reads the stored tracker, rebuilds all its
events and replays the new tracker back in time to merge the two (needed when the
tracker in memory holds only the last session). When the stored events are already the
start of the tracker being saved — the usual case — that merge returns the new tracker
unchanged, so this store checks that on the stored JSON and skips the rebuild.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Optional, Union

import redis
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_codec import TrackerDecodeError, decode_dialogue, decode_text, encode_dialogue


class CompactRedisTrackerStore(RedisTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Rasa's client decodes every reply as UTF-8 text; compressed values are bytes.
        pool = self.red.connection_pool
        connection = dict(pool.connection_kwargs, decode_responses=False)
        self.red = redis.StrictRedis(connection_pool=redis.ConnectionPool(
            connection_class=pool.connection_class, **connection))

    async def save(self, tracker: DialogueStateTracker, timeout: Optional[float] = None) -> None:
        await self.stream_events(tracker)
        if not timeout and self.record_exp:
            timeout = self.record_exp
        key = self.key_prefix + tracker.sender_id
        stored = self.red.get(key)
        if stored is not None and not _extends(stored, tracker):
            prior = self.deserialise_tracker(tracker.sender_id, stored)
            if prior is not None:
                tracker = self._merge_trackers(prior, tracker)
        self.red.set(key, self.serialise_tracker(tracker), ex=timeout)

    def serialise_tracker(self, tracker: DialogueStateTracker) -> bytes:  # type: ignore[override]
        return encode_dialogue(super().serialise_tracker(tracker))

    def deserialise_tracker(
        self, sender_id: str, serialised_tracker: Union[str, bytes]
    ) -> Optional[DialogueStateTracker]:
        return super().deserialise_tracker(sender_id, decode_text(serialised_tracker))

    async def keys(self) -> Iterable[str]:
        return [key.decode() for key in self.red.keys(self.key_prefix + "*")]


def _extends(stored: bytes | str, tracker: DialogueStateTracker) -> bool:
    """True when the stored events are the first events of `tracker` (no merge needed)."""
    try:
        events = decode_dialogue(stored).get("events") or []
    except TrackerDecodeError:
        return False
    if not events:
        return True
    if len(events) > len(tracker.events):
        return False
    last = len(events) - 1
    return _same(events[0], tracker.events[0]) and _same(events[last], tracker.events[last])


def _same(stored_event: Any, event: Any) -> bool:
    # Compared as JSON, the way both were (or will be) stored.
    return json.dumps(stored_event, sort_keys=True) == json.dumps(event.as_dict(), sort_keys=True)
