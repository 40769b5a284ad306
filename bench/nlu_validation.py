"""Leave-one-source-out (LOSO) validation of a pipeline on the caller-state sources.

Each training file belongs to a source (bench/nlu_data.py: `source_of`): the
generated per-domain files under data/nlu/sources/ and the older hand-written
caller-state files (`hotline_core`). For every source, a model is trained on all
other examples (every business and conversation intent included) and scored on
that source's examples: the figure measures how the caller states carry over to
a domain and register the model has not seen. Predictions outside the five
states count as "other" (wrong).

Also here: the malicious operating-point curve (precision/recall of the
malicious decision by threshold) used for LOSO, the development set and the
external validation set alike.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.nlu_data import NLU_DIR, STATES, source_of

OTHER = "other"
CURVE_THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    source: str | None


@dataclass
class Prediction:
    text: str
    gold: str
    source: str
    intent: str
    confidence: float
    malicious: dict[str, Any] = field(default_factory=dict)
    caller_state: dict[str, Any] = field(default_factory=dict)

    @property
    def state(self) -> str:
        return self.intent if self.intent in STATES else OTHER

    @property
    def acted_state(self) -> str:
        """The state the dialogue acts on: the intent when it is a state, else the
        parse's `caller_state` beside a request (anger said with a delivery question)."""
        if self.intent in STATES:
            return self.intent
        beside = str((self.caller_state or {}).get("name") or "")
        return beside if beside in STATES else OTHER


def load_examples(nlu_dir: Path = NLU_DIR) -> list[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for path in sorted(nlu_dir.rglob("*.yml")):
        data = load_data(str(path), language="zh")
        source = source_of(path)
        examples += [Example(e.get("text"), e.get("intent"), source)
                     for e in data.intent_examples]
    return examples


def top_intent(ranking: Sequence[dict[str, Any]]) -> tuple[str, float]:
    for entry in ranking:
        if entry and entry.get("name") != "nlu_fallback":
            return str(entry["name"]), float(entry["confidence"])
    return "nlu_fallback", 0.0


def loso(pipeline: Sequence[dict[str, Any]], examples: Sequence[Example],
         sources: Sequence[str] | None = None,
         progress: Callable[[str], None] = print) -> list[Prediction]:
    """Train without each source in turn and predict that source's examples."""
    import time

    from bench.nlu_offline import OfflinePipeline

    names = sources or sorted({e.source for e in examples if e.source})
    offline = OfflinePipeline(pipeline)
    messages = offline.prepare([e.text for e in examples], [e.intent for e in examples])
    predictions = []
    try:
        for name in names:
            started = time.perf_counter()
            train = [m for m, e in zip(messages, examples, strict=True) if e.source != name]
            test_pairs = [(m, e) for m, e in zip(messages, examples, strict=True)
                          if e.source == name]
            results = offline.fit_predict(train, [m for m, _ in test_pairs])
            for (_message, example), result in zip(test_pairs, results, strict=True):
                intent, confidence = top_intent(result["intent_ranking"])
                predictions.append(Prediction(example.text, example.intent, name, intent,
                                              confidence, result.get("malicious") or {},
                                              result.get("caller_state") or {}))
            progress(f"  LOSO {name}: {len(test_pairs)} held out, "
                     f"{time.perf_counter() - started:.1f}s")
    finally:
        offline.close()
    return predictions


# ------------------------------------------------------------------------ metrics
def prf(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    per_label = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == label == p)
        predicted = sum(1 for p in pred if p == label)
        actual = sum(1 for g in gold if g == label)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {"precision": precision, "recall": recall, "f1": f1,
                            "support": actual, "predicted": predicted}
    present = [v["f1"] for v in per_label.values() if v["support"]]
    correct = sum(1 for g, p in zip(gold, pred, strict=True) if g == p)
    return {"labels": per_label, "macro_f1": statistics.mean(present) if present else 0.0,
            "accuracy": correct / len(gold) if gold else 0.0}


def rate(gold: Sequence[str], pred: Sequence[str], source: str, targets: Sequence[str]
         ) -> float:
    rows = [p for g, p in zip(gold, pred, strict=True) if g == source]
    return sum(1 for p in rows if p in targets) / len(rows) if rows else 0.0


def state_summary(predictions: Sequence[Prediction], acted: bool = False) -> dict[str, Any]:
    """Five-state P/R/F1 (macro over the states present), key confusion rates; with
    `acted`, of the state the dialogue acts on (the caller state beside a request)."""
    rows = [p for p in predictions if p.gold in STATES]
    gold = [p.gold for p in rows]
    pred = [p.acted_state if acted else p.state for p in rows]
    report = prf(gold, pred, STATES)
    report["n"] = len(rows)
    report["angry_as_malicious"] = rate(gold, pred, "angry", ["malicious"])
    report["praise_as_negative"] = rate(gold, pred, "praise",
                                        ["complaint", "angry", "malicious"])
    report["complaint_as_malicious"] = rate(gold, pred, "complaint", ["malicious"])
    report["confusion"] = {g: dict(Counter(p for gg, p in zip(gold, pred, strict=True)
                                           if gg == g)) for g in STATES}
    return report


def per_source(predictions: Sequence[Prediction]) -> dict[str, dict[str, Any]]:
    grouped: dict[str, list[Prediction]] = defaultdict(list)
    for prediction in predictions:
        grouped[prediction.source].append(prediction)
    return {name: state_summary(rows) for name, rows in sorted(grouped.items())}


def malicious_decision(prediction: Prediction, threshold: float) -> bool:
    """The malicious decision at `threshold`: with the gate, the calibrated score
    reaches the threshold and there is evidence of abuse; without it (stock), the
    top intent is malicious with confidence ≥ threshold."""
    gate = prediction.malicious
    if gate:
        return bool(gate.get("evidence")) and gate.get("score", 0.0) >= threshold
    return prediction.intent == "malicious" and prediction.confidence >= threshold


def malicious_curve(predictions: Sequence[Prediction],
                    thresholds: Sequence[float] = CURVE_THRESHOLDS) -> list[dict[str, float]]:
    """Precision/recall of the malicious decision by threshold; every text counts
    (other states and non-state texts are negatives)."""
    rows = []
    positives = sum(1 for p in predictions if p.gold == "malicious")
    angry = sum(1 for p in predictions if p.gold == "angry")
    for threshold in thresholds:
        decided = [p for p in predictions if malicious_decision(p, threshold)]
        tp = sum(1 for p in decided if p.gold == "malicious")
        rows.append({
            "threshold": threshold,
            "precision": tp / len(decided) if decided else 1.0,
            "recall": tp / positives if positives else 0.0,
            "decided": len(decided),
            "angry_as_malicious": (sum(1 for p in decided if p.gold == "angry") / angry
                                   if angry else 0.0),
        })
    return rows
