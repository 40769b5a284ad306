"""The hot-path steps of issue 18 measured one by one, the old way against the new, in
one run on one machine (docs/BENCHMARKS.md, "Hot path, step by step").

    python bench/hotpath.py [--model models/hotline-....tar.gz] [--repeat 2000]

Each step times the operation a turn performs before and after the change, with the
same inputs, against a real redis-server started for the run:

- classifier scoring: a message's feature blocks stacked into one sparse row times the
  trained model's weights stored transposed (a view scipy copies on every call), or
  each block times its own rows of contiguous weights;
- reading the last session of a 3-session, 60-turn conversation: Rasa's retrieve
  (every session rebuilt, then the last one again) or the store's (the last one once);
- validating a custom action's response (a form step: slots, a bot message, the loop):
  Rasa's schema compiled once (the earlier speedup) or checked event by event against
  the event's own branch;
- the rule policy's past states in one turn of a 20-turn conversation (three predictions,
  each after one more action): Rasa's replay from the first event each time, or the
  replay kept on the tracker and continued;
- "was this conversation closed?" before every message: the lock, the tracker read and
  the slot, or one EXISTS on the flag saved with the tracker;
- the prediction graph, one parse and one prediction on a 20-turn conversation: dask's
  scheduler or the nodes called in a fixed order (rasa_extensions/graph_runner.py);
- the rule policy's walk over a 20-turn conversation's states with the trained rules:
  Rasa's (every state, each rule's states rebuilt per check) or the one that stops
  when every rule left is settled;
- encoding a custom action call's body (a 20-turn session's tracker): json.dumps with
  the domain, as Rasa sent it to every action, or ujson without it (every action but
  the form validations, which still get the domain);
- a form's validation call, encoded by Rasa and decoded by the action server (a 20-turn
  session, each message with its ranking): every message's parse and the domain's
  responses, or the earlier messages' intent, entities and text and the domain without
  its responses' texts;
- saving a turn (3 new events) of a 20-turn session: read the stored conversation again,
  parse it, re-encode every event and write it, or append the new events' JSON to what
  the turn read and write it in one script that checks nobody wrote meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

from bench.report import write_json  # noqa: E402


def timed(call: Callable[[], Any], repeat: int) -> float:
    """Median milliseconds of `call` over `repeat` runs (after 10 unmeasured)."""
    for _ in range(10):
        call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def timed_async(call: Callable[[], Any], repeat: int) -> float:
    loop = asyncio.new_event_loop()
    try:
        return timed(lambda: loop.run_until_complete(call()), repeat)
    finally:
        loop.close()


def classifier_arrays(model: Path) -> tuple[np.ndarray, list[tuple[str, int, bool]]]:
    """The trained classifier's weights and feature layout, from the model archive."""
    with tarfile.open(model) as archive:
        members = [m for m in archive.getmembers() if "HotlineLinearClassifier" in m.name]
        arrays = archive.extractfile(next(m for m in members if m.name.endswith(".npz")))
        meta = archive.extractfile(next(m for m in members if m.name.endswith(".json")))
        assert arrays is not None and meta is not None
        with tempfile.TemporaryDirectory() as work:
            path = Path(work) / "linear.npz"
            path.write_bytes(arrays.read())
            coef = np.load(path)["coef"]
        layout = [(str(o), int(w), bool(s)) for o, w, s in json.loads(meta.read())["layout"]]
    return coef, layout


def step_classifier(model: Path, repeat: int) -> dict[str, Any]:
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message

    from rasa_extensions.nlu.classifier import design_matrix, linear_scores

    coef, layout = classifier_arrays(model)
    rng = np.random.default_rng(1)
    # A typical message: ~8 words, ~40 character n-grams, the lexicon cues.
    message = Message(data={TEXT: "我的订单还没到"})
    for (origin, width, is_sparse), active in zip(layout, (8, 40, 0), strict=False):
        if is_sparse:
            block = sp.coo_matrix((np.ones(active), (np.zeros(active, int),
                                                     rng.choice(width, active, replace=False))),
                                  shape=(1, width))
        else:
            block = rng.random((1, width))
        message.add_features(Features(block, FEATURE_TYPE_SENTENCE, TEXT, origin))
    view = coef.T
    contiguous = np.ascontiguousarray(coef.T)

    def before() -> Any:  # the design row times the transposed weights (a view)
        return design_matrix([message], layout, 1.0) @ view

    def after() -> Any:
        return linear_scores([message], layout, 1.0, contiguous)

    assert np.allclose(np.asarray(before()), after())
    return {"step": "classifier: features to intent scores", "weights": list(coef.shape),
            "before_ms": timed(before, repeat), "after_ms": timed(after, repeat)}


