"""The compressed Redis tracker store and its codec, against a real redis-server."""

from __future__ import annotations

import asyncio
import json

import pytest
import redis
from rasa.core.tracker_store import RedisTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.tracker_codec import TrackerDecodeError, decode_dialogue
from console.transcript import load_events
from tests.support.processes import RedisServer


def conversation(sender: str, turns: int) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, slots=[])
    tracker.update(SessionStarted())
    for n in range(turns):
        tracker.update(UserUttered(f"我的订单 2026110100{n} 还没到", {
            "name": "order_status", "confidence": 0.93}, metadata={"channel": "rest"},
            parse_data={"intent_ranking": [{"name": f"intent_{i}", "confidence": 0.01}
                                           for i in range(10)]}))
        tracker.update(ActionExecuted("utter_order_status", policy="RulePolicy", confidence=1.0))
        tracker.update(BotUttered("您的订单已发货,预计明天送达。", metadata={"utter_action": "x"}))
        tracker.update(ActionExecuted("action_listen"))
    return tracker


def store_for(server: RedisServer) -> TrackerStore:
    config = EndpointConfig(url="127.0.0.1",
                            type="rasa_extensions.tracker_store.CompactRedisTrackerStore",
                            port=server.port, db=1, key_prefix="hotline", record_exp=None)
    return TrackerStore.create(config, domain=Domain.empty())


def test_round_trip_is_exact_and_smaller_than_json(
    redis_server: RedisServer, redis_client: redis.Redis[bytes]
) -> None:
    store = store_for(redis_server)
    tracker = conversation("caller-a", 20)
    asyncio.run(store.save(tracker))
    stored = redis_client.get("hotline:tracker:caller-a")
    plain = json.dumps(tracker.as_dialogue().as_dict()).encode()
    assert stored is not None and len(stored) * 4 < len(plain)
    back = asyncio.run(store.retrieve("caller-a"))
    assert back is not None
    assert [e.as_dict() for e in back.events] == [e.as_dict() for e in tracker.events]
    # Readers outside Rasa see the same events.
    assert load_events(redis_client, "caller-a") == decode_dialogue(stored)["events"]
    assert len(load_events(redis_client, "caller-a") or []) == len(tracker.events)


def test_trackers_stored_as_plain_json_are_still_read(
    redis_server: RedisServer, redis_client: redis.Redis[bytes]
) -> None:
    old = RedisTrackerStore(Domain.empty(), host="127.0.0.1", port=redis_server.port, db=1,
                            key_prefix="hotline")
    asyncio.run(old.save(conversation("caller-b", 3)))
    assert redis_client.get("hotline:tracker:caller-b").startswith(b"{")
    store = store_for(redis_server)
    tracker = asyncio.run(store.retrieve("caller-b"))
    assert tracker is not None and len(tracker.events) == 1 + 3 * 4
    tracker.update(UserUttered("谢谢"))
    asyncio.run(store.save(tracker))  # rewritten compressed, nothing lost
    assert len(decode_dialogue(redis_client.get("hotline:tracker:caller-b"))["events"]) == 14


@pytest.mark.parametrize("raw", [b"\xff\x00 not a tracker", b"x\x9c broken", b"[1, 2]", ""])
def test_garbage_is_a_decode_error_not_a_crash(
    raw: bytes, redis_client: redis.Redis[bytes]
) -> None:
    with pytest.raises(TrackerDecodeError):
        decode_dialogue(raw)
    redis_client.set("hotline:tracker:garbled", raw)
    assert load_events(redis_client, "garbled") is None


def test_saving_the_last_session_only_keeps_the_earlier_sessions(
    redis_server: RedisServer, redis_client: redis.Redis[bytes]
) -> None:
    store = store_for(redis_server)
    tracker = conversation("caller-c", 2)
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("又是我", {"name": "greet", "confidence": 0.9}))
    asyncio.run(store.save(tracker))
    total = len(tracker.events)

    last_session = asyncio.run(store.retrieve("caller-c"))
    assert last_session is not None and len(last_session.events) < total
    last_session.update(BotUttered("您好"))
    asyncio.run(store.save(last_session))  # Rasa's merge path: nothing of session 1 is lost

    full = asyncio.run(store.retrieve_full_tracker("caller-c"))
    assert full is not None and len(full.events) == total + 1
    assert full.events[-1].as_dict()["text"] == "您好"

    full.update(UserUttered("谢谢"))
    asyncio.run(store.save(full))  # the shortcut path: stored events are its beginning
    again = asyncio.run(store.retrieve_full_tracker("caller-c"))
    assert again is not None
    assert [e.as_dict() for e in again.events] == [e.as_dict() for e in full.events]


