"""Take-over of a web chat by a person: claim, agent messages, hand-back to the bot.

One agent at a time per conversation (a Lua script on `hotline:takeover:<conversation>`).
Taking over pauses the bot for that conversation; the agent's lines are checked against
the forbidden phrases before they reach the customer; handing back resumes the bot,
which thanks the customer and asks the satisfaction question (the normal closing path),
and the hand-off record is resolved with the agent's name.

What happens in the conversation itself (pause, agent lines, hand-back) goes through a
`ConversationControl`: the console implements it over Rasa's HTTP API, so the Rasa
server stays the only writer of its trackers, under its lock store. This module knows
Redis and the tracker's event dicts, nothing about HTTP.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional, Protocol

import redis

from bot.clock import Clock, SystemClock
from bot.compliance import ForbiddenPhraseMatcher, default_matcher
from bot.config import hotline_config
from bot.handoffs import EVENTS_STREAM, HANDOFF_KEY, WAITING_INDEX, HandoffQueue
from bot.redis_client import register_lua

LUA = Path(__file__).resolve().parent / "lua"  # bot/lua: Redis scripts of bot/ modules

TAKEOVER_KEY = "hotline:takeover:{conversation_id}"
# Channels whose customer can be served live by an agent (the phone transfers calls instead).
SUPPORTED_CHANNELS = frozenset({"webchat"})
ACTIVE, HANDED_BACK = "active", "handed_back"
STREAM_MAXLEN = 10000





logger = logging.getLogger(__name__)

class TakeoverRefused(Exception):
    """An operation the console must refuse; `message` is shown to the agent (Chinese)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ControlUnavailable(Exception):
    """The conversation could not be changed (the Rasa server did not answer or refused)."""


class ConversationControl(Protocol):
    """What a take-over does to the conversation (implemented over Rasa's HTTP API)."""

    async def pause(self, conversation_id: str, agent: str) -> None:
        """Stop the bot answering and tell the customer that `agent` has joined."""

    async def say(self, conversation_id: str, agent: str, text: str) -> None:
        """Store `text` as a bot turn with `metadata.agent` and deliver it live."""

    async def hand_back(self, conversation_id: str, agent: str) -> None:
        """Resume the bot, which closes the person's part and asks for satisfaction."""


@dataclass(frozen=True)
class Takeover:
    conversation_id: str
    agent: str
    status: str  # active | handed_back
    taken_at: str
    handed_back_at: str = ""

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


def _parse(raw: bytes | str) -> Takeover:
    data = json.loads(raw)
    return Takeover(**{k: data[k] for k in Takeover.__dataclass_fields__ if k in data})


# -- the conversation, read from its tracker's events (Rasa's serialised dicts) ------------
def _since_restart(events: Sequence[Mapping[str, Any]]) -> Sequence[Mapping[str, Any]]:
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "restart":
            return events[index + 1:]
    return events


def _slot(events: Sequence[Mapping[str, Any]], name: str) -> Any:
    for event in reversed(_since_restart(events)):
        if event.get("event") == "slot" and event.get("name") == name:
            return event.get("value")
    return None


def conversation_channel(events: Sequence[Mapping[str, Any]]) -> str:
    """The channel the customer uses: the `channel` slot, else the last user turn's channel."""
    channel = _slot(events, "channel")
    if isinstance(channel, str) and channel:
        return channel
    for event in reversed(events):
        if event.get("event") == "user" and event.get("input_channel"):
            return str(event["input_channel"])
    return ""


def is_closed(events: Sequence[Mapping[str, Any]]) -> bool:
    """The conversation ended with a closing line (the next message starts a new one)."""
    return bool(_slot(events, "session_closed"))


def is_paused(events: Sequence[Mapping[str, Any]]) -> bool:
    for event in reversed(_since_restart(events)):
        kind = event.get("event")
        if kind in ("pause", "resume", "session_started"):
            return kind == "pause"
    return False


