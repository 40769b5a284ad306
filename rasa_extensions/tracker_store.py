"""Rasa's Redis tracker store, storing each tracker compressed (bot/tracker_codec.py).

Configured in endpoints.yml
(`tracker_store: type: rasa_extensions.tracker_store.CompactRedisTrackerStore`) with the same
settings as Rasa's `redis` type. Keys, expiry and session handling are Rasa's own.

Shortcuts, each keeping Rasa's results (tests/test_tracker_store.py):

- on save: Rasa's processor works on the last session of a conversation, so Rasa's
  `save` re-reads the stored tracker, rebuilds every event and merges the two (about
  17 % of the server's CPU under load). When the stored events are followed, in order,
  by the tracker being saved — the usual case, one writer per conversation under the
  lock store — the merge is the stored events plus the tracker's new ones; this store
  appends those to the stored JSON directly and falls back to Rasa's merge otherwise;
- and when this replica read the conversation earlier in the turn, it does not read it
  again: it remembers what it read (a digest, where the last session starts, its first
  and last events), appends the new events' JSON to the stored text without parsing or
  re-encoding the older events, and writes it in one script that checks the stored
  value is still the one read (`lua/tracker_replace.lua`); anything else takes the
  path above;
- on retrieve: Rasa rebuilds every event of every session, then rebuilds each session
  again to return the last one; this store rebuilds only the last session's events;
- whether a conversation's last session was closed by a closing line is kept beside the
  tracker (`hotline:closed:<id>`, 1 or 0, written with it, outside the trackers' own key
  space; no flag means "read the tracker", e.g. one saved by an earlier version),
  so the channels can tell without reading the tracker (channels/sessions.py);
- after a save, the task that saved knows what the conversation was left asking
  (`left_asking`): the voice channel picks keypad or speech input by the form's
  requested slot, and no longer reads back the tracker it has just written.

A turn's reads and writes go through `redis.asyncio` (rasa_extensions/async_redis.py), so
the server's event loop runs other turns while Redis answers; `keys` and anything
synchronous keep Rasa's blocking client (`red`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

import redis
from rasa.core.tracker_store import DEFAULT_REDIS_TRACKER_STORE_KEY_PREFIX, RedisTrackerStore
from rasa.shared.core.constants import ACTION_SESSION_START_NAME, REQUESTED_SLOT
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_codec import (
    TrackerDecodeError,
    closed_flag_key,
    decode_dialogue,
    decode_text,
    encode_dialogue,
)
from rasa_extensions import startup
from rasa_extensions.async_redis import LoopClients
from rasa_extensions.turns import CLOSED_SLOT

logger = logging.getLogger(__name__)

LUA = Path(__file__).resolve().parent / "lua"
# Conversations whose last read is remembered until their save (turns in progress on one
# replica are far fewer; a forgotten one only takes the longer path).
REMEMBERED_READS = 1024


@dataclass(frozen=True)
class _Read:
    """What a turn read of a conversation, enough to append to it without reading again."""

    raw: bytes  # the stored value as read
    count: int  # stored events
    start: int  # index of the last session's first event (the retrieved tracker's first)
    first: dict[str, Any]  # that event, as stored
    last: dict[str, Any]  # the last stored event

    def digest(self) -> str:
        return hashlib.sha1(self.raw).hexdigest()

    def appended(self, tracker: DialogueStateTracker) -> Optional[bytes]:
        """The stored value with the tracker's new events, or None when the tracker does
        not continue what was read (or the text is not in the form written here)."""
        events = tracker.events
        kept = self.count - self.start  # events of the tracker that were stored
        if (not events or len(events) < kept or not _same(self.first, events[0])
                or not _same(self.last, events[kept - 1])):
            return None
        text = _text(self.raw)
        end = '], "name": ' + json.dumps(tracker.sender_id) + "}"
        if text is None or not text.endswith(end):
            return None
        new = [json.dumps(event.as_dict()) for event in list(events)[kept:]]
        if not new:
            return self.raw
        joined = ", ".join(new)
        return encode_dialogue(f"{text[:-len(end)]}, {joined}{end}")


# (conversation, the form's requested slot or None) as the current task last saved it.
# A context variable: a webhook's turn saves and reads it in the one task, and no other
# request sees it.
_LEFT_ASKING: ContextVar[Optional[tuple[str, Optional[str]]]] = ContextVar(
    "hotline_left_asking", default=None)


def left_asking(sender_id: str) -> tuple[bool, Optional[str]]:
    """(known, slot): the slot a form was asking for when this task last saved the
    conversation; known is False when this task has not saved it since it forgot."""
    saved = _LEFT_ASKING.get()
    if saved is None or saved[0] != sender_id:
        return False, None
    return True, saved[1]


def forget_left_asking() -> None:
    """Start of a turn: what an earlier request on this connection saved no longer counts."""
    _LEFT_ASKING.set(None)


def asking(tracker: DialogueStateTracker) -> Optional[str]:
    """The slot the active form is asking for, or None."""
    slot = tracker.get_slot(REQUESTED_SLOT) if tracker.active_loop_name else None
    return str(slot) if slot else None


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
        self.turn_redis = LoopClients(self.red)
        self.turn_redis.add_script("replace", (LUA / "tracker_replace.lua").read_text())
        self._reads: OrderedDict[str, _Read] = OrderedDict()

    async def save(self, tracker: DialogueStateTracker, timeout: Optional[float] = None) -> None:
        await self._save(tracker, timeout)
        _LEFT_ASKING.set((tracker.sender_id, asking(tracker)))

    async def _save(self, tracker: DialogueStateTracker, timeout: Optional[float]) -> None:
        await self.stream_events(tracker)
        if not timeout and self.record_exp:
            timeout = self.record_exp
        key = self.key_prefix + tracker.sender_id
        closed = b"1" if tracker.get_slot(CLOSED_SLOT) else b"0"
        read = self._reads.pop(tracker.sender_id, None)
        if read is not None and await self._replace_read(read, tracker, closed, timeout):
            return
        red = self.turn_redis.client()
        stored = await red.get(key)
        payload = _appended(stored, tracker) if stored is not None else None
        if payload is None:
            prior = self.deserialise_tracker(tracker.sender_id, stored) if stored else None
            merged = self._merge_trackers(prior, tracker) if prior is not None else tracker
            payload = self.serialise_tracker(merged)
        closed_key = self.closed_key(tracker.sender_id)
        async with red.pipeline(transaction=False) as pipe:
            pipe.set(key, payload, ex=timeout)
            pipe.set(closed_key, closed, ex=timeout)
            await pipe.execute()

    async def _replace_read(self, read: _Read, tracker: DialogueStateTracker, closed: bytes,
                            timeout: Optional[float]) -> bool:
        """Append the turn's events to what it read; False when that is not possible."""
        payload = read.appended(tracker)
        if payload is None:
            return False
        seconds = max(1, int(timeout)) if timeout else 0
        return bool(await self.turn_redis.script("replace")(
            keys=[self.key_prefix + tracker.sender_id, self.closed_key(tracker.sender_id)],
            args=[read.digest(), payload, closed, seconds]))

    def closed_key(self, sender_id: str) -> str:
        base = self.key_prefix.removesuffix(DEFAULT_REDIS_TRACKER_STORE_KEY_PREFIX)
        return closed_flag_key(base, sender_id)

    async def is_closed(self, sender_id: str) -> Optional[bool]:
        """Was the conversation's last session closed by a closing line (as saved)?
        None when no flag was saved: a new conversation, or one saved before the flag
        existed (then the caller reads the tracker)."""
        flag = await self.turn_redis.client().get(self.closed_key(sender_id))
        return None if flag is None else flag == b"1"

    async def _retrieve(
        self, sender_id: str, fetch_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        stored = await self.turn_redis.client().get(self.key_prefix + sender_id)
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
        start = _last_session_start(events)
        if events and isinstance(stored, bytes):
            self._remember(sender_id, _Read(stored, len(events), start, events[start],
                                            events[-1]))
        return DialogueStateTracker.from_dict(sender_id, events[start:], self.domain.slots)

    def _remember(self, sender_id: str, read: _Read) -> None:
        self._reads[sender_id] = read
        self._reads.move_to_end(sender_id)
        while len(self._reads) > REMEMBERED_READS:
            self._reads.popitem(last=False)

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


def _text(raw: bytes) -> Optional[str]:
    try:
        return decode_text(raw)
    except TrackerDecodeError:
        return None


def _same(stored_event: Any, event: Any) -> bool:
    # Compared as JSON, the way both were (or will be) stored.
    return json.dumps(stored_event, sort_keys=True) == json.dumps(event.as_dict(), sort_keys=True)
