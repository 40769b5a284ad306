"""Rasa component: the conservative, cost-sensitive malicious decision.

A malicious caller is warned and, on a second turn, cut off; a genuine complaint
in harsh words must never be (it is `angry`: hanging up on a real customer costs far
more than one more warning). So `malicious`
is decided apart from the intent classifier, and only when two conditions hold:

1. a separate binary model (logistic regression, malicious vs everything else,
   on the same feature blocks) gives a calibrated probability of at least
   `threshold` — calibrated by Platt scaling on out-of-fold scores, so the
   threshold is a probability and the operating point is chosen for precision
   (docs/BENCHMARKS.md, "malicious decision");
2. the text carries evidence of abuse aimed at someone: an insult, a swear word
   aimed at "you" or at a group, harassment or a threat
   (`Lexicon.abuse_evidence`, lexicons in bot/language/lexicons/). Swearing for
   emphasis alone ("他妈的又没到") is no such evidence.

Then `malicious` is the intent (confidence = the calibrated probability, the
other intents scaled to the rest), whatever the classifier chose. Otherwise a
`malicious` from the classifier is demoted: its confidence becomes 0 and the
other intents are renormalised, so the next state (usually angry or
complaint) is the intent — with evidence of abuse but a score below the
threshold, `hostile_intent` (angry) is: too hostile to be anything else, not
sure enough to warn.
The decision is also reported as the parse-data key `malicious`
(`{"score", "evidence", "proposed", "decided"}`: `proposed` when the
classifier chose malicious, `decided` the gate's decision). Place after the
intent classifier, before the FallbackClassifier.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language.lexicon import default_lexicon
from rasa_extensions.nlu.classifier import _layout, design_matrix, linear_scores

logger = logging.getLogger(__name__)
MODEL_FILE = "malicious.npz"
META_FILE = "malicious.json"
OUTPUT_KEY = "malicious"


def platt(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Sigmoid (a, b) with P(label) = 1 / (1 + exp(-(a * score + b)))."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1e6, max_iter=1000)
    model.fit(scores.reshape(-1, 1), labels)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def stratified_indices(labels: np.ndarray, folds: int, seed: int = 13) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    buckets: list[list[int]] = [[] for _ in range(folds)]
    for value in (False, True):
        indices = np.flatnonzero(labels == value)
        rng.shuffle(indices)
        for position, index in enumerate(indices):
            buckets[position % folds].append(int(index))
    return [np.array(sorted(b), dtype=int) for b in buckets]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class HotlineMaliciousGate(GraphComponent, IntentClassifier):
    """Keeps `malicious` only with a calibrated probability ≥ threshold and evidence."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent": "malicious",
            "threshold": 0.5,
            # a malicious proposal with evidence of abuse but below the threshold is
            # hostile, only not sure enough to warn: read as this intent (the calming
            # line), not as whatever came next (`畜生` read as `affirm`); None: off
            "hostile_intent": "angry",
            "require_evidence": True,
            "C": 10.0,
            "dense_weight": 1.0,
            "folds": 3,
            "max_iter": 2000,
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.layout: list[tuple[str, int, bool]] = []
        self.coef: np.ndarray | None = None
        self.intercept = 0.0
        self.a, self.b = 1.0, 0.0
        self.lexicon = default_lexicon()

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> HotlineMaliciousGate:
        return cls(config, model_storage, resource)

    # ------------------------------------------------------------------ training
    def _fit(self, features: Any, labels: np.ndarray) -> tuple[np.ndarray, float]:
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=self.config["C"], max_iter=self.config["max_iter"])
        model.fit(features, labels)
        return model.coef_[0].copy(), float(model.intercept_[0])

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        labels = np.array([e.get(INTENT) == self.config["intent"] for e in examples])
        if not examples or labels.all() or not labels.any():
            logger.debug("no two classes: %s stays untrained", self.__class__.__name__)
            return self._resource
        self.layout = _layout(examples)
        features = design_matrix(examples, self.layout, self.config["dense_weight"])
        out_of_fold = np.zeros(len(examples))
        for held_out in stratified_indices(labels, int(self.config["folds"])):
            kept = np.setdiff1d(np.arange(len(examples)), held_out)
            coef, intercept = self._fit(features[kept], labels[kept])
            out_of_fold[held_out] = features[held_out] @ coef + intercept
        self.a, self.b = platt(out_of_fold, labels)
        self.coef, self.intercept = self._fit(features, labels)
        self.persist()
        return self._resource

    # ---------------------------------------------------------------- inference
    def scores(self, messages: list[Message]) -> np.ndarray:
        """Calibrated probability that each message is malicious."""
        assert self.coef is not None
        raw = linear_scores(messages, self.layout, self.config["dense_weight"], self.coef)
        return 1.0 / (1.0 + np.exp(-(self.a * (raw + self.intercept) + self.b)))

    def process(self, messages: list[Message]) -> list[Message]:
        if self.coef is None or not messages:
            return messages
        target = self.config["intent"]
        for message, score in zip(messages, self.scores(messages), strict=True):
            evidence = self.lexicon.abuse_evidence(message.get(TEXT) or "")
            keep = score >= self.config["threshold"] and (
                bool(evidence) or not self.config["require_evidence"])
            proposed = (message.get(INTENT) or {}).get("name") == target
            message.set(OUTPUT_KEY, {"score": float(score), "evidence": list(evidence),
                                     "proposed": proposed, "decided": bool(keep)},
                        add_to_output=True)
            if keep:
                promote(message, target, float(score))
            elif proposed:
                proposed_confidence = float((message.get(INTENT) or {}).get("confidence") or 0.0)
                demote(message, target)
                hostile = self.config["hostile_intent"]
                ranked = _ranked(message, hostile) if hostile else None
                if evidence and ranked is not None:
                    promote(message, hostile, max(proposed_confidence, ranked))
        return messages

    # --------------------------------------------------------------- persistence
    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / MODEL_FILE, coef=self.coef)
            meta = {"layout": self.layout, "intercept": self.intercept, "a": self.a, "b": self.b}
            (directory / META_FILE).write_text(json.dumps(meta, ensure_ascii=False),
                                               encoding="utf-8")

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> HotlineMaliciousGate:
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                arrays = np.load(directory / MODEL_FILE, allow_pickle=False)
                meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.debug("no trained %s in %s", cls.__name__, resource.name)
            return component
        component.coef = arrays["coef"]
        component.layout = [(str(o), int(w), bool(s)) for o, w, s in meta["layout"]]
        component.intercept, component.a, component.b = (
            float(meta["intercept"]), float(meta["a"]), float(meta["b"]))
        return component