def _conversation(sender: str, sessions: int, turns: int):  # type: ignore[no-untyped-def]
    from rasa.shared.core.events import (
        ActionExecuted,
        BotUttered,
        SessionStarted,
        SlotSet,
        UserUttered,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker(sender, slots=[])
    for session in range(sessions):
        tracker.update(SlotSet("session_started_metadata", {"channel": "rest"}))
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(ActionExecuted("action_listen"))
        for n in range(turns):
            tracker.update(UserUttered(
                f"我的订单DD2026110100{session}{n}还没到", {"name": "order_status",
                                                   "confidence": 0.93},
                parse_data={"intent_ranking": [{"name": f"intent_{i}", "confidence": 0.01}
                                               for i in range(10)]}))
            tracker.update(ActionExecuted("utter_order_status", policy="RulePolicy"))
            tracker.update(BotUttered("您的订单已发货,预计明天送达。"))
            tracker.update(ActionExecuted("action_listen"))
    return tracker


def step_tracker_read(redis_port: int, repeat: int) -> dict[str, Any]:
    from rasa.core.tracker_store import RedisTrackerStore, TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.utils.endpoints import EndpointConfig

    store = TrackerStore.create(EndpointConfig(
        url="127.0.0.1", type="rasa_extensions.tracker_store.CompactRedisTrackerStore",
        port=redis_port, db=0, key_prefix="hotline", record_exp=None), domain=Domain.empty())
    tracker = _conversation("bench-read", sessions=3, turns=20)
    asyncio.run(store.save(tracker))
    return {"step": "last-session read (3 sessions x 20 turns)", "events": len(tracker.events),
            "before_ms": timed_async(
                lambda: RedisTrackerStore._retrieve(store, "bench-read", False), repeat),
            "after_ms": timed_async(lambda: store._retrieve("bench-read", False), repeat)}


def step_tracker_save(redis_port: int, repeat: int) -> dict[str, Any]:
    import redis
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.utils.endpoints import EndpointConfig

    store = TrackerStore.create(EndpointConfig(
        url="127.0.0.1", type="rasa_extensions.tracker_store.CompactRedisTrackerStore",
        port=redis_port, db=0, key_prefix="hotline", record_exp=None), domain=Domain.empty())
    client = redis.Redis(port=redis_port)
    key = "hotline:tracker:bench-save"
    asyncio.run(store.save(_conversation("bench-save", sessions=1, turns=20)))
    stored = client.get(key)
    turn = asyncio.run(store.retrieve("bench-save"))  # what a turn reads (remembered)
    read = store._reads["bench-save"]
    turn.update(UserUttered("还没到", {"name": "order_status", "confidence": 0.9}))
    turn.update(ActionExecuted("utter_order_status"))
    turn.update(BotUttered("您的订单已发货,预计明天送达。"))

    async def before() -> None:  # nothing remembered: read again, merge, write
        client.set(key, stored)
        store._reads.pop("bench-save", None)
        await store.save(turn)

    async def after() -> None:
        client.set(key, stored)
        store._remember("bench-save", read)
        await store.save(turn)

    return {"step": "tracker save, 3 new events on a 20-turn session",
            "before_ms": timed_async(before, repeat), "after_ms": timed_async(after, repeat)}


def step_closed_check(redis_port: int, repeat: int) -> dict[str, Any]:
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.utils.endpoints import EndpointConfig

    from rasa_extensions.locks import AtomicRedisLockStore

    store = TrackerStore.create(EndpointConfig(
        url="127.0.0.1", type="rasa_extensions.tracker_store.CompactRedisTrackerStore",
        port=redis_port, db=0, key_prefix="hotline", record_exp=None), domain=Domain.empty())
    locks = AtomicRedisLockStore(EndpointConfig(url="127.0.0.1", port=redis_port, db=0))
    tracker = _conversation("bench-closed", sessions=1, turns=10)
    asyncio.run(store.save(tracker))

    async def before() -> None:  # what channels/sessions.py did for every message
        async with locks.lock("bench-closed"):
            read = await store.retrieve("bench-closed")
            assert read is not None and not read.get_slot("session_closed")

    async def after() -> None:
        assert not await store.is_closed("bench-closed")

    return {"step": "closed-session check before each message",
            "before_ms": timed_async(before, repeat), "after_ms": timed_async(after, repeat)}


def step_action_response(repeat: int) -> dict[str, Any]:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    from rasa_extensions.speedups import _dispatching_validator

    schema = RemoteAction.action_response_format_spec()
    full = validator_for(schema)(schema)
    per_event = _dispatching_validator(schema, validator_for(schema))
    assert per_event is not None
    response = {"events": [
        {"event": "slot", "timestamp": None, "name": "phone_number", "value": "13812345678"},
        {"event": "slot", "timestamp": None, "name": "requested_slot", "value": "address"},
        {"event": "slot", "timestamp": None, "name": "form_aside", "value": None},
        {"event": "active_loop", "timestamp": None, "name": "complaint_form"},
        {"event": "bot", "timestamp": None, "text": "请问您的地址是?", "data": {},
         "metadata": {"utter_action": "utter_ask_address"}},
    ], "responses": [{"response": "utter_ask_address"}]}
    assert per_event(response) and full.is_valid(response)
    return {"step": "action response validation (5 events)",
            "before_ms": timed(lambda: full.validate(response), repeat),
            "after_ms": timed(lambda: per_event(response), repeat)}


def step_past_states(repeat: int) -> dict[str, Any]:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from rasa_extensions import speedups

    domain = Domain.load(str(Path(__file__).resolve().parent.parent / "domain.yml"))
    base = list(_conversation("bench-states", sessions=1, turns=20).events)
    turn = [ActionExecuted("utter_order_status"), BotUttered("好的"),
            ActionExecuted("action_listen")]

    def one_turn(states_of: Callable[[Any], Any]) -> None:
        tracker = DialogueStateTracker.from_events("bench-states", base, domain.slots)
        states_of(tracker)
        for event in turn:
            tracker.update(event)
            if isinstance(event, ActionExecuted):
                states_of(tracker)

    return {"step": "rule-policy past states, one turn (20-turn call)",
            "before_ms": timed(lambda: one_turn(
                lambda t: speedups._rasa_states_for_tracker_history(domain, t)), repeat),
            "after_ms": timed(lambda: one_turn(lambda t: t.past_states(domain)), repeat)}


def step_applied_events(repeat: int) -> dict[str, Any]:
    from rasa.shared.core.events import ActionExecuted, BotUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from rasa_extensions import speedups

    base = list(_conversation("bench-applied", sessions=1, turns=20).events)
    turn = [ActionExecuted("utter_order_status"), BotUttered("好的"),
            ActionExecuted("action_listen")]

    def one_turn(applied: Callable[[Any], Any]) -> None:
        # what a turn asks: the session check, then each prediction twice (the rule
        # policy's text- and intent-based states), once per action
        tracker = DialogueStateTracker.from_events("bench-applied", base, [])
        applied(tracker), applied(tracker), applied(tracker)
        for event in turn:
            tracker.update(event)
            if isinstance(event, ActionExecuted):
                applied(tracker), applied(tracker)

    return {"step": "applied events, one turn (20-turn call, 7 asks)",
            "before_ms": timed(lambda: one_turn(speedups._rasa_applied_events), repeat),
            "after_ms": timed(lambda: one_turn(lambda t: t.applied_events()), repeat)}


def step_states_handed_out(repeat: int) -> dict[str, Any]:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from rasa_extensions import speedups

    domain = Domain.load(str(Path(__file__).resolve().parent.parent / "domain.yml"))
    tracker = DialogueStateTracker.from_events(
        "bench-handed", list(_conversation("bench-handed", 1, 20).events), domain.slots)
    tracker.past_states(domain)
    prior = next(iter(tracker.__dict__[speedups.STATES_CACHE].values()))
    events = tracker.applied_events()

    def every_sub_state() -> Any:  # before: every sub-state of every kept state copied
        return [{kind: dict(sub) for kind, sub in state.items()}
                for state in prior.states] + [prior._state()]

    return {"step": "past states handed out (20-turn call): every sub-state copied, or "
                    "the user's only",
            "before_ms": timed(every_sub_state, repeat),
            "after_ms": timed(lambda: prior.states_after(events), repeat)}


def step_block_scaling(repeat: int) -> dict[str, Any]:
    from rasa_extensions.nlu.classifier import scaled_entries

    rng = np.random.default_rng(2)
    width, active = 5000, 40  # a character n-gram block of a typical message
    block = sp.coo_matrix((np.ones(active), (np.zeros(active, int),
                                             rng.integers(0, width, active))),
                          shape=(1, width))

    def through_scipy() -> Any:  # before: a CSR matrix built to sum the duplicates
        row = sp.csr_matrix(block, dtype=np.float64)
        row.sum_duplicates()
        norm = np.sqrt(np.dot(row.data, row.data))
        return row.indices, row.data / norm

    before, after = through_scipy(), scaled_entries(block, width, True, 1.0)
    assert np.array_equal(before[0], after[0]) and np.allclose(before[1], after[1])
    return {"step": "one sparse feature block L2-normalised (the classifier and the "
                    "malicious gate, every sparse block of every message)",
            "before_ms": timed(through_scipy, repeat),
            "after_ms": timed(lambda: scaled_entries(block, width, True, 1.0), repeat)}


def _prediction_runners(model: Path, work: Path) -> tuple[Any, Any, Any]:
    from rasa.engine.loader import load_predict_graph_runner
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    from rasa_extensions.graph_runner import SequentialGraphRunner

    metadata, dask = load_predict_graph_runner(
        work / "dask", model, LocalModelStorage, DaskGraphRunner)
    _, sequential = load_predict_graph_runner(
        work / "sequential", model, LocalModelStorage, SequentialGraphRunner)
    return metadata, dask, sequential


def step_graph_runner(model: Path, repeat: int) -> dict[str, Any]:
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
    from rasa.shared.core.trackers import DialogueStateTracker

    with tempfile.TemporaryDirectory() as work:
        metadata, dask, sequential = _prediction_runners(model, Path(work))
        events = list(_conversation("bench-graph", sessions=1, turns=20).events)
        tracker = DialogueStateTracker.from_events("bench-graph", events,
                                                   metadata.domain.slots)

        def turn(runner: Any) -> Any:
            runner.run(inputs={PLACEHOLDER_MESSAGE: [UserMessage("我的订单还没到")],
                               PLACEHOLDER_TRACKER: tracker}, targets=[metadata.nlu_target])
            return runner.run(inputs={PLACEHOLDER_TRACKER: tracker},
                              targets=[metadata.core_target])

        return {"step": "prediction graph: one parse and one prediction",
                "before_ms": timed(lambda: turn(dask), repeat),
                "after_ms": timed(lambda: turn(sequential), repeat)}


def step_rule_walk(model: Path, repeat: int) -> dict[str, Any]:
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.domain import Domain

    from rasa_extensions import speedups

    with tarfile.open(model) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("rule_policy.json"))
        handle = archive.extractfile(member)
        assert handle is not None
        rules = json.load(handle)["lookup"]["rules"]
    domain = Domain.load(str(Path(__file__).resolve().parent.parent / "domain.yml"))
    tracker = _conversation("bench-rules", sessions=1, turns=20)
    states = domain.states_for_tracker_history(tracker)
    policy = RulePolicy.__new__(RulePolicy)
    assert policy._get_possible_keys(rules, states) == \
        speedups._rasa_get_possible_keys(policy, rules, states)
    return {"step": "rule policy: the rule walk over 20 turns' states",
            "before_ms": timed(lambda: speedups._rasa_get_possible_keys(policy, rules, states),
                               repeat),
            "after_ms": timed(lambda: policy._get_possible_keys(rules, states), repeat)}


