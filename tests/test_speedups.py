"""The Rasa hot-path replacements (rasa_extensions/speedups.py) keep Rasa's verdicts."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
import rasa.shared.utils.common
from hypothesis import example, given, settings
from hypothesis import strategies as st
from jsonschema import ValidationError, validate
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import EndpointConfig

from rasa_extensions import speedups

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "ticket_number", "value": "T1"}],
     "responses": [{"response": "utter_ticket_created"}]},
    {"events": [{"event": "followup", "name": "action_listen"}]},
    {},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"event": "slot"}]},  # a slot event needs a name
    {"events": [{"event": "no_such_event"}]},
    {"responses": ["not an object"]},
    [],
]


@pytest.mark.parametrize("result", VALID + INVALID)
def test_action_responses_get_the_same_verdict_as_rasa(result: object) -> None:
    try:
        validate(result, RemoteAction.action_response_format_spec())
        expected_valid = True
    except ValidationError:
        expected_valid = False
    speedups.install()
    action = RemoteAction("action_x", EndpointConfig("http://127.0.0.1:1"))
    if expected_valid:
        assert action._validate_action_result(result) is True  # type: ignore[arg-type]
    else:
        with pytest.raises(ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result(result)  # type: ignore[arg-type]
    assert (result in VALID) == expected_valid


def test_event_types_resolve_as_rasa_resolves_them() -> None:
    expected = {}
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        expected.setdefault(cls.type_name, cls)
    speedups.install()
    for name, cls in expected.items():
        assert Event.resolve_by_type(name) is cls
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("nonsense", default=SlotSet) is SlotSet
    with pytest.raises(ValueError):
        Event.resolve_by_type("nonsense")
    # Events still round-trip through their dicts.
    event = UserUttered("你好", {"name": "greet", "confidence": 0.9})
    assert Event.from_parameters(event.as_dict()) == event


def test_an_event_class_defined_later_is_found() -> None:
    speedups.install()

    class HotlineProbeEvent(SlotSet):
        type_name = "hotline_probe_event"

    assert Event.resolve_by_type("hotline_probe_event") is HotlineProbeEvent


# Responses the property test draws: every event type Rasa knows and some it does not,
# with fields of the right and of the wrong types.
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                     st.text(max_size=5))
_FIELD_VALUES = st.one_of(_SCALARS, st.lists(_SCALARS, max_size=2),
                          st.dictionaries(st.sampled_from(["name", "confidence", "x"]),
                                          _SCALARS, max_size=2))
_EVENT_NAMES = [branch["properties"]["event"]["const"] for branch in
                RemoteAction.action_response_format_spec()["properties"]["events"]["items"]
                ["oneOf"]]
_EVENTS = st.builds(
    lambda name, fields: {"event": name, **fields},
    st.sampled_from([*_EVENT_NAMES, "no_such_event"]),
    st.dictionaries(st.sampled_from(["name", "value", "text", "timestamp", "metadata",
                                     "policy", "confidence", "parse_data", "entities",
                                     "data", "intent", "hide_rule_turn"]),
                    _FIELD_VALUES, max_size=4),
)
_RESPONSES = st.one_of(
    st.fixed_dictionaries({}, optional={
        "events": st.one_of(st.lists(_EVENTS, max_size=4), _SCALARS),
        "responses": st.one_of(st.lists(st.one_of(
            st.dictionaries(st.sampled_from(["response", "text"]), st.text(max_size=5)),
            _SCALARS), max_size=2), _SCALARS)}),
    _SCALARS,
)


@settings(max_examples=400, deadline=None)
@given(_RESPONSES)
def test_the_per_event_check_never_accepts_what_rasas_schema_rejects(result: object) -> None:
    speedups.install()
    try:
        validate(result, RemoteAction.action_response_format_spec())
        expected_valid = True
    except ValidationError:
        expected_valid = False
    action = RemoteAction("action_x", EndpointConfig("http://127.0.0.1:1"))
    if expected_valid:
        assert action._validate_action_result(result) is True  # type: ignore[arg-type]
    else:
        with pytest.raises(ValidationError):
            action._validate_action_result(result)  # type: ignore[arg-type]


def test_valid_responses_are_accepted_by_the_per_event_check_alone() -> None:
    schema = RemoteAction.action_response_format_spec()
    check = speedups._dispatching_validator(schema, validator_for(schema))
    assert check is not None
    for result in VALID:
        assert check(result) is True
    for result in INVALID:
        assert check(result) is False


# --- the incremental replay of past states ------------------------------------------------
_DOMAIN = Domain.from_dict({
    "intents": ["greet", "complain", "goodbye"],
    "entities": ["phone"],
    "slots": {
        "phone": {"type": "text", "mappings": [{"type": "from_entity", "entity": "phone"}]},
        "urgent": {"type": "bool", "mappings": [{"type": "custom"}]},
    },
    "actions": ["action_file", "utter_ask_phone", "complaint_form"],
    "responses": {"utter_ask_phone": [{"text": "?"}]},
    "forms": {"complaint_form": {"required_slots": ["phone"]}},
})


def _event_strategy() -> st.SearchStrategy[Any]:
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionReverted,
        ActiveLoop,
        BotUttered,
        Restarted,
        SessionStarted,
        SlotSet,
        UserUtteranceReverted,
        UserUttered,
    )

    return st.one_of(
        st.builds(lambda i, t: UserUttered(t, {"name": i, "confidence": 0.9}),
                  st.sampled_from(["greet", "complain", "goodbye"]), st.sampled_from(["a", ""])),
        st.builds(ActionExecuted, st.sampled_from(
            ["action_listen", "action_file", "utter_ask_phone", "complaint_form",
             "action_session_start"])),
        st.builds(SlotSet, st.sampled_from(["phone", "urgent", "requested_slot"]),
                  st.sampled_from([None, "138", True])),
        st.builds(ActiveLoop, st.sampled_from(["complaint_form", None])),
        st.just(BotUttered("好的")),
        st.sampled_from([UserUtteranceReverted(), ActionReverted(), Restarted(),
                         SessionStarted()]),
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_event_strategy(), min_size=1, max_size=6), min_size=1, max_size=8),
       st.booleans())
def test_past_states_grown_turn_by_turn_equal_rasas_replay(
    steps: list[list[Any]], omit_unset_slots: bool
) -> None:
    from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
    from rasa.shared.core.trackers import DialogueStateTracker

    speedups.install()
    tracker = DialogueStateTracker("caller", _DOMAIN.slots)
    for events in steps:  # a turn appends events; every prediction asks again
        for event in events:
            tracker.update(event)
        for _ in range(2):
            ours = tracker.past_states(_DOMAIN, omit_unset_slots=omit_unset_slots)
            fresh = DialogueStateTracker.from_events("caller", list(tracker.events),
                                                     _DOMAIN.slots)
            rasas = speedups._rasa_states_for_tracker_history(
                _DOMAIN, fresh, omit_unset_slots=omit_unset_slots)
            assert ours == rasas
        # What RulePolicy asks, intent- then text-based: the featurizer edits the states
        # in place, so what the replay keeps must not change what a later call sees.
        for use_text in (False, True, False):
            featurizer = MaxHistoryTrackerFeaturizer(max_history=None)
            fresh = DialogueStateTracker.from_events("caller", list(tracker.events),
                                                     _DOMAIN.slots)
            assert featurizer.prediction_states([tracker], _DOMAIN, use_text) == \
                featurizer.prediction_states([fresh], _DOMAIN, use_text)


def test_slot_copies_are_the_shallow_copies_python_makes() -> None:
    import copy

    from rasa.shared.core.slots import Slot

    speedups.install()
    for slot in _DOMAIN.slots:
        slot.value = ["138", "139"] if slot.name == "phone" else True
        ours = copy.copy(slot)
        del Slot.__copy__  # the standard protocol, as Rasa has it
        try:
            pythons = copy.copy(slot)
        finally:
            speedups._cheap_slot_copies()
        assert type(ours) is type(pythons) is type(slot) and ours is not slot
        assert ours.__dict__ == pythons.__dict__ == slot.__dict__
        assert ours.value is slot.value  # shallow, as copy.copy is


def test_endpoint_calls_reuse_one_connection_per_loop() -> None:
    import asyncio

    from aiohttp import web

    from tests.support.processes import free_port

    speedups.install()
    port = free_port()
    peers: list[object] = []

    async def handler(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername") if request.transport
                     else None)
        return web.json_response({"echo": (await request.json())["n"]})

    endpoint = EndpointConfig(f"http://127.0.0.1:{port}")

    async def serve_and_call(calls: int) -> list[object]:
        app = web.Application()
        app.router.add_post("/webhook", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            answers = [await endpoint.request(json={"n": n}, method="post", subpath="webhook")
                       for n in range(calls)]
            # an idle connection the client dropped is replaced, not reused
            await asyncio.sleep(speedups.KEEPALIVE_SECONDS + 0.5)
            answers.append(await endpoint.request(json={"n": 99}, method="post",
                                                  subpath="webhook"))
            return answers
        finally:
            await runner.cleanup()

    assert asyncio.run(serve_and_call(5)) == [{"echo": n} for n in [0, 1, 2, 3, 4, 99]]
    assert len(set(peers[:5])) == 1  # five calls, one connection
    assert peers[5] != peers[0]  # after the keep-alive: a new one
    peers.clear()
    # a second event loop (a restart, another test) gets its own session
    assert asyncio.run(serve_and_call(2)) == [{"echo": 0}, {"echo": 1}, {"echo": 99}]
    assert len(set(peers[:2])) == 1


def test_the_young_generation_is_collected_less_often() -> None:
    import gc

    speedups.install()
    assert gc.get_threshold()[0] >= 50_000


def _rule_lookup(model: Path) -> dict[str, dict[str, str]]:
    with tarfile.open(model) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("rule_policy.json"))
        handle = archive.extractfile(member)
        assert handle is not None
        return json.load(handle)["lookup"]


@pytest.fixture(scope="module")
def rule_lookup(trained_model: Path) -> dict[str, dict[str, str]]:
    return _rule_lookup(trained_model)


def _states_of_rules(lookup: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """Every state the rules name, each also with one feature dropped, and the empty one."""
    seen: dict[str, dict[str, Any]] = {"{}": {}}
    for table in ("rules", "rules_for_loop_unhappy_path"):
        for key in lookup[table]:
            for state in json.loads(key):
                state = {kind: {k: tuple(v) if isinstance(v, list) else v
                                for k, v in sub.items()} for kind, sub in state.items()}
                seen.setdefault(json.dumps(state, sort_keys=True), state)
                for kind in state:
                    fewer = {k: v for k, v in state.items() if k != kind}
                    seen.setdefault(json.dumps(fewer, sort_keys=True), fewer)
    return list(seen.values())


def test_rule_matching_finds_the_keys_rasa_finds(rule_lookup: dict[str, dict[str, str]]) -> None:
    speedups.install()
    policy = RulePolicy.__new__(RulePolicy)
    states = _states_of_rules(rule_lookup)

    @settings(max_examples=400, deadline=None)
    @given(st.lists(st.sampled_from(states), max_size=14), st.booleans())
    def check(history: list[dict[str, Any]], unhappy: bool) -> None:
        table = rule_lookup["rules_for_loop_unhappy_path" if unhappy else "rules"]
        assert policy._get_possible_keys(table, history) == \
            speedups._rasa_get_possible_keys(policy, table, history)

    check()
    # and on each rule's own history, as stored
    for key in rule_lookup["rules"]:
        history = json.loads(key)
        found = policy._get_possible_keys(rule_lookup["rules"], history)
        assert found == speedups._rasa_get_possible_keys(policy, rule_lookup["rules"], history)


def _loop_named_late() -> list[list[Any]]:
    """A form run twice before the loop is ever named: naming it later changes how
    Rasa reads the earlier events (a repeated loop run is undone)."""
    from rasa.shared.core.events import ActionExecuted, ActiveLoop

    return [[ActionExecuted("complaint_form"), ActionExecuted("complaint_form")],
            [ActiveLoop("complaint_form")]]


@settings(max_examples=200, deadline=None)
@example(_loop_named_late())
@given(st.lists(st.lists(_event_strategy(), min_size=1, max_size=6), min_size=1, max_size=8))
def test_applied_events_grown_turn_by_turn_equal_rasas(steps: list[list[Any]]) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    speedups.install()
    tracker = DialogueStateTracker("caller", _DOMAIN.slots)
    for events in steps:  # a turn appends events; the processor and policies ask again
        for event in events:
            tracker.update(event)
            fresh = DialogueStateTracker.from_events("caller", list(tracker.events),
                                                     _DOMAIN.slots)
            expected = speedups._rasa_applied_events(fresh)
            first = tracker.applied_events()
            assert first == expected
            first.clear()  # a caller editing its list changes nothing kept
            assert tracker.applied_events() == expected


_STATE = st.fixed_dictionaries({}, optional={
    "prev_action": st.sampled_from([{"action_name": "action_listen"}, {"action_name": "utter_a"},
                                    {"action_text": "好的"}, {}]),
    "user": st.sampled_from([{"intent": "greet"}, {"intent": "goodbye"}, {"text": "嗯"}]),
    "active_loop": st.sampled_from([{"name": "complaint_form"}, {"name": "should_not_be_set"}]),
})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_STATE, max_size=3), min_size=1, max_size=8),
       st.lists(_STATE, max_size=5))
def test_rule_matching_on_made_up_rules_finds_the_keys_rasa_finds(
    rules: list[list[dict[str, Any]]], history: list[dict[str, Any]]
) -> None:
    # rules the trained model does not have: no previous action in the last state,
    # an empty one, a previous action by its text
    speedups.install()
    policy = RulePolicy.__new__(RulePolicy)
    table = {json.dumps(rule, sort_keys=True): "utter_x" for rule in rules}
    assert policy._get_possible_keys(table, history) == \
        speedups._rasa_get_possible_keys(policy, table, history)


def test_rule_states_are_formatted_only_for_a_debug_log() -> None:
    import logging

    from rasa.core.policies.policy import Policy

    speedups.install()
    states = [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}]
    rule_logger = logging.getLogger("rasa.core.policies.rule_policy")
    level = rule_logger.level
    try:
        rule_logger.setLevel(logging.INFO)
        assert RulePolicy.format_tracker_states(states) == ""
        rule_logger.setLevel(logging.DEBUG)
        assert RulePolicy.format_tracker_states(states) == Policy.format_tracker_states(states)
        assert "greet" in RulePolicy.format_tracker_states(states)
    finally:
        rule_logger.setLevel(level)


def _call_body(events: list[Event]) -> tuple[dict[str, Any], DialogueStateTracker]:
    speedups.install()
    domain = Domain.load(str(Path(__file__).resolve().parent.parent / "domain.yml"))
    tracker = DialogueStateTracker.from_events("caller", events, domain.slots)
    endpoint = EndpointConfig("http://127.0.0.1:1/webhook", enable_selective_domain=True)
    action = RemoteAction("validate_complaint_form", endpoint)
    return action._action_call_format(tracker, domain), tracker


def _said(text: str, intent: str) -> UserUttered:
    ranking = [{"name": intent, "confidence": 0.7}, {"name": "angry", "confidence": 0.2}]
    return UserUttered(text, {"name": intent, "confidence": 0.7}, [], parse_data={
        "intent": {"name": intent, "confidence": 0.7}, "entities": [], "text": text,
        "intent_ranking": ranking, "text_tokens": [[0, len(text)]],
        "malicious": {"score": 0.01, "evidence": [], "proposed": False, "decided": False}})


def test_an_action_call_keeps_every_event_and_the_latest_message_whole() -> None:
    events: list[Event] = [
        ActionExecuted("action_listen"), _said("我要投诉", "complaint"),
        ActionExecuted("complaint_form"), SlotSet("complaint_description", "快递没到"),
        ActionExecuted("action_listen"), _said("三天了还没到", "inform"),
    ]
    body, tracker = _call_body(events)
    sent = body["tracker"]["events"]
    rasa_state = tracker.current_state(EventVerbosity.ALL)["events"]

    assert [e["event"] for e in sent] == [e["event"] for e in rasa_state]  # every event, in order
    first, latest = (e for e in sent if e["event"] == "user")
    assert latest == rasa_state[-1]  # the latest message whole, its ranking included
    rasa_parse = rasa_state[1]["parse_data"]
    assert first["parse_data"] == {k: v for k, v in rasa_parse.items()
                                   if k in ("intent", "entities", "text", "message_id", "metadata")}
    assert first["parse_data"]["intent"]["name"] == "complaint"
    assert not {"intent_ranking", "text_tokens", "malicious"} & set(first["parse_data"])
    assert first["text"] == "我要投诉" and first["timestamp"] == rasa_state[1]["timestamp"]
    assert "intent_ranking" in tracker.events[1].parse_data  # the tracker itself untouched
    assert body["tracker"]["latest_message"]["intent_ranking"][1]["name"] == "angry"


def test_a_validation_call_gets_the_domain_without_the_responses_texts() -> None:
    body, _ = _call_body([ActionExecuted("action_listen"), _said("我要投诉", "complaint")])
    assert "responses" not in body["domain"]
    full = Domain.load(str(Path(__file__).resolve().parent.parent / "domain.yml")).as_dict()
    assert body["domain"] == {k: v for k, v in full.items() if k != "responses"}
    assert body["domain"]["forms"]["complaint_form"]["required_slots"]


def test_the_loaded_model_is_left_out_of_full_collections(trained_model: Path) -> None:
    import asyncio
    import gc
    from types import SimpleNamespace

    import rasa.core.run
    from rasa.core.utils import AvailableEndpoints

    speedups.install()
    app = SimpleNamespace(ctx=SimpleNamespace())
    gc.unfreeze()
    try:
        agent = asyncio.run(rasa.core.run.load_agent_on_start(
            str(trained_model), AvailableEndpoints(), None, app, None))
        assert agent.is_ready() and app.ctx.agent is agent
        frozen = gc.get_freeze_count()
        assert frozen > 100_000  # the model's objects: a full collection no longer walks them
        gc.collect()
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
