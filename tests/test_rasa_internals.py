"""What rasa_extensions/ relies on inside Rasa: the pinned version and the private functions
it replaces or extends, with their parameters. A Rasa upgrade that changes one fails here,
before a caller meets it; the start-up hook installs the replacements explicitly, never as
a side effect of importing a channel."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import rasa
from rasa.core.actions.action import ActionSessionStart, RemoteAction, create_bot_utterance
from rasa.core.actions.forms import FormAction
from rasa.core.lock_store import LockStore
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

from rasa_extensions.startup import PINNED_RASA_VERSION

ROOT = Path(__file__).resolve().parent.parent
ACTION_RUN = ["self", "output_channel", "nlg", "tracker", "domain"]


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_the_installed_rasa_is_the_pinned_one() -> None:
    assert rasa.__version__ == PINNED_RASA_VERSION
    pinned = re.search(r"^rasa\[jieba\]==(\S+)$", (ROOT / "requirements.in").read_text(),
                       re.MULTILINE)
    assert pinned and pinned.group(1) == PINNED_RASA_VERSION
    assert f"rasa=={PINNED_RASA_VERSION}" in (ROOT / "requirements.lock").read_text()


def test_what_service_down_wraps_is_there() -> None:
    assert parameters(MessageProcessor._run_action) == [
        "self", "action", "tracker", "output_channel", "nlg", "prediction"]
    assert inspect.iscoroutinefunction(MessageProcessor._run_action)
    for action in (RemoteAction, FormAction, ActionSessionStart):
        assert parameters(action.run) == ACTION_RUN
        assert inspect.iscoroutinefunction(action.run)
    assert parameters(create_bot_utterance) == ["message"]


def test_what_speedups_replace_is_there() -> None:
    assert parameters(RemoteAction._validate_action_result) == ["self", "result"]
    assert isinstance(RemoteAction.action_response_format_spec(), dict)
    assert parameters(Event.resolve_by_type) == ["type_name", "default"]
    assert isinstance(inspect.getattr_static(Event, "resolve_by_type"), staticmethod)
    assert Event in all_subclasses(Event) or all_subclasses(Event)
    assert all(isinstance(cls.type_name, str) for cls in all_subclasses(Event))
    # the per-event check reads the schema's oneOf branches by their `event` const
    branches = RemoteAction.action_response_format_spec()["properties"]["events"]["items"]
    assert all("const" in b["properties"]["event"] for b in branches["oneOf"])
    # the past-states replay stands in for this method, fed by these two
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.slots import Slot
    from rasa.shared.core.trackers import DialogueStateTracker

    assert parameters(Domain.states_for_tracker_history) == [
        "self", "tracker", "omit_unset_slots", "ignore_rule_only_turns", "rule_only_data"]
    assert parameters(Domain.get_active_state) == ["self", "tracker", "omit_unset_slots"]
    assert parameters(DialogueStateTracker.applied_events) == ["self"]
    # the rule walk replaced, and what it calls of Rasa's
    from rasa.core.policies.rule_policy import RulePolicy

    assert parameters(RulePolicy._get_possible_keys) == ["self", "lookup", "states"]
    assert parameters(RulePolicy._is_rule_applicable) == [
        "self", "rule_key", "turn_index", "conversation_state"]
    assert parameters(RulePolicy._does_rule_match_state) == ["rule_state", "conversation_state"]
    assert parameters(RulePolicy._rule_key_to_state) == ["rule_key"]
    # the name the processor loads its prediction graph with, and the runner's parts
    import rasa.core.processor
    from rasa.engine.runner.dask import DaskGraphRunner

    assert hasattr(rasa.core.processor, "DaskGraphRunner")
    assert parameters(DaskGraphRunner.run) == ["self", "inputs", "targets"]
    source = inspect.getsource(DaskGraphRunner.__init__)
    assert re.search(r"self\._graph_schema\b", source)
    assert re.search(r"self\._instantiated_nodes\b", source)
    # the action call's body is built here and nowhere else; the model loads through this
    import rasa.core.run

    assert parameters(RemoteAction._action_call_format) == ["self", "tracker", "domain"]
    assert "_action_call_format(" in inspect.getsource(RemoteAction.run)
    assert parameters(rasa.core.run.load_agent_on_start) == [
        "model_path", "endpoints", "remote_storage", "app", "loop"]
    assert "load_agent_on_start" in inspect.getsource(rasa.core.run.serve_application)
    # slots are copied by their attribute dict: no __slots__, no copy hooks of their own
    for cls in [Slot, *all_subclasses(Slot)]:
        assert "__slots__" not in vars(cls) and "__reduce_ex__" not in vars(cls)


def test_what_the_stores_extend_is_there() -> None:
    assert parameters(RedisTrackerStore.save) == ["self", "tracker", "timeout"]
    assert parameters(RedisTrackerStore._merge_trackers) == ["prior_tracker", "tracker"]
    assert parameters(RedisTrackerStore.deserialise_tracker) == [
        "self", "sender_id", "serialised_tracker"]
    assert parameters(RedisTrackerStore.stream_events) == ["self", "tracker"]
    assert "key_prefix" in parameters(RedisTrackerStore.__init__)
    expected = {
        "lock": ["self", "conversation_id", "lock_lifetime", "wait_time_in_seconds"],
        "issue_ticket": ["self", "conversation_id", "lock_lifetime"],
        "cleanup": ["self", "conversation_id", "ticket_number"],
        "finish_serving": ["self", "conversation_id", "ticket_number"],
        "update_lock": ["self", "conversation_id"],
        "is_someone_waiting": ["self", "conversation_id"],
        "get_lock": ["self", "conversation_id"],
        "delete_lock": ["self", "conversation_id"],
        "save_lock": ["self", "lock"],
    }
    assert {name: parameters(getattr(LockStore, name)) for name in expected} == expected


def test_the_hook_installs_them_and_importing_the_channels_does_not() -> None:
    code = "\n".join([
        "from rasa.core.processor import MessageProcessor",
        "from rasa.core.actions.action import RemoteAction",
        "from rasa.shared.core.events import Event",
        "before = (MessageProcessor._run_action, RemoteAction._validate_action_result,",
        "          Event.resolve_by_type)",
        "import channels.rest, channels.webchat.channel, channels.voice.channel",
        "imported = (MessageProcessor._run_action, RemoteAction._validate_action_result,",
        "            Event.resolve_by_type)",
        "from rasa_extensions import startup",
        "assert not startup.installed()",
        "startup.install(); startup.install()",
        "after = (MessageProcessor._run_action, RemoteAction._validate_action_result,",
        "         Event.resolve_by_type)",
        "print(imported == before, startup.installed(),",
        "      all(a is not b for a, b in zip(after, before)))",
    ])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOTLINE_RASA_SPEEDUPS": "1"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True)
    assert result.stdout.split() == ["True", "True", "True"]


def test_the_server_is_started_through_the_hook() -> None:
    from launcher.services import Ports, rasa_server

    service = rasa_server(ROOT, ROOT / "models" / "m.tar.gz", Ports(), "token")
    assert service.args[1:4] == ["-m", "rasa_extensions", "run"]


def test_what_the_sentence_count_vectors_override_is_there() -> None:
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
        CountVectorsFeaturizer,
    )

    assert parameters(CountVectorsFeaturizer._create_features) == [
        "self", "attribute", "all_tokens"]
    assert "vectorizers" in inspect.getsource(CountVectorsFeaturizer.__init__)


def test_the_rule_policy_formats_its_states_only_for_a_log_line() -> None:
    from rasa.core.policies.rule_policy import RulePolicy

    source = inspect.getsource(RulePolicy._find_action_from_rules)
    # made, then logged (`current_states=copy.deepcopy(current_states)`): nothing else
    assert source.count("current_states") == 3
    assert "format_tracker_states(states)" in source
