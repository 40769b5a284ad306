"""Rasa component: multinomial logistic regression over per-featurizer normalised features.

Rasa's LogisticRegressionClassifier fits raw bag-of-words counts, so long
messages (reviews, forum comments) dominate and rare intents are up-weighted
("balanced"). Here each featurizer's sentence features form a block; sparse
blocks are L2-normalised row by row, dense blocks are scaled by
`dense_weight`, and class weights are configurable. Measured in
docs/BENCHMARKS.md ("NLU"). The model is stored as plain arrays (no pickle).

A message that is one of the training examples (punctuation, spaces and case aside) is
read as that example's intent (`remember_examples`). The regression is tuned to carry
over to text it has not seen, and a large, varied intent pays for that on its own
short examples: `我想投诉` was a cancel at 0.52 (`我不想投诉了`), `非常不满意` an inform.
A company that adds an example to fix a reading can count on it being read so.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy import sparse

from bot.language.text import comparison_key  # the normaliser ran before this component

logger = logging.getLogger(__name__)
_LATIN_ONLY = re.compile(r"[A-Za-z][A-Za-z\s]*")
_LATIN_WORD = re.compile(r"[a-z]+")
MODEL_FILE = "linear.npz"
META_FILE = "linear.json"
# The confidence a remembered example's intent gets, at least (sure enough to end a call
# on, hotline.yml dialogue.repair.ending_confidence).
REMEMBERED_CONFIDENCE = 0.95


def remembered(probs: np.ndarray, index: int) -> np.ndarray:
    """`probs` with class `index` raised to at least REMEMBERED_CONFIDENCE, the others
    scaled down to share the rest (their order kept)."""
    if probs[index] >= REMEMBERED_CONFIDENCE:
        return probs
    others = probs.sum() - probs[index]
    scaled = probs * ((1.0 - REMEMBERED_CONFIDENCE) / others) if others else probs * 0.0
    scaled[index] = REMEMBERED_CONFIDENCE
    return scaled


def sentence_blocks(message: Message) -> dict[str, Any]:
    """The message's sentence-level TEXT features, one entry per featurizer."""
    blocks: dict[str, Any] = {}
    for feature in message.features:
        if feature.attribute == TEXT and feature.type == FEATURE_TYPE_SENTENCE:
            blocks[feature.origin] = feature.features
    return blocks


def scaled_entries(block: Any, width: int, is_sparse: bool,
                   dense_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """One feature block as (columns, values) the way the model sees it: a sparse block
    L2-normalised (duplicates summed first), a dense one scaled by `dense_weight`.
    The one place this scaling lives, for training (`design_matrix`) and scoring
    (`linear_scores`) alike."""
    if is_sparse:
        # Rasa's featurizers give a 1 x width COO row. Summing its duplicate columns with
        # numpy avoids building a scipy matrix per block per message, which cost 4.7 % of
        # a loaded replica (classifier and malicious gate each score every message).
        row = block if sparse.isspmatrix_coo(block) else sparse.coo_matrix(block)
        columns, first = np.unique(row.col, return_inverse=True)
        values = np.bincount(first, weights=row.data, minlength=len(columns)).astype(np.float64)
        norm = np.sqrt(np.dot(values, values))
        return columns, (values / norm if norm else values)
    return np.arange(width), np.asarray(block, dtype=np.float64).ravel() * dense_weight


def design_matrix(
    messages: list[Message], layout: list[tuple[str, int, bool]], dense_weight: float
) -> sparse.csr_matrix:
    """Stack blocks in `layout` order: (origin, width, is_sparse); missing blocks are zero."""
    total = sum(width for _, width, _ in layout)
    rows, columns, values = [], [], []
    for index, message in enumerate(messages):
        blocks = sentence_blocks(message)
        offset = 0
        for origin, width, is_sparse in layout:
            block = blocks.get(origin)
            if block is not None:
                cols, vals = scaled_entries(block, width, is_sparse, dense_weight)
                rows.append(np.full(len(cols), index))
                columns.append(cols + offset)
                values.append(vals)
            offset += width
    if not values:
        return sparse.csr_matrix((len(messages), total), dtype=np.float64)
    return sparse.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(columns))),
        shape=(len(messages), total))


def has_known_features(message: Message) -> bool:
    """Whether any sentence feature of the message is non-zero (a known word, character
    n-gram or lexicon cue); unknown tokens leave every block empty."""
    for block in sentence_blocks(message).values():
        if sparse.issparse(block):
            if block.count_nonzero():
                return True
        elif np.any(np.asarray(block)):
            return True
    return False


