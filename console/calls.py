"""Phone call records for the audit: the phone channel keeps one hash per call,
`hotline:call:<CallSid>` (channels/voice/store.py), and a phone conversation's id is its
CallSid. The console reads the hash itself, so bot/ never imports channels/."""

from __future__ import annotations

from functools import lru_cache

import redis

from bot.config import hotline_config
from bot.script_audit import HangupRule, hangup_rule_from_config

CALL_KEY = "hotline:call:{sid}"


def call_record(client: redis.Redis[bytes], conversation_id: str) -> dict[str, str] | None:
    """The call's record, or None when the conversation was not a phone call."""
    try:
        raw = client.hgetall(CALL_KEY.format(sid=conversation_id))
    except redis.ResponseError:  # an id naming one of the channel's other keys (`:req:`)
        return None
    if not raw:
        return None
    return {k.decode("utf-8", "replace"): v.decode("utf-8", "replace") for k, v in raw.items()}


@lru_cache(maxsize=1)
def hangup_rule() -> HangupRule:
    return hangup_rule_from_config(hotline_config())
