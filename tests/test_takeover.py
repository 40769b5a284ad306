"""bot.takeover on a real Redis: the one-agent claim under concurrency, refusals, hand-back.

The conversation side is a small recording `ConversationControl` (the real one, over Rasa's
HTTP API, is exercised in tests/test_takeover_stack.py); here it also proves that refused
lines never reach the conversation. Plus the web chat history of agent lines and the Rasa
client's behaviour when Rasa cannot be reached.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import redis
from rasa.shared.core.events import BotUttered, UserUttered

from bot.config import hotline_config
from bot.handoffs import EVENTS_STREAM, WAITING_INDEX, HandoffQueue
from bot.takeover import (
    ControlUnavailable,
    TakeoverRefused,
    TakeoverService,
    conversation_channel,
    is_closed,
    is_paused,
)
from channels.webchat.history import visible_history
from console.rasa_api import RasaConversationControl
from tests.support.processes import free_port

WEBCHAT_EVENTS: list[dict[str, Any]] = [
    {"event": "action", "name": "action_session_start"},
    {"event": "slot", "name": "channel", "value": "webchat"},
    {"event": "user", "text": "转人工", "input_channel": "webchat"},
    {"event": "slot", "name": "handed_off", "value": True},
]


class RecordingControl:
    """Keeps what the service asked of the conversation; can fail like an unreachable Rasa."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.fail = fail

    async def _record(self, *call: str) -> None:
        await asyncio.sleep(0.01)  # let concurrent claims interleave
        if self.fail:
            raise ControlUnavailable("down")
        self.calls.append(call)

    async def pause(self, conversation_id: str, agent: str) -> None:
        await self._record("pause", conversation_id, agent)

    async def say(self, conversation_id: str, agent: str, text: str) -> None:
        await self._record("say", conversation_id, agent, text)

    async def hand_back(self, conversation_id: str, agent: str) -> None:
        await self._record("hand_back", conversation_id, agent)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_channel_closed_and_paused_are_read_from_the_events() -> None:
    assert conversation_channel(WEBCHAT_EVENTS) == "webchat"
    assert conversation_channel([{"event": "user", "input_channel": "phone"}]) == "phone"
    assert conversation_channel([]) == ""
    closed = [*WEBCHAT_EVENTS, {"event": "slot", "name": "session_closed", "value": True}]
    assert is_closed(closed) and not is_closed(WEBCHAT_EVENTS)
    assert not is_closed([*closed, {"event": "restart"}])  # reopened
    assert is_paused([*WEBCHAT_EVENTS, {"event": "pause"}, {"event": "user"}])
    assert not is_paused([*WEBCHAT_EVENTS, {"event": "pause"}, {"event": "resume"}])


def test_of_two_agents_claiming_at_once_exactly_one_wins(
    redis_client: redis.Redis[bytes],
) -> None:
    control = RecordingControl()
    service = TakeoverService(redis_client, control)
    HandoffQueue(redis_client).hand_off("c1", "request_human", "webchat")

    async def both() -> list[Any]:
        return await asyncio.gather(
            service.take_over("c1", "wang", WEBCHAT_EVENTS),
            service.take_over("c1", "li", WEBCHAT_EVENTS),
            return_exceptions=True,
        )

    results = run(both())
    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, TakeoverRefused)]
    assert len(won) == 1 and len(lost) == 1 and lost[0].code == "claimed"
    holder = won[0].agent
    assert f"已由 {holder} 接管" in lost[0].message
    assert control.calls == [("pause", "c1", holder)]  # the bot was paused once
    # the hand-off left the waiting queue, claimed by the same agent
    assert redis_client.zscore(WAITING_INDEX, "c1") is None
    assert HandoffQueue(redis_client).get("c1").claimed_by == holder  # type: ignore[union-attr]
    # the holder taking over again changes nothing
    assert run(service.take_over("c1", holder, WEBCHAT_EVENTS)).agent == holder
    assert len(control.calls) == 1


def test_lines_are_checked_before_they_reach_the_conversation(
    redis_client: redis.Redis[bytes],
) -> None:
    control = RecordingControl()
    service = TakeoverService(redis_client, control)
    with pytest.raises(TakeoverRefused) as not_taken:
        run(service.send("c2", "wang", "您好"))
    assert not_taken.value.code == "not_taken"
    run(service.take_over("c2", "wang", WEBCHAT_EVENTS))
    phrase = hotline_config().forbidden_phrases[0]
    for text, code in [(f"{phrase}!", "forbidden_phrase"), ("   ", "empty_message"),
                       (None, "empty_message"), ("好" * (service.max_chars + 1), "too_long")]:
        with pytest.raises(TakeoverRefused) as refused:
            run(service.send("c2", "wang", text))
        assert refused.value.code == code
    with pytest.raises(TakeoverRefused) as other:
        run(service.send("c2", "li", "您好"))
    assert other.value.code == "claimed"
    assert run(service.send("c2", "wang", "  您好,请稍等。 ")) == "您好,请稍等。"
    assert control.calls[1:] == [("say", "c2", "wang", "您好,请稍等。")]