def promote(message: Message, target: str, confidence: float) -> None:
    """Make `target` the intent with `confidence`; the rest share what is left."""
    ranking = [dict(r) for r in message.get("intent_ranking") or [message.get(INTENT)]
               if r and r["name"] != target]
    rest = sum(r["confidence"] for r in ranking)
    for entry in ranking:
        entry["confidence"] = (1 - confidence) * entry["confidence"] / rest if rest else 0.0
    ranking = [{"name": target, "confidence": confidence}, *ranking]
    ranking.sort(key=lambda r: -r["confidence"])
    message.set(INTENT, ranking[0], add_to_output=True)
    message.set("intent_ranking", ranking, add_to_output=True)


def _ranked(message: Message, name: str) -> float | None:
    """The confidence of `name` in the message's ranking (None when not ranked)."""
    return next((float(r["confidence"]) for r in message.get("intent_ranking") or []
                 if r["name"] == name), None)


def demote(message: Message, target: str) -> None:
    """Give `target` confidence 0 and renormalise the rest of the ranking."""
    ranking = [dict(r) for r in message.get("intent_ranking") or [message.get(INTENT)]]
    rest = sum(r["confidence"] for r in ranking if r["name"] != target)
    for entry in ranking:
        if entry["name"] == target:
            entry["confidence"] = 0.0
        elif rest > 0:
            entry["confidence"] = entry["confidence"] / rest
    ranking.sort(key=lambda r: -r["confidence"])
    message.set(INTENT, ranking[0], add_to_output=True)
    message.set("intent_ranking", ranking, add_to_output=True)
