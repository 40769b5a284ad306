"""Hot paths of the Rasa 3.6 server, made cheap without changing what they do.

Found by profiling the server under load (py-spy; figures in docs/BENCHMARKS.md):

- `RemoteAction._validate_action_result` calls `jsonschema.validate()` on every
  custom-action response, which checks the constant schema itself and builds a new
  validator each time: about 40 % of the server's CPU. Here the validator is compiled
  once; same schema, same `ValidationError` with Rasa's hint. Even compiled, the
  schema's `oneOf` over ~23 event types tries every type for every event (8 % of the
  CPU); each event names its type (`event`, a `const` in each branch), so a response is
  first checked event by event against its own branch only, and anything that check
  does not accept goes through the full schema, which raises as before.
- `Event.resolve_by_type` walks the whole `Event` class tree for every event it
  deserialises (every turn reads the whole tracker): about 13 %. Here the
  name → class map is built once (first match wins, as in Rasa's loop) and rebuilt
  when a name is missing, so event classes imported later are still found.

- `Domain.states_for_tracker_history` (what `RulePolicy` matches its rules against)
  replays the whole conversation from its first event for every prediction, several
  per turn (about 10 %). Within a turn the same tracker only grows, so the replay is
  kept on the tracker and continued from where it stopped when its events still begin
  with the ones replayed (same objects); anything else (an undo, a restart, another
  domain, the ML path that drops rule-only turns) is computed by Rasa's own code.

- `DialogueStateTracker.applied_events` folds every event of the conversation again
  each time it is asked, several times per prediction (4.6 % of a loaded replica).
  The fold is kept on the tracker and continued over the new events while the events
  only grow and name no new loop (a new loop name changes how earlier events read);
  anything else is folded again from the first event. The past states handed to the
  rule policy copy only the user sub-state, the one the featurizer edits.

- every tracker Rasa builds (several per turn: each action runs on a copy) copies every
  slot with `copy.copy`, which goes through `__reduce_ex__` (about 6 %); slots are plain
  objects, so `Slot.__copy__` does what `copy.copy` does for them (new object, same
  attribute dict, shallow) directly.

- `EndpointConfig.request` opens a new aiohttp `ClientSession` — a new connector and a
  new TCP connection — for every call to the action server, several per turn (session
  set-up about 8 %). Here each endpoint keeps one session per event loop and its
  connections alive; idle connections are dropped after 2 s, before the action
  server's own keep-alive (Sanic: 5 s) could close one under a request. The body
  (the session's tracker) is encoded with ujson, in half json.dumps' time.

- an action call carries the whole conversation, and a form's validation call the whole
  domain (30–50 KB late in a call), encoded here and decoded by the action server. The
  user events before the latest one go without their intent ranking, token offsets and
  malicious gate, and the domain without its responses' texts: the action server reads
  neither (the latest message goes whole; Rasa renders the responses).

- the cyclic garbage collector: a turn allocates tens of thousands of short-lived
  objects, and Python's default thresholds collect every 700 allocations and walk the
  older generations (the loaded model) every 7,000 and 70,000; (50,000, 20, 20)
  measured 9 % more turns a second (docs/BENCHMARKS.md). Once the model is loaded,
  everything alive is frozen (`gc.freeze`), so a full collection no longer walks the
  model's ~500,000 objects: about 200 ms during which the replica answers no one.

- the prediction graph is run by dask's scheduler twice a turn, about 8 % of the
  samples spent ordering and tracking a small chain of nodes: `SequentialGraphRunner`
  (rasa_extensions/graph_runner.py) makes the same calls in a fixed order.

- `RulePolicy._find_action_from_rules` formats every state of the conversation into
  text, and deep-copies it, for a debug line, whatever the log level (about 1 %). The
  text is now made only when that logger logs debug lines.

- `RulePolicy._get_possible_keys` filters its rules against every state of the
  conversation, back to the first, though a rule is settled once the walk is past its
  length; each check rebuilds the rule's reversed states (about 5 %). Here the
  reversed states are kept per rule; the rules whose last state can match are found
  through an index by the previous action their last state names (every rule was
  checked against the last state before, at every prediction); and the walk stops when
  no rule is left or every one left is settled: the same keys.

Installed by the server's start-up hook (rasa_extensions/startup.py), in the Rasa server only.
`HOTLINE_RASA_SPEEDUPS=0` leaves Rasa untouched (e.g. to compare with stock Rasa, or
if a Rasa upgrade changes these functions).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from itertools import islice
from typing import Any, Optional

import rasa.shared.utils.common
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.constants import USER
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event
from rasa.shared.core.trackers import DialogueStateTracker

_installed = False


def install() -> None:
    """Install the replacements once (idempotent)."""
    global _installed
    if _installed or os.environ.get("HOTLINE_RASA_SPEEDUPS", "1") == "0":
        return
    _compile_action_response_validator()
    _cache_event_types()
    _incremental_past_states()
    _incremental_applied_events()
    _cheap_slot_copies()
    _persistent_endpoint_sessions()
    _slimmer_action_calls()
    _fewer_collections()
    _frozen_model()
    _sequential_prediction_graph()
    _rule_matching_that_stops()
    _rule_states_formatted_only_when_logged()
    _installed = True


def _compile_action_response_validator() -> None:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    by_event_type = _dispatching_validator(schema, validator_class)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if by_event_type is not None and by_event_type(result):
            return True
        try:
            validator.validate(result)
        except ValidationError as error:
            error.message += (
                ". Failed to validate Action server response from API, make sure your "
                "response from the Action endpoint is valid. For more information about "
                f"the format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise
        return True

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def _dispatching_validator(
    schema: dict[str, Any], validator_class: Any
) -> Optional[Callable[[Any], bool]]:
    """A check that accepts exactly what `schema` accepts for responses whose events each
    match their own `oneOf` branch (by the branch's `event` const), else says False.

    `oneOf` holds when exactly one branch matches; the branches' `event` consts differ,
    so for an event of type X only X's branch can match. None when the schema does not
    have that shape (a Rasa upgrade): then the full schema is used alone.
    """
    try:
        events = schema["properties"]["events"]
        items = events["items"]
        branches = items["oneOf"]
        consts = [branch["properties"]["event"]["const"] for branch in branches]
    except (KeyError, TypeError):
        return None
    common = {key: value for key, value in items.items() if key != "oneOf"}
    per_type = {
        const: validator_class({**common, "allOf": [branch]})
        for const, branch in zip(consts, branches, strict=True)
        if consts.count(const) == 1
    }
    outer = validator_class({**schema, "properties": {
        **schema["properties"], "events": {key: value for key, value in events.items()
                                           if key != "items"}}})

    def check(result: Any) -> bool:
        if not outer.is_valid(result):
            return False
        for event in (result.get("events") or []) if isinstance(result, dict) else []:
            branch = per_type.get(event.get("event")) if isinstance(event, dict) else None
            if branch is None or not branch.is_valid(event):
                return False
        return True

    return check


def _event_classes() -> dict[str, type[Event]]:
    classes: dict[str, type[Event]] = {}
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)
    return classes


def _cache_event_types() -> None:
    original = Event.resolve_by_type
    known = _event_classes()

    def resolve_by_type(
        type_name: str, default: Optional[type[Event]] = None
    ) -> Optional[type[Event]]:
        cls = known.get(type_name)
        if cls is None:
            known.update(_event_classes())
            cls = known.get(type_name)
        return cls if cls is not None else original(type_name, default)

    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]


STATES_CACHE = "_hotline_prior_states"  # attribute on the tracker: it dies with it


class _PriorStates:
    """A replay of a tracker's applied events and the state before each action."""

    def __init__(self, domain: Domain, tracker: Any, omit_unset_slots: bool) -> None:
        self.domain = domain
        self.omit_unset_slots = omit_unset_slots
        self.replay = tracker.init_copy()
        self.replayed: list[Event] = []
        self.states: list[dict[str, Any]] = []

    def continues(self, events: list[Event]) -> bool:
        return len(events) >= len(self.replayed) and all(
            mine is theirs for mine, theirs in zip(self.replayed, events, strict=False))

    def _state(self) -> dict[str, Any]:
        # get_active_state returns the cleaned state Rasa's loop keeps
        return self.domain.get_active_state(self.replay, omit_unset_slots=self.omit_unset_slots)

    def states_after(self, events: list[Event]) -> list[dict[str, Any]]:
        for event in events[len(self.replayed):]:
            if isinstance(event, ActionExecuted):
                self.states.append(self._state())
            self.replay.update(event)
            self.replayed.append(event)
        # Featurizers edit the user sub-state of the states they get in place (drop the
        # text, the intent or the entities); the kept states are handed out with that one
        # sub-state copied (the others are only read; sub-states hold strings and tuples).
        return [{**state, USER: dict(state[USER])} if USER in state else dict(state)
                for state in self.states] + [self._state()]


_rasa_states_for_tracker_history = Domain.states_for_tracker_history  # Rasa's, for tests


def _incremental_past_states() -> None:
    original = _rasa_states_for_tracker_history

    def states_for_tracker_history(
        self: Domain, tracker: Any, omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False, rule_only_data: Optional[dict[str, Any]] = None,
    ) -> list[dict[str, Any]]:
        if ignore_rule_only_turns:  # the ML featurisation keeps more bookkeeping: Rasa's
            return original(self, tracker, omit_unset_slots, ignore_rule_only_turns,
                            rule_only_data)
        events = tracker.applied_events()
        cache = tracker.__dict__.setdefault(STATES_CACHE, {})
        key = (id(self), omit_unset_slots)
        prior = cache.get(key)
        if prior is None or prior.domain is not self or not prior.continues(events):
            prior = cache[key] = _PriorStates(self, tracker, omit_unset_slots)
        return prior.states_after(events)

    Domain.states_for_tracker_history = states_for_tracker_history  # type: ignore[method-assign]


APPLIED_CACHE = "_hotline_applied_events"  # attribute on the tracker: it dies with it
_rasa_applied_events = DialogueStateTracker.applied_events  # Rasa's, for tests


class _AppliedEvents:
    """Rasa's `applied_events` fold over a tracker's events, kept to be continued.

    Rasa folds the events left to right into the applied list; each step depends on the
    event, the list so far and the names of the loops anywhere in the events. So while
    the events only grow (same deque, the events folded still there) and bring no new
    loop name, folding the new ones onto the kept list gives Rasa's result.
    """

    def __init__(self, tracker: DialogueStateTracker) -> None:
        self.events = tracker.events
        self.loop_names = {e.name for e in self.events if isinstance(e, ActiveLoop) and e.name}
        self.applied: list[Event] = []
        self.count = 0
        self.last: Optional[Event] = None
        self.fold(tracker)

    def continues(self, tracker: DialogueStateTracker) -> bool:
        events = tracker.events
        if events is not self.events or len(events) < self.count:
            return False
        if self.count and events[self.count - 1] is not self.last:
            return False
        return all(e.name in self.loop_names for e in islice(events, self.count, None)
                   if isinstance(e, ActiveLoop) and e.name)

    def fold(self, tracker: DialogueStateTracker) -> None:
        """Rasa's loop body (DialogueStateTracker.applied_events), over the new events."""
        from rasa.shared.core.events import (
            ActionReverted,
            Restarted,
            SessionStarted,
            UserUtteranceReverted,
            UserUttered,
        )

        applied, loops = self.applied, self.loop_names
        for event in islice(self.events, self.count, None):
            if isinstance(event, (Restarted, SessionStarted)):
                applied.clear()
            elif isinstance(event, ActionReverted):
                tracker._undo_till_previous(ActionExecuted, applied)
            elif isinstance(event, UserUtteranceReverted):
                tracker._undo_till_previous(UserUttered, applied)
                tracker._undo_till_previous(ActionExecuted, applied)
            elif (isinstance(event, ActionExecuted) and event.action_name in loops
                  and not tracker._first_loop_execution_or_unhappy_path(
                      event.action_name, applied)):
                tracker._undo_till_previous_loop_execution(event.action_name, applied)
            else:
                applied.append(event)
            self.last = event
        self.count = len(self.events)


def _incremental_applied_events() -> None:
    def applied_events(self: DialogueStateTracker) -> list[Event]:
        kept = self.__dict__.get(APPLIED_CACHE)
        if kept is None or not kept.continues(self):
            kept = self.__dict__[APPLIED_CACHE] = _AppliedEvents(self)
        elif kept.count < len(self.events):
            kept.fold(self)
        return list(kept.applied)  # callers may edit the list they get

    DialogueStateTracker.applied_events = applied_events  # type: ignore[method-assign]


def _cheap_slot_copies() -> None:
    from rasa.shared.core.slots import Slot

    def __copy__(self: Slot) -> Slot:  # noqa: N807 - the copy protocol's name
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        return clone

    Slot.__copy__ = __copy__  # type: ignore[attr-defined]


KEEPALIVE_SECONDS = 2.0  # below Sanic's KEEP_ALIVE_TIMEOUT (5 s) on the action server
SESSIONS = "_hotline_sessions"  # attribute on the EndpointConfig: loop -> session


class _KeptSession:
    """`async with` on a kept session: the session outlives the block."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def __aenter__(self) -> Any:
        return self.session

    async def __aexit__(self, *_: object) -> None:
        return None


def _persistent_endpoint_sessions() -> None:
    import asyncio

    import aiohttp
    import ujson  # Rasa's own dependency; half json.dumps' time on an action call's body
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    def session(self: EndpointConfig) -> Any:
        loop = asyncio.get_running_loop()
        kept = self.__dict__.setdefault(SESSIONS, {})
        current = kept.get(loop)
        if current is None or current.closed:
            auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                    if self.basic_auth else None)
            current = kept[loop] = aiohttp.ClientSession(
                headers=self.headers, auth=auth, json_serialize=ujson.dumps,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS))
            for stale in [other for other in kept if other.is_closed()]:
                del kept[stale]  # sessions of loops that ended (tests, restarts)
        return _KeptSession(current)

    EndpointConfig.session = session  # type: ignore[method-assign]


# What the action server reads of a user event other than the latest (the latest one, and
# `latest_message`, go whole: actions read the ranking behind the caller's intent there).
KEPT_PARSE_KEYS = ("intent", "entities", "text", "message_id", "metadata")


_rasa_action_call_format = RemoteAction._action_call_format  # Rasa's, for the bench


def slim_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events of an action call, with every user event but the latest carrying only
    `KEPT_PARSE_KEYS` of its parse: no intent ranking, token offsets or malicious gate.
    Every event stays, in order (actions count turns); the dicts passed in are not changed."""
    latest = next((i for i in range(len(events) - 1, -1, -1)
                   if events[i].get("event") == "user"), None)
    slim = []
    for i, event in enumerate(events):
        parse = event.get("parse_data") if event.get("event") == "user" else None
        if parse and i != latest:
            event = {**event, "parse_data": {k: parse[k] for k in KEPT_PARSE_KEYS if k in parse}}
        slim.append(event)
    return slim


def _slimmer_action_calls() -> None:
    """An action call carries the whole conversation and, for a form's validation, the
    whole domain: 30–50 KB a call late in a call, encoded by Rasa and decoded by the
    action server at every form turn. The action server reads neither the rankings of
    earlier messages nor the responses' texts (Rasa renders them), so they stay home."""
    rasa_format = _rasa_action_call_format
    without_responses: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}

    def _action_call_format(self: RemoteAction, tracker: DialogueStateTracker,
                            domain: Domain) -> dict[str, Any]:
        body = rasa_format(self, tracker, domain)
        state = body["tracker"]
        state["events"] = slim_events(state["events"])
        if "domain" in body:  # Rasa keeps one `as_dict()` per domain: remember its slim copy
            full = body["domain"]
            kept = without_responses.get(id(full))
            if kept is None or kept[0] is not full:
                kept = without_responses[id(full)] = (
                    full, {k: v for k, v in full.items() if k != "responses"})
            body["domain"] = kept[1]
        return body

    RemoteAction._action_call_format = _action_call_format  # type: ignore[method-assign]