def test_appending_to_the_last_session_stores_what_rasas_merge_stores(
    redis_server: RedisServer, redis_client: redis.Redis[bytes]
) -> None:
    from rasa.shared.core.events import SlotSet

    store = store_for(redis_server)
    tracker = DialogueStateTracker("caller-d", slots=[])
    tracker.update(SlotSet("session_started_metadata", {"channel": "rest"}))  # as Rasa logs it
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("查订单", {"name": "order_status", "confidence": 0.9}))
    asyncio.run(store.save(tracker))

    last = asyncio.run(store.retrieve("caller-d"))
    assert last is not None and len(last.events) == len(tracker.events) - 1
    last.update(BotUttered("请提供订单号"))
    last.update(ActionExecuted("action_listen"))
    prior = store.deserialise_tracker("caller-d", redis_client.get("hotline:tracker:caller-d"))
    expected = RedisTrackerStore._merge_trackers(prior, last).as_dialogue().as_dict()["events"]
    asyncio.run(store.save(last))
    stored = decode_dialogue(redis_client.get("hotline:tracker:caller-d"))["events"]
    assert json.loads(json.dumps(expected)) == stored
    assert len(stored) == len(tracker.events) + 2


def _sessions(sender: str, count: int) -> DialogueStateTracker:
    from rasa.shared.core.events import SlotSet

    tracker = DialogueStateTracker(sender, slots=[])
    for n in range(count):
        tracker.update(SlotSet("session_started_metadata", {"channel": "rest"}))
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered(f"第{n}次来电", {"name": "greet", "confidence": 0.9}))
        tracker.update(BotUttered("您好"))
    return tracker


@pytest.mark.parametrize("sessions", [0, 1, 2, 5])
def test_the_last_session_read_is_the_one_rasa_reads(
    sessions: int, redis_server: RedisServer, redis_client: redis.Redis[bytes]
) -> None:
    store = store_for(redis_server)
    tracker = _sessions(f"caller-s{sessions}", sessions)
    tracker.update(UserUttered("还有一句", {"name": "affirm", "confidence": 0.8}))
    asyncio.run(store.save(tracker))
    ours = asyncio.run(store.retrieve(tracker.sender_id))
    # Rasa's own read of the same stored value (decoded by this store's codec).
    rasa_read = asyncio.run(RedisTrackerStore._retrieve(store, tracker.sender_id, False))
    assert ours is not None and rasa_read is not None
    assert [e.as_dict() for e in ours.events] == [e.as_dict() for e in rasa_read.events]
    assert ours.current_slot_values() == rasa_read.current_slot_values()


def test_the_closed_flag_follows_the_saved_tracker(
    redis_server: RedisServer, redis_client: redis.Redis[bytes]
) -> None:
    from rasa.shared.core.events import SlotSet

    domain = Domain.from_dict({"slots": {"session_closed": {
        "type": "bool", "influence_conversation": False,
        "mappings": [{"type": "custom"}]}}})
    config = EndpointConfig(url="127.0.0.1",
                            type="rasa_extensions.tracker_store.CompactRedisTrackerStore",
                            port=redis_server.port, db=1, key_prefix="hotline", record_exp=None)
    store = TrackerStore.create(config, domain=domain)
    tracker = DialogueStateTracker.from_events("caller-closed", [], slots=domain.slots)
    assert asyncio.run(store.is_closed("caller-closed")) is None  # nothing saved: unknown
    tracker.update(UserUttered("再见", {"name": "goodbye", "confidence": 0.9}))
    asyncio.run(store.save(tracker))
    assert asyncio.run(store.is_closed("caller-closed")) is False
    tracker.update(SlotSet("session_closed", True))
    asyncio.run(store.save(tracker))
    assert asyncio.run(store.is_closed("caller-closed")) is True
    assert redis_client.exists("hotline:closed:caller-closed")
    # Not a tracker: listings of conversations do not see the flag.
    assert "closed:caller-closed" not in asyncio.run(store.keys())
    tracker.update(SlotSet("session_closed", False))  # reopened by a new session
    asyncio.run(store.save(tracker))
    assert asyncio.run(store.is_closed("caller-closed")) is False


def _evalsha_calls(client: redis.Redis[bytes]) -> int:
    return int(client.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0))