def step_action_call_body(repeat: int) -> dict[str, Any]:
    import ujson
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import EventVerbosity

    domain = Domain.load(str(Path(__file__).resolve().parent.parent / "domain.yml"))
    tracker = _conversation("bench-body", sessions=1, turns=20)
    state = tracker.current_state(EventVerbosity.ALL)
    with_domain = {"next_action": "action_answer_business", "sender_id": "bench-body",
                   "tracker": state, "version": "3.6.21", "domain": domain.as_dict()}
    without = {k: v for k, v in with_domain.items() if k != "domain"}
    return {"step": "action call body: encode (20-turn session)",
            "before_bytes": len(json.dumps(with_domain)), "after_bytes": len(ujson.dumps(without)),
            "before_ms": timed(lambda: json.dumps(with_domain), repeat),
            "after_ms": timed(lambda: ujson.dumps(without), repeat)}


def step_validation_call(repeat: int) -> dict[str, Any]:
    import ujson
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.utils.endpoints import EndpointConfig

    from rasa_extensions import speedups

    domain = Domain.load(str(Path(__file__).resolve().parent.parent / "domain.yml"))
    tracker = _conversation("bench-validation", sessions=1, turns=20)
    endpoint = EndpointConfig("http://127.0.0.1:1/webhook", enable_selective_domain=True)
    action = RemoteAction("validate_complaint_form", endpoint)

    def before() -> Any:  # Rasa's body, encoded here and decoded by the action server
        return json.loads(ujson.dumps(speedups._rasa_action_call_format(action, tracker,
                                                                         domain)))

    def after() -> Any:
        return json.loads(ujson.dumps(action._action_call_format(tracker, domain)))

    return {"step": "form validation call: encode + decode (20 turns)",
            "before_bytes": len(ujson.dumps(before())), "after_bytes": len(ujson.dumps(after())),
            "before_ms": timed(before, repeat), "after_ms": timed(after, repeat)}


