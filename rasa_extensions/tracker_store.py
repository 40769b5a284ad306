"""Rasa's Redis tracker store, storing each tracker compressed (bot/tracker_codec.py).

Configured in endpoints.yml
(`tracker_store: type: rasa_extensions.tracker_store.CompactRedisTrackerStore`) with the same
settings as Rasa's `redis` type. Keys, expiry and session handling are Rasa's own.

Three shortcuts, each keeping Rasa's results (tests/test_tracker_store.py):

- on save: Rasa's processor works on the last session of a conversation, so Rasa's
  `save` re-reads the stored tracker, rebuilds every event and merges the two (about
  17 % of the server's CPU under load). When the stored events are followed, in order,
  by the tracker being saved — the usual case, one writer per conversation under the
  lock store — the merge is the stored events plus the tracker's new ones; this store
  appends those to the stored JSON directly and falls back to Rasa's merge otherwise;
- on retrieve: Rasa rebuilds every event of every session, then rebuilds each session
  again to return the last one; this store rebuilds only the last session's events;
- whether a conversation's last session was closed by a closing line is kept beside the
  tracker (`hotline:closed:<id>`, 1 or 0, written with it, outside the trackers' own key
  space; no flag means "read the tracker", e.g. one saved by an earlier version),
  so the channels can tell without reading the tracker (channels/sessions.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any, Optional, Union

import redis
from rasa.core.tracker_store import DEFAULT_REDIS_TRACKER_STORE_KEY_PREFIX, RedisTrackerStore
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_codec import (
    TrackerDecodeError,
    closed_flag_key,
    decode_dialogue,
    decode_text,
    encode_dialogue,
)
from rasa_extensions import startup
from rasa_extensions.turns import CLOSED_SLOT

logger = logging.getLogger(__name__)

class CompactRedisTrackerStore(RedisTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not startup.installed():
            # Built at server start: say so when the server was started without the hook.
            logger.warning("the server runs without its start-up hook (action server down "
                           "handling, speedups): start it with `python -m rasa_extensions run`")
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
        payload = _appended(stored, tracker) if stored is not None else None
        if payload is None:
            prior = self.deserialise_tracker(tracker.sender_id, stored) if stored else None
            merged = self._merge_trackers(prior, tracker) if prior is not None else tracker
            payload = self.serialise_tracker(merged)
        closed_key = self.closed_key(tracker.sender_id)
        with self.red.pipeline(transaction=False) as pipe:
            pipe.set(key, payload, ex=timeout)
            pipe.set(closed_key, b"1" if tracker.get_slot(CLOSED_SLOT) else b"0", ex=timeout)
            pipe.execute()

    def closed_key(self, sender_id: str) -> str:
        base = self.key_prefix.removesuffix(DEFAULT_REDIS_TRACKER_STORE_KEY_PREFIX)
        return closed_flag_key(base, sender_id)

    async def is_closed(self, sender_id: str) -> Optional[bool]:
        """Was the conversation's last session closed by a closing line (as saved)?
        None when no flag was saved: a new conversation, or one saved before the flag
        existed (then the caller reads the tracker)."""
        flag = self.red.get(self.closed_key(sender_id))
        return None if flag is None else flag == b"1"

    async def _retrieve(
        self, sender_id: str, fetch_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        stored = self.red.get(self.key_prefix + sender_id)
        if stored is None:
            return None
        if fetch_all_sessions:
            return self.deserialise_tracker(sender_id, stored)
        try:
            events = decode_dialogue(stored).get("events") or []
        except TrackerDecodeError:
            logger.exception("tracker of %s could not be read", sender_id)
            return None
        # Only the last session (from its `action_session_start`), rebuilt once.
        return DialogueStateTracker.from_dict(
            sender_id, events[_last_session_start(events):], self.domain.slots
        )

    def serialise_tracker(self, tracker: DialogueStateTracker) -> bytes:  # type: ignore[override]
        return encode_dialogue(super().serialise_tracker(tracker))

    def deserialise_tracker(
        self, sender_id: str, serialised_tracker: Union[str, bytes]
    ) -> Optional[DialogueStateTracker]:
        return super().deserialise_tracker(sender_id, decode_text(serialised_tracker))

    async def keys(self) -> Iterable[str]:
        return [key.decode() for key in self.red.keys(self.key_prefix + "*")]


def _last_session_start(events: list[Any]) -> int:
    """Index of the last `action_session_start` (0 when there is none), where Rasa's
    `get_trackers_for_conversation_sessions` starts the last session."""
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.get("event") == "action" and event.get("name") == ACTION_SESSION_START_NAME:
            return index
    return 0


def _appended(stored: bytes | str, tracker: DialogueStateTracker) -> Optional[bytes]:
    """The stored dialogue with the tracker's new events appended, or None when the
    tracker does not continue the stored events (then Rasa's merge decides)."""
    try:
        events = decode_dialogue(stored).get("events") or []
    except TrackerDecodeError:
        return None
    offset = _offset(events, tracker.events) if tracker.events else None
    if offset is None:
        return None
    new = [event.as_dict() for event in list(tracker.events)[len(events) - offset:]]
    return encode_dialogue(json.dumps({"events": events + new, "name": tracker.sender_id}))


def _offset(stored: list[Any], events: Any) -> Optional[int]:
    """Where the tracker's first event sits among the stored events, when the stored
    events from there on are the tracker's beginning (checked at both ends)."""
    if not stored:
        return 0
    first = events[0]
    for index, candidate in enumerate(stored):
        if candidate.get("timestamp") != first.timestamp or not _same(candidate, first):
            continue
        last = len(stored) - 1 - index
        if last < len(events) and _same(stored[-1], events[last]):
            return index
        return None
    return None


def _same(stored_event: Any, event: Any) -> bool:
    # Compared as JSON, the way both were (or will be) stored.
    return json.dumps(stored_event, sort_keys=True) == json.dumps(event.as_dict(), sort_keys=True)
