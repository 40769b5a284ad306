"""The sequential prediction graph (rasa_extensions/graph_runner.py) answers as dask's does.

Both runners are loaded from the session's trained model; every message of the NLU
regression set is parsed by both, and conversations made of those messages are
predicted turn by turn by both (the predicted action appended, as the processor
does), comparing every intent ranking, entity and policy prediction.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import UserMessage
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.engine.exceptions import GraphRunError
from rasa.engine.loader import load_predict_graph_runner
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_extensions.graph_runner import SequentialGraphRunner

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [case["text"] for case in yaml.safe_load(
    (ROOT / "tests" / "nlu_regression.yml").read_text(encoding="utf-8"))["cases"]]


@pytest.fixture(scope="module")
def runners(trained_model: Path) -> Iterator[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as dask_dir, tempfile.TemporaryDirectory() as seq_dir:
        metadata, dask = load_predict_graph_runner(
            Path(dask_dir), trained_model, LocalModelStorage, DaskGraphRunner)
        _, sequential = load_predict_graph_runner(
            Path(seq_dir), trained_model, LocalModelStorage, SequentialGraphRunner)
        yield {"metadata": metadata, "dask": dask, "sequential": sequential,
               "domain": metadata.domain}


def parse(runner: Any, target: str, text: str, tracker: Any = None) -> dict[str, Any]:
    results = runner.run(inputs={PLACEHOLDER_MESSAGE: [UserMessage(text)],
                                 PLACEHOLDER_TRACKER: tracker}, targets=[target])
    return results[target][0].as_dict(only_output_properties=True)


def test_every_regression_message_parses_alike(runners: dict[str, Any]) -> None:
    target = runners["metadata"].nlu_target
    for text in TEXTS:
        assert parse(runners["sequential"], target, text) == \
            parse(runners["dask"], target, text), text


def predict(runner: Any, target: str, tracker: DialogueStateTracker) -> Any:
    return runner.run(inputs={PLACEHOLDER_TRACKER: tracker}, targets=[target])[target]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(TEXTS), min_size=1, max_size=6))
def test_conversations_are_predicted_alike(runners: dict[str, Any], said: list[str]) -> None:
    metadata, domain = runners["metadata"], runners["domain"]
    assert isinstance(domain, Domain)
    tracker = DialogueStateTracker("caller", domain.slots)
    tracker.update(ActionExecuted("action_listen"))
    for text in said:
        parsed = parse(runners["dask"], metadata.nlu_target, text, tracker)
        tracker.update(UserUttered(text, parsed["intent"], parsed["entities"], parsed))
        for _ in range(4):  # the processor predicts until the bot listens
            ours = predict(runners["sequential"], metadata.core_target, tracker)
            theirs = predict(runners["dask"], metadata.core_target, tracker)
            assert (ours.probabilities, ours.policy_name, ours.events,
                    ours.optional_events, ours.is_end_to_end_prediction,
                    ours.is_no_user_prediction, ours.action_metadata) == \
                   (theirs.probabilities, theirs.policy_name, theirs.events,
                    theirs.optional_events, theirs.is_end_to_end_prediction,
                    theirs.is_no_user_prediction, theirs.action_metadata)
            action = domain.action_names_or_texts[ours.max_confidence_index]
            tracker.update(ActionExecuted(action, ours.policy_name, ours.max_confidence))
            if action == "action_listen":
                break


def test_an_input_named_like_a_node_is_refused_as_rasa_refuses_it(
        runners: dict[str, Any]) -> None:
    target = runners["metadata"].nlu_target
    for runner in (runners["dask"], runners["sequential"]):
        with pytest.raises(GraphRunError, match="clashes with a node name"):
            runner.run(inputs={"x": target}, targets=[target])