def main(argv: Optional[list[str]] = None) -> int:
    from bench.stack import current_model
    from launcher.redis_local import start_local_redis
    from rasa_extensions import startup
    from tests.support.processes import free_port  # the one free-port helper of the project

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    model = args.model or current_model()
    startup.install()  # as the server does: the same codecs and speedups
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="hotline-hotpath-") as work:
        redis_process = start_local_redis(f"redis://127.0.0.1:{port}/0", Path(work))
        try:
            steps = [step_classifier(model, args.repeat),
                     step_block_scaling(args.repeat),
                     step_action_response(args.repeat),
                     step_past_states(args.repeat // 20),
                     step_applied_events(args.repeat // 4),
                     step_states_handed_out(args.repeat // 4),
                     step_tracker_read(port, args.repeat // 4),
                     step_tracker_save(port, args.repeat // 4),
                     step_closed_check(port, args.repeat // 4),
                     step_graph_runner(model, args.repeat // 10),
                     step_rule_walk(model, args.repeat // 4),
                     step_action_call_body(args.repeat // 4),
                     step_validation_call(args.repeat // 4)]
        finally:
            redis_process.terminate()
            redis_process.wait(10)
    print(f"{'step':<50} {'before ms':>10} {'after ms':>10} {'ratio':>7}")
    for step in steps:
        step["before_ms"], step["after_ms"] = (round(step["before_ms"], 3),
                                               round(step["after_ms"], 3))
        ratio = step["before_ms"] / step["after_ms"] if step["after_ms"] else float("inf")
        print(f"{step['step']:<50} {step['before_ms']:>10} {step['after_ms']:>10} "
              f"{ratio:>6.1f}x")
    write_json(args.json, steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