class TakeoverService:
    """Claim, relay and hand back; one instance per console process."""

    def __init__(
        self,
        client: redis.Redis[bytes],
        control: ConversationControl,
        matcher: ForbiddenPhraseMatcher | None = None,
        clock: Clock | None = None,
        max_chars: int | None = None,
    ) -> None:
        self._redis = client
        self._control = control
        self._matcher = matcher
        self._clock = clock or SystemClock()
        self._handoffs = HandoffQueue(client, self._clock)
        self._claim = register_lua(client, LUA / "takeover_claim.lua")
        self._release = register_lua(client, LUA / "takeover_release.lua")
        self._resolve = register_lua(client, LUA / "takeover_resolve.lua")
        self.max_chars = max_chars or hotline_config().dialogue.max_message_chars

    @property
    def matcher(self) -> ForbiddenPhraseMatcher:
        return self._matcher or default_matcher()

    def _key(self, conversation_id: str) -> str:
        return TAKEOVER_KEY.format(conversation_id=conversation_id)

    def get(self, conversation_id: str) -> Optional[Takeover]:
        raw = self._redis.get(self._key(conversation_id))
        return _parse(raw) if raw else None

    @staticmethod
    def check_supported(events: Optional[Sequence[Mapping[str, Any]]]) -> None:
        """Refuse unknown conversations and channels other than the web chat."""
        if events is None:
            raise TakeoverRefused("not_found", "没有这个会话。")
        if conversation_channel(events) not in SUPPORTED_CHANNELS:
            raise TakeoverRefused(
                "unsupported_channel",
                "只有网页在线客服会话支持人工接管;电话和其他渠道的会话请按转接流程处理。",
            )

    async def take_over(
        self, conversation_id: str, agent: str, events: Optional[Sequence[Mapping[str, Any]]]
    ) -> Takeover:
        """Claim the conversation for `agent` and pause the bot; idempotent for the holder."""
        if not agent:
            raise ValueError("an agent name is needed")
        self.check_supported(events)
        assert events is not None
        if is_closed(events):
            raise TakeoverRefused("closed", "该会话已结束,无法接管。")
        handoff = self._handoffs.get(conversation_id)
        holder = self._handoff_holder(conversation_id)
        if holder and holder != agent:
            raise TakeoverRefused("claimed", f"该转人工已由 {holder} 认领。")
        record = Takeover(conversation_id, agent, ACTIVE, self._clock.now().isoformat())
        outcome, raw = self._claim(keys=[self._key(conversation_id)],
                                   args=[record.to_json(), agent])
        current = _parse(raw)
        if outcome == 2:
            raise TakeoverRefused("claimed", f"该会话已由 {current.agent} 接管。")
        if outcome == 1:
            return current
        try:
            await self._control.pause(conversation_id, agent)
        except ControlUnavailable:
            self._release(keys=[self._key(conversation_id)], args=[agent, ""])
            raise
        if handoff is not None and handoff.claimed_by is None:
            self._handoffs.claim(conversation_id, agent)  # off the waiting queue
        return current

    def _handoff_holder(self, conversation_id: str) -> Optional[str]:
        """The agent who claimed the conversation's hand-off and has not resolved it yet."""
        raw = self._redis.get(HANDOFF_KEY.format(conversation_id=conversation_id))
        record = json.loads(raw) if raw else {}
        holder = record.get("claimed_by")
        return holder if isinstance(holder, str) and not record.get("resolved_at") else None

    def _holding(self, conversation_id: str, agent: str) -> Takeover:
        current = self.get(conversation_id)
        if current is None or not current.active:
            raise TakeoverRefused("not_taken", "请先接管该会话。")
        if current.agent != agent:
            raise TakeoverRefused("claimed", f"该会话已由 {current.agent} 接管。")
        return current

    def check_message(self, text: Any) -> str:
        """The agent's line, trimmed; refused when empty, too long or with a forbidden phrase."""
        if not isinstance(text, str) or not text.strip():
            raise TakeoverRefused("empty_message", "请输入要发送的内容。")
        text = text.strip()
        if len(text) > self.max_chars:
            raise TakeoverRefused("too_long", f"消息不能超过 {self.max_chars} 字。")
        hits = self.matcher.find(text)
        if hits:
            phrases = "、".join(sorted({hit.phrase for hit in hits}))
            raise TakeoverRefused(
                "forbidden_phrase", f"消息含有服务禁语「{phrases}」,未发送,请修改后再发送。"
            )
        return text

    async def send(self, conversation_id: str, agent: str, text: Any) -> str:
        """Relay the agent's line to the customer (stored as a bot turn with the agent)."""
        self._holding(conversation_id, agent)
        checked = self.check_message(text)
        await self._control.say(conversation_id, agent, checked)
        return checked

    async def release(self, conversation_id: str, supervisor: str) -> Takeover:
        """A supervisor hands the conversation back for the agent holding it (an agent
        who left without handing back would otherwise keep the bot paused)."""
        current = self.get(conversation_id)
        if current is None or not current.active:
            raise TakeoverRefused("not_taken", "该会话当前没有人工接管。")
        logger.info("take-over of %s released by %s for %s", conversation_id, supervisor,
                    current.agent)
        return await self.hand_back(conversation_id, current.agent)

    async def hand_back(self, conversation_id: str, agent: str) -> Takeover:
        """Resume the bot (closing + survey), end the take-over, resolve the hand-off."""
        current = self._holding(conversation_id, agent)
        await self._control.hand_back(conversation_id, agent)
        now = self._clock.now().isoformat()
        done = Takeover(conversation_id, agent, HANDED_BACK, current.taken_at, now)
        self._release(keys=[self._key(conversation_id)], args=[agent, done.to_json()])
        self._resolve(
            keys=[HANDOFF_KEY.format(conversation_id=conversation_id), WAITING_INDEX,
                  EVENTS_STREAM],
            args=[conversation_id, agent, now, STREAM_MAXLEN],
        )
        return done