def _fewer_collections() -> None:
    import gc

    # A turn allocates tens of thousands of short-lived objects (events, states, dicts).
    # Python's default (700, 10, 10) collects the young generation every 700 of them and
    # the older ones, which hold the loaded model, every 7,000 and 70,000: most of that
    # walking finds nothing, as these objects die with their turn.
    gc.set_threshold(50_000, 20, 20)


def _frozen_model() -> None:
    """After the model loads, move everything alive into the collector's permanent
    generation (`gc.freeze`): a full collection otherwise walks the ~500,000 objects of
    the loaded model to find none of them garbage, a 180–230 ms stall of the replica
    under load, which queues every turn behind it. (A model loaded later through the
    HTTP API is not frozen: it is collected as Rasa would.)"""
    import gc

    import rasa.core.run

    load_agent_on_start = rasa.core.run.load_agent_on_start

    @functools.wraps(load_agent_on_start)
    async def load_agent_then_freeze(*args: Any, **kwargs: Any) -> Any:
        agent = await load_agent_on_start(*args, **kwargs)
        gc.collect()  # the garbage of loading goes now, not frozen with the model
        gc.freeze()
        return agent

    # serve_application binds the name when it registers its start listener
    rasa.core.run.load_agent_on_start = load_agent_then_freeze


