"""The ticket a conversation becomes is built once, in bot/, from plain data: the action
server (rasa_sdk's tracker) and the Rasa server (its own tracker, while the action server is
down) adapt their trackers to the same `Conversation` and get the same request."""

from __future__ import annotations

from typing import Any

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa_sdk import Tracker

from actions.support import conversation_of as sdk_conversation
from bot.conversation import NOT_GIVEN, Conversation
from bot.tickets.from_conversation import ticket_request
from rasa_extensions.service_down import conversation_of as core_conversation

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [complaint, angry, inform]
slots:
  channel: {type: text, mappings: [{type: custom}]}
  complaint_description: {type: text, mappings: [{type: custom}]}
  surname: {type: text, mappings: [{type: custom}]}
  phone_number: {type: text, mappings: [{type: custom}]}
  caller_phone: {type: text, mappings: [{type: custom}]}
  order_number: {type: text, mappings: [{type: custom}]}
  callback_time: {type: text, mappings: [{type: custom}]}
forms:
  callback_form: {required_slots: [phone_number]}
""")


def said(text: str, intent: str) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 1.0})


def core_tracker() -> DialogueStateTracker:
    tracker = DialogueStateTracker("caller-7", DOMAIN.slots)
    for event in (
        said("上次的事", "inform"), SessionStarted(), said("气死我了", "angry"),
        said("洗衣机漏水了,我要投诉", "complaint"), SlotSet("channel", "phone"),
        SlotSet("surname", "王"), SlotSet("phone_number", "13812345678"),
        SlotSet("order_number", NOT_GIVEN), SlotSet("callback_time", "明天上午"),
        ActiveLoop("callback_form"), said("还是漏水", "inform"),
    ):
        tracker.update(event)
    return tracker


def test_both_servers_read_a_conversation_the_same_way() -> None:
    tracker = core_tracker()
    state: dict[str, Any] = tracker.current_state(EventVerbosity.ALL)
    from_core = core_conversation(tracker)
    from_sdk = sdk_conversation(Tracker.from_dict(state))
    assert ticket_request(from_core) == ticket_request(from_sdk)
    assert ticket_request(from_core, incomplete=True) == ticket_request(from_sdk, incomplete=True)

    request = ticket_request(from_core)
    assert request.conversation_id == "caller-7" and request.channel == "phone"
    assert request.description == "洗衣机漏水了,我要投诉"  # the latest complaint's words
    assert request.category == "inquiry"  # the callback form's default category
    assert (request.surname, request.phone, request.order_number) == ("王", "13812345678", "")
    assert request.preferred_time_text == "明天上午"
    assert request.latest_intent == "inform" and request.anger_streak == 1  # this session


def test_a_conversation_is_plain_data() -> None:
    conversation = Conversation("c1", slots={"session_started_metadata": {"channel": "webchat"}})
    assert conversation.channel == "webchat"
    assert Conversation("c2").channel == "rest"
    request = ticket_request(Conversation("c3", slots={"complaint_description": "送货太慢"}))
    assert (request.description, request.category, request.anger_streak) == ("送货太慢", "other", 0)


def test_what_was_said_before_the_latest_message_and_a_slot_since_cleared() -> None:
    events: list[dict[str, Any]] = [
        {"event": "session_started"},
        {"event": "user", "text": "我的洗衣机还在保修期吗"},
        {"event": "bot", "metadata": {"utter_action": "utter_ask_order_number"}},
        {"event": "user", "text": "20261101001"},
        {"event": "slot", "name": "order_number", "value": "20261101001"},
        {"event": "bot", "metadata": {"utter_action": "utter_repair_warranty"}},
        {"event": "bot", "metadata": {"utter_action": "utter_anything_else"}},
        {"event": "slot", "name": "order_number", "value": None},
        {"event": "user", "text": "好的，帮我登记一下"},
    ]
    conversation = Conversation(sender_id="c", events=events)
    assert conversation.said_before_latest_message() == [
        "utter_anything_else", "utter_repair_warranty"]
    assert conversation.last_value_this_session("order_number") == "20261101001"
    assert Conversation(sender_id="c", events=[*events, {"event": "session_started"}]
                        ).last_value_this_session("order_number") is None


def test_the_intents_read_close_behind_come_best_first_above_the_floor() -> None:
    from bot.conversation import BESIDE, intents_behind

    parse = {"intent_ranking": [
        {"name": "nlu_fallback", "confidence": 0.30}, {"name": "hold_on", "confidence": 0.29},
        {"name": "repair_warranty", "confidence": 0.23},
        {"name": "inform", "confidence": BESIDE - 0.01}]}
    assert intents_behind(parse) == ("hold_on", "repair_warranty")
    assert intents_behind({}) == ()
    assert intents_behind({"intent_ranking": parse["intent_ranking"][:1]}) == ()