def test_a_turn_that_read_the_conversation_appends_in_one_script(
    redis_server: RedisServer, redis_client: redis.Redis[bytes]
) -> None:
    config = EndpointConfig(url="127.0.0.1",
                            type="rasa_extensions.tracker_store.CompactRedisTrackerStore",
                            port=redis_server.port, db=1, key_prefix="hotline", record_exp=600)
    store = TrackerStore.create(config, domain=Domain.empty())
    asyncio.run(store.save(_sessions("caller-r", 3)))

    turn = asyncio.run(store.retrieve("caller-r"))  # the last session, as a turn reads it
    assert turn is not None
    turn.update(UserUttered("我的订单还没到", {"name": "order_status", "confidence": 0.9}))
    turn.update(ActionExecuted("utter_ask_order_number"))
    turn.update(BotUttered("请提供订单号"))
    prior = store.deserialise_tracker("caller-r", redis_client.get("hotline:tracker:caller-r"))
    expected = RedisTrackerStore._merge_trackers(prior, turn).as_dialogue().as_dict()["events"]
    scripts_before = _evalsha_calls(redis_client)
    asyncio.run(store.save(turn))

    assert _evalsha_calls(redis_client) == scripts_before + 1  # one round trip, no GET first
    stored = decode_dialogue(redis_client.get("hotline:tracker:caller-r"))["events"]
    assert json.loads(json.dumps(expected)) == stored  # what Rasa's merge would store
    assert 0 < redis_client.ttl("hotline:tracker:caller-r") <= 600  # expiry kept
    assert redis_client.get("hotline:closed:caller-r") == b"0"
    full = asyncio.run(store.retrieve_full_tracker("caller-r"))
    assert full is not None and [e.as_dict() for e in full.events] == stored


def test_a_write_by_another_replica_between_read_and_save_is_kept(
    redis_server: RedisServer, redis_client: redis.Redis[bytes]
) -> None:
    replica_a, replica_b = store_for(redis_server), store_for(redis_server)
    asyncio.run(replica_a.save(_sessions("caller-w", 2)))
    turn_a = asyncio.run(replica_a.retrieve("caller-w"))
    turn_b = asyncio.run(replica_b.retrieve("caller-w"))
    assert turn_a is not None and turn_b is not None
    turn_b.update(BotUttered("坐席已接入"))  # e.g. an agent's message through the API
    asyncio.run(replica_b.save(turn_b))

    turn_a.update(UserUttered("喂?", {"name": "greet", "confidence": 0.9}))
    asyncio.run(replica_a.save(turn_a))  # what it read has changed: Rasa's merge decides

    texts = [event.get("text") for event in
             decode_dialogue(redis_client.get("hotline:tracker:caller-w"))["events"]]
    assert "坐席已接入" in texts and "喂?" in texts


def test_the_task_that_saved_knows_what_the_form_was_left_asking(
    redis_server: RedisServer,
) -> None:
    """The voice channel picks keypad or speech by the form's requested slot right after
    the turn: the task that saved the conversation knows it without reading it back;
    another conversation, or a turn that has not saved yet, falls back to a read."""
    from rasa.shared.core.events import ActiveLoop, SlotSet

    from rasa_extensions.tracker_store import forget_left_asking, left_asking

    domain = Domain.from_dict({"slots": {"requested_slot": {
        "type": "any", "influence_conversation": False, "mappings": [{"type": "custom"}]}}})
    config = EndpointConfig(url="127.0.0.1",
                            type="rasa_extensions.tracker_store.CompactRedisTrackerStore",
                            port=redis_server.port, db=1, key_prefix="hotline", record_exp=None)
    store = TrackerStore.create(config, domain=domain)

    async def turn(events: list, sender: str = "caller-asked") -> tuple:
        forget_left_asking()
        before = left_asking(sender)
        tracker = (await store.retrieve(sender)) or DialogueStateTracker.from_events(
            sender, [], slots=domain.slots)
        for event in events:
            tracker.update(event)
        await store.save(tracker)
        return before, left_asking(sender), left_asking("someone-else")

    in_form = [UserUttered("我要投诉", {"name": "complaint", "confidence": 0.9}),
               ActiveLoop("complaint_form"), SlotSet("requested_slot", "order_number")]
    before, after, other = asyncio.run(turn(in_form))
    assert before == (False, None)  # not saved by this turn yet: read the tracker
    assert after == (True, "order_number")
    assert other == (False, None)
    stored = asyncio.run(store.retrieve("caller-asked"))
    assert stored is not None and stored.get_slot("requested_slot") == "order_number"
    # the form ends: nothing asked, though the slot keeps its last value
    _, after, _ = asyncio.run(turn([ActiveLoop(None)]))
    assert after == (True, None)