def test_unsupported_unknown_closed_and_claimed_conversations_are_refused(
    redis_client: redis.Redis[bytes],
) -> None:
    service = TakeoverService(redis_client, RecordingControl())
    phone = [{"event": "slot", "name": "channel", "value": "phone"}]
    closed = [*WEBCHAT_EVENTS, {"event": "slot", "name": "session_closed", "value": True}]
    queue = HandoffQueue(redis_client)
    queue.hand_off("c5", "request_human", "webchat")
    queue.claim("c5", "li")
    for cid, events, code in [("c3", phone, "unsupported_channel"), ("c3", None, "not_found"),
                              ("c4", closed, "closed"), ("c5", WEBCHAT_EVENTS, "claimed")]:
        with pytest.raises(TakeoverRefused) as refused:
            run(service.take_over(cid, "wang", events))
        assert refused.value.code == code
    assert service.get("c3") is None and service.get("c5") is None


def test_an_unreachable_rasa_leaves_the_conversation_free(
    redis_client: redis.Redis[bytes],
) -> None:
    rasa = RasaConversationControl(f"http://127.0.0.1:{free_port()}", "token", timeout_s=5)
    service = TakeoverService(redis_client, rasa)
    with pytest.raises(ControlUnavailable):
        run(service.take_over("c6", "wang", WEBCHAT_EVENTS))
    assert service.get("c6") is None  # released: another agent may try
    run(TakeoverService(redis_client, RecordingControl()).take_over("c6", "li", WEBCHAT_EVENTS))


def test_hand_back_resolves_the_handoff_with_the_agents_name(
    redis_client: redis.Redis[bytes],
) -> None:
    control = RecordingControl()
    service = TakeoverService(redis_client, control)
    HandoffQueue(redis_client).hand_off("c7", "request_human", "webchat", ticket_id=None)
    run(service.take_over("c7", "wang", WEBCHAT_EVENTS))
    done = run(service.hand_back("c7", "wang"))
    assert done.status == "handed_back" and done.handed_back_at and not done.active
    assert control.calls[-1] == ("hand_back", "c7", "wang")
    record = json.loads(redis_client.get("hotline:handoff:c7"))  # type: ignore[arg-type]
    assert record["resolved_by"] == "wang" and record["resolved_at"]
    assert record["ticket_id"] is None  # the record round-trips through Lua
    kinds = [f[b"type"] for _, f in redis_client.xrange(EVENTS_STREAM)]
    assert kinds == [b"handoff", b"claimed", b"resolved"]
    with pytest.raises(TakeoverRefused):
        run(service.hand_back("c7", "wang"))  # only once
    # a later take-over of the same conversation is a new one
    assert run(service.take_over("c7", "li", WEBCHAT_EVENTS)).agent == "li"


def test_a_supervisor_releases_a_takeover_an_agent_left_behind(
    redis_client: redis.Redis[bytes],
) -> None:
    control = RecordingControl()
    service = TakeoverService(redis_client, control)
    with pytest.raises(TakeoverRefused):
        run(service.release("c8", "boss"))  # nothing to release
    run(service.take_over("c8", "wang", WEBCHAT_EVENTS))
    done = run(service.release("c8", "boss"))
    assert done.agent == "wang" and not done.active
    assert control.calls[-1] == ("hand_back", "c8", "wang")  # the bot closes as usual
    with pytest.raises(TakeoverRefused):
        run(service.send("c8", "wang", "您好"))  # the agent's part is over


def test_the_web_chat_history_labels_agent_lines_and_the_takeover_notice() -> None:
    events = [
        UserUttered("转人工", timestamp=1.0),
        BotUttered(None, {"custom": {"hotline": {"event": "takeover", "agent": "wang"}}},
                   {"agent": "wang"}, timestamp=2.0),
        BotUttered("您好,请问订单号?", {}, {"agent": "wang"}, timestamp=3.0),
        BotUttered("人工客服已为您处理完毕", {}, {"utter_action": "utter_x"}, timestamp=4.0),
    ]
    assert visible_history(events, 10) == [
        {"role": "user", "text": "转人工", "timestamp": 1.0},
        {"role": "event", "event": {"event": "takeover", "agent": "wang"}, "timestamp": 2.0},
        {"role": "bot", "text": "您好,请问订单号?", "timestamp": 3.0, "agent": "wang"},
        {"role": "bot", "text": "人工客服已为您处理完毕", "timestamp": 4.0},
    ]