def linear_scores(
    messages: list[Message], layout: list[tuple[str, int, bool]], dense_weight: float,
    weights: np.ndarray,
) -> np.ndarray:
    """`design_matrix(messages, ...) @ weights` without building the matrix.

    At inference a message is scored alone: stacking its blocks into one sparse row
    costs more than the product (scipy builds and checks a matrix per block). Here each
    block multiplies its own rows of `weights` (features x outputs, C-contiguous).
    """
    out = np.zeros((len(messages), weights.shape[1]) if weights.ndim == 2 else len(messages))
    for row, message in enumerate(messages):
        blocks = sentence_blocks(message)
        offset = 0
        for origin, width, is_sparse in layout:
            block = blocks.get(origin)
            if block is not None:
                cols, vals = scaled_entries(block, width, is_sparse, dense_weight)
                if len(vals):
                    out[row] += vals @ weights[offset + cols]
            offset += width
    return out


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class HotlineLinearClassifier(GraphComponent, IntentClassifier):
    """Intent classifier: L2-normalised feature blocks + logistic regression."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": 1.0,
            "class_weight": None,  # or "balanced"
            "dense_weight": 1.0,
            "max_iter": 2000,
            "ranking_length": 10,
            "remember_examples": True,
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.layout: list[tuple[str, int, bool]] = []
        self.classes: list[str] = []
        self._coef: np.ndarray | None = None
        self._weights: np.ndarray | None = None
        self.intercept: np.ndarray | None = None
        self.latin_words: set[str] = set()
        self.memory: dict[str, str] = {}  # example key -> intent

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> HotlineLinearClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            logger.debug("no intent examples: %s stays untrained", self.__class__.__name__)
            return self._resource
        self.layout = _layout(examples)
        features = design_matrix(examples, self.layout, self.config["dense_weight"])
        labels = [e.get(INTENT) for e in examples]
        model = LogisticRegression(C=self.config["C"], class_weight=self.config["class_weight"],
                                   max_iter=self.config["max_iter"], solver="lbfgs")
        model.fit(features, labels)
        self.classes = [str(c) for c in model.classes_]
        self.latin_words = {w for e in examples for w in _LATIN_WORD.findall(e.get(TEXT).lower())}
        self.memory = _memory(examples) if self.config["remember_examples"] else {}
        self.coef, self.intercept = model.coef_, model.intercept_
        self.persist()
        return self._resource

    @property
    def coef(self) -> np.ndarray | None:
        return self._coef

    @coef.setter
    def coef(self, value: np.ndarray | None) -> None:
        # Scoring multiplies a sparse row by the (features x intents) matrix: scipy copies a
        # non-contiguous operand on every call (`coef.T` is a view: 3 ms a message), so
        # the transposed weights are kept contiguous once.
        self._coef = value
        self._weights = None if value is None else np.ascontiguousarray(value.T)

    def predict_proba(self, messages: list[Message]) -> np.ndarray:
        assert self._weights is not None and self.intercept is not None
        scores = linear_scores(messages, self.layout, self.config["dense_weight"], self._weights)
        scores = scores + self.intercept
        if scores.shape[1] == 1:  # two intents: sklearn fits one logit for the second class
            scores = np.hstack([np.zeros_like(scores), scores])
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def process(self, messages: list[Message]) -> list[Message]:
        if self.coef is None or not messages:
            return messages
        for message, probs in zip(messages, self.predict_proba(messages), strict=True):
            known = self.memory.get(comparison_key(str(message.get(TEXT) or "")))
            if known in self.classes:
                probs = remembered(probs, self.classes.index(known))
            elif not has_known_features(message) or self._unknown_latin(message):
                # Nothing in the message was seen in training ('x', 'qwerty', a digit the
                # data never had): the scores are the intercepts alone, i.e. the class
                # priors, which once read '9' as goodbye (0.61) and closed the session.
                # No confidence: the FallbackClassifier after this says not understood.
                probs = np.zeros_like(probs)
            order = np.argsort(-probs, kind="stable")
            ranking = [{"name": self.classes[i], "confidence": float(probs[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            length = self.config["ranking_length"]
            message.set("intent_ranking", ranking[:length] if length else ranking,
                        add_to_output=True)
        return messages

    def _unknown_latin(self, message: Message) -> bool:
        """Latin letters only, and no word of them in any training example ('zxqv wbmk
        plo'): a few character n-grams shared with 'hello' or 'ok' and the intercepts
        once gave out_of_scope 0.30, one hair above the fallback threshold."""
        text = message.get(TEXT)
        if not isinstance(text, str) or not _LATIN_ONLY.fullmatch(text.strip()):
            return False
        return not any(w in self.latin_words for w in _LATIN_WORD.findall(text.lower()))

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / MODEL_FILE, coef=self.coef, intercept=self.intercept)
            meta = {"classes": self.classes, "layout": self.layout,
                    "latin_words": sorted(self.latin_words), "memory": self.memory}
            (directory / META_FILE).write_text(json.dumps(meta, ensure_ascii=False),
                                               encoding="utf-8")

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> HotlineLinearClassifier:
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                arrays = np.load(directory / MODEL_FILE, allow_pickle=False)
                meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.debug("no trained %s in %s", cls.__name__, resource.name)
            return component
        component.coef, component.intercept = arrays["coef"], arrays["intercept"]
        component.classes = list(meta["classes"])
        component.latin_words = set(meta.get("latin_words", []))
        component.memory = {str(k): str(v) for k, v in (meta.get("memory") or {}).items()}
        component.layout = [(str(o), int(w), bool(s)) for o, w, s in meta["layout"]]
        return component


def _memory(examples: list[Message]) -> dict[str, str]:
    """Each training example's key and intent; a key given two intents is left out."""
    memory: dict[str, str] = {}
    clashes: set[str] = set()
    for example in examples:
        key, intent = comparison_key(example.get(TEXT)), str(example.get(INTENT))
        if not key:
            continue
        if memory.setdefault(key, intent) != intent:
            clashes.add(key)
    for key in clashes:
        del memory[key]
    return memory


def _layout(examples: list[Message]) -> list[tuple[str, int, bool]]:
    """Featurizer blocks seen in training, in a stable order, with widths."""
    layout: dict[str, tuple[int, bool]] = {}
    for example in examples:
        for origin, block in sentence_blocks(example).items():
            if origin not in layout:
                layout[origin] = (int(block.shape[-1]), sparse.issparse(block))
    return [(origin, width, is_sparse) for origin, (width, is_sparse) in sorted(layout.items())]