def _sequential_prediction_graph() -> None:
    import rasa.core.processor

    from rasa_extensions.graph_runner import SequentialGraphRunner

    # the name the processor loads its prediction graph with (training keeps dask's)
    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]


_rasa_get_possible_keys = RulePolicy._get_possible_keys  # Rasa's, for tests
_Rule = tuple[str, list[dict[str, Any]]]  # a rule's key and its states, last first


class _LastStateIndex:
    """A lookup's rules by what their last state asks of the previous action."""

    def __init__(self) -> None:
        self.always: list[_Rule] = []  # no states: settled at once
        self.no_previous: list[_Rule] = []  # match only a state with no previous action
        self.by_previous_name: dict[str, list[_Rule]] = {}  # that action name, and more
        self.any_previous: list[_Rule] = []  # any previous action, and more


def _rule_matching_that_stops() -> None:
    from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET
    from rasa.shared.nlu.constants import ACTION_NAME

    reversed_rules: dict[str, list[dict[str, Any]]] = {}  # rule key -> its states, last first
    # id(lookup) -> (the lookup, its index, its size when indexed)
    indexes: dict[int, tuple[dict[str, str], _LastStateIndex, int]] = {}

    def rule_states(key: str) -> list[dict[str, Any]]:
        states = reversed_rules.get(key)
        if states is None:
            states = reversed_rules[key] = list(reversed(RulePolicy._rule_key_to_state(key)))
        return states

    def index_of(lookup: dict[str, str]) -> _LastStateIndex:
        kept = indexes.get(id(lookup))
        if kept is None or kept[0] is not lookup or kept[2] != len(lookup):
            index = _LastStateIndex()
            for key in lookup:
                rule = rule_states(key)
                previous = rule[0].get(PREVIOUS_ACTION) if rule else None
                name = previous.get(ACTION_NAME) if previous else None
                if not rule:
                    index.always.append((key, rule))
                elif not previous:
                    index.no_previous.append((key, rule))
                elif name and name != SHOULD_NOT_BE_SET:
                    index.by_previous_name.setdefault(name, []).append((key, rule))
                else:
                    index.any_previous.append((key, rule))
            kept = indexes[id(lookup)] = (lookup, index, len(lookup))
        return kept[1]

    def applicable(policy: RulePolicy, rule: list[dict[str, Any]], index: int,
                   state: dict[str, Any]) -> bool:
        # RulePolicy._is_rule_applicable for a rule longer than `index`
        rule_previous = rule[index].get(PREVIOUS_ACTION)
        current_previous = state.get(PREVIOUS_ACTION)
        if not rule_previous and not current_previous:
            return True
        if not rule_previous or not current_previous:
            return False
        return policy._does_rule_match_state(rule[index], state)

    def _get_possible_keys(self: RulePolicy, lookup: dict[str, str],
                           states: list[dict[str, Any]]) -> set[str]:
        if not states:
            return set(lookup)
        # The last state first, through the index: a rule whose last state names a
        # previous action can only match a state with that previous action.
        last = states[-1]
        index = index_of(lookup)
        previous = last.get(PREVIOUS_ACTION)
        if not previous:
            possible = index.always + index.no_previous
        else:
            named = index.by_previous_name.get(previous.get(ACTION_NAME), [])
            possible = index.always + [
                (key, rule) for key, rule in named + index.any_previous
                if self._does_rule_match_state(rule[0], last)]
        for depth, state in enumerate(reversed(states[:-1]), start=1):
            if all(len(rule) <= depth for _, rule in possible):
                break  # every rule left is settled (or none is left)
            possible = [(key, rule) for key, rule in possible
                        if len(rule) <= depth or applicable(self, rule, depth, state)]
        return {key for key, _ in possible}

    RulePolicy._get_possible_keys = _get_possible_keys  # type: ignore[method-assign]


def _rule_states_formatted_only_when_logged() -> None:
    import logging

    from rasa.core.policies.policy import Policy

    original = Policy.format_tracker_states
    # structlog's filter_by_level asks the stdlib logger of the module that logs
    rule_logger = logging.getLogger("rasa.core.policies.rule_policy")

    def format_tracker_states(states: list[dict[str, Any]]) -> str:
        return original(states) if rule_logger.isEnabledFor(logging.DEBUG) else ""

    RulePolicy.format_tracker_states = staticmethod(format_tracker_states)  # type: ignore[method-assign,assignment]
