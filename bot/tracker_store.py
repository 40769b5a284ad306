"""Rasa's Redis tracker store, storing each tracker compressed (bot/tracker_codec.py).

Configured in endpoints.yml (`tracker_store: type: bot.tracker_store.CompactRedisTrackerStore`)
with the same settings as Rasa's `redis` type. Only the stored representation changes;
keys, expiry and session handling are Rasa's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Optional, Union

import redis
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_codec import decode_text, encode_dialogue


class CompactRedisTrackerStore(RedisTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Rasa's client decodes every reply as UTF-8 text; compressed values are bytes.
        pool = self.red.connection_pool
        connection = dict(pool.connection_kwargs, decode_responses=False)
        self.red = redis.StrictRedis(connection_pool=redis.ConnectionPool(
            connection_class=pool.connection_class, **connection))

    def serialise_tracker(self, tracker: DialogueStateTracker) -> bytes:  # type: ignore[override]
        return encode_dialogue(super().serialise_tracker(tracker))

    def deserialise_tracker(
        self, sender_id: str, serialised_tracker: Union[str, bytes]
    ) -> Optional[DialogueStateTracker]:
        return super().deserialise_tracker(sender_id, decode_text(serialised_tracker))

    async def keys(self) -> Iterable[str]:
        return [key.decode() for key in self.red.keys(self.key_prefix + "*")]
