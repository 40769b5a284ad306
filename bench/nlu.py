"""NLU benchmark: stock pipeline vs the project's pipeline (config.yml).

For each pipeline: 5-fold stratified cross-validation on our own training data
(data/nlu); with --loso, leave-one-source-out validation on the caller-state
sources (bench/nlu_validation.py: `rasa train` without a source, parse its
examples; the fast in-process variant for tests is bench/nlu_offline.py); then a
model trained on all of it is scored on an evaluation set (JSONL with `text`
and `label`, e.g. the five caller states) and, with --external, on a local
external validation set (bench/external.py). Reports per-label
precision/recall/F1, macro-F1, confusions, per-source/per-domain figures, the
malicious decision's precision/recall by threshold, training time,
fallback-threshold sweep and, with --latency, the median of POST /model/parse on
a real server.

    python bench/nlu.py --dev ../shared/eval/dev.jsonl [--folds 5] [--loso] [--latency]
        [--external results/external.jsonl] [--stock-epochs 100]
        [--pipelines stock,hotline] [--json results/nlu.json]

Heavy: every fold trains a model. Runs sequentially, one training at a time.
The evaluation sets are only read, never trained on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("RASA_MAX_CACHE_SIZE", "0")  # honest training times: no graph cache
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import nlu_validation as validation  # noqa: E402
from bench.report import write_json  # noqa: E402

STATES = ("angry", "malicious", "out_of_scope", "praise", "complaint")
OTHER = "other"
STOCK_PIPELINE: list[dict[str, Any]] = [
    {"name": "JiebaTokenizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {"name": "DIETClassifier", "epochs": 100},
    {"name": "EntitySynonymMapper"},
]
THRESHOLDS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


# --------------------------------------------------------------------------- data
def load_eval(path: Path) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [(row["text"], row["label"]) for row in rows]


def load_training(data_dir: Path) -> Any:
    """The NLU training data under `data_dir` (YAML files only, as `rasa train` reads it)."""
    from rasa.shared.data import get_data_files, is_nlu_file
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    files = sorted(get_data_files([str(data_dir)], is_nlu_file))
    return TrainingData().merge(*[load_data(f, language="zh") for f in files])


def stratified_folds(labels: Sequence[str], folds: int, seed: int = 42) -> list[list[int]]:
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_label[label].append(index)
    rng = random.Random(seed)
    buckets: list[list[int]] = [[] for _ in range(folds)]
    for label in sorted(by_label):
        indices = by_label[label]
        rng.shuffle(indices)
        for position, index in enumerate(indices):
            buckets[position % folds].append(index)
    return buckets


def overlap_check(training: Any, eval_rows: list[tuple[str, str]], size: int = 8
                  ) -> list[tuple[str, str]]:
    """Training examples sharing a `size`-character run with an evaluation text."""
    from bot.language.text import normalize_text

    def key(text: str) -> str:
        return re.sub(r"[\W_]+", "", normalize_text(text))

    grams = set()
    for text, _label in eval_rows:
        clean = key(text)
        grams.update(clean[i : i + size] for i in range(len(clean) - size + 1))
    found = []
    for example in training.intent_examples:
        clean = key(example.get("text"))
        if any(clean[i : i + size] in grams for i in range(len(clean) - size + 1)):
            found.append((example.get("intent"), example.get("text")))
    return found


# ---------------------------------------------------------------------- pipelines
def pipeline_of(name: str, stock_epochs: int = 100) -> list[dict[str, Any]]:
    import yaml

    if name == "stock":
        return [dict(c, epochs=stock_epochs) if c["name"] == "DIETClassifier" else dict(c)
                for c in STOCK_PIPELINE]
    if name == "hotline":
        config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
        return list(config["pipeline"])
    config = yaml.safe_load(Path(name).read_text(encoding="utf-8"))  # any config file
    return list(config["pipeline"])


def write_config(pipeline: list[dict[str, Any]], directory: Path) -> Path:
    import yaml

    path = directory / "config.yml"
    config = {"recipe": "default.v1", "language": "zh", "assistant_id": "bench",
              "pipeline": pipeline, "policies": []}
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def train(pipeline: list[dict[str, Any]], data_path: Path, workdir: Path) -> tuple[Path, float]:
    from rasa.model_training import train_nlu

    config = write_config(pipeline, workdir)
    started = time.perf_counter()
    model = train_nlu(config=str(config), nlu_data=str(data_path), output=str(workdir),
                      fixed_model_name="nlu")
    elapsed = time.perf_counter() - started
    if not model:
        raise RuntimeError("training failed")
    return Path(model), elapsed


class Parser:
    """A loaded model, parsing in-process."""

    def __init__(self, model: Path) -> None:
        from rasa.core.agent import Agent

        self.loop = asyncio.new_event_loop()
        self.agent = Agent.load(str(model))

    def parse(self, text: str) -> dict[str, Any]:
        return self.loop.run_until_complete(self.agent.parse_message(text))

    def close(self) -> None:
        self.loop.close()


def top_intent(parsed: dict[str, Any]) -> tuple[str, float]:
    """Best intent that is not the fallback, and its confidence."""
    for ranked in parsed.get("intent_ranking") or [parsed["intent"]]:
        if ranked["name"] != "nlu_fallback":
            return ranked["name"], float(ranked["confidence"])
    return "nlu_fallback", 0.0


# ------------------------------------------------------------------------ metrics
def prf(gold: Sequence[str], pred: Sequence[str], labels: Iterable[str]) -> dict[str, Any]:
    per_label = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p == label)
        predicted = sum(1 for p in pred if p == label)
        actual = sum(1 for g in gold if g == label)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {"precision": precision, "recall": recall, "f1": f1, "support": actual}
    macro = statistics.mean(v["f1"] for v in per_label.values()) if per_label else 0.0
    correct = sum(1 for g, p in zip(gold, pred, strict=True) if g == p)
    accuracy = correct / len(gold) if gold else 0.0
    return {"labels": per_label, "macro_f1": macro, "accuracy": accuracy}


def confusion(gold: Sequence[str], pred: Sequence[str]) -> dict[str, dict[str, int]]:
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for g, p in zip(gold, pred, strict=True):
        table[g][p] += 1
    return {g: dict(c.most_common()) for g, c in sorted(table.items())}


def as_state(intent: str) -> str:
    return intent if intent in STATES else OTHER


def threshold_sweep(gold: Sequence[str], pred: Sequence[str], conf: Sequence[float]
                    ) -> list[dict[str, float]]:
    rows = []
    for threshold in THRESHOLDS:
        kept = [(g, p) for g, p, c in zip(gold, pred, conf, strict=True) if c >= threshold]
        correct = sum(1 for g, p in kept if g == p)
        rows.append({"threshold": threshold, "fallback_rate": 1 - len(kept) / len(gold),
                     "accuracy_kept": correct / len(kept) if kept else 0.0,
                     "errors_kept": len(kept) - correct})
    return rows


def fallback_threshold(pipeline: list[dict[str, Any]]) -> float:
    for component in pipeline:
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3))
    return 0.0


def with_fallback(pred: Sequence[str], conf: Sequence[float], threshold: float) -> list[str]:
    return [p if c >= threshold else "nlu_fallback" for p, c in zip(pred, conf, strict=True)]


def state_report(gold: Sequence[str], pred_intents: Sequence[str], conf: Sequence[float],
                 threshold: float = 0.0) -> dict[str, Any]:
    report = _state_metrics(gold, pred_intents, conf)
    if threshold:
        fallback = _state_metrics(gold, with_fallback(pred_intents, conf, threshold), conf)
        report["with_fallback"] = {"threshold": threshold, **fallback}
    return report


def _state_metrics(gold: Sequence[str], pred_intents: Sequence[str], conf: Sequence[float]
                   ) -> dict[str, Any]:
    pred = [as_state(p) for p in pred_intents]
    report = prf(gold, pred, STATES)
    praise = [p for g, p in zip(gold, pred, strict=True) if g == "praise"]
    bad = sum(1 for p in praise if p in ("complaint", "angry", "malicious"))
    report["praise_as_negative_rate"] = bad / len(praise) if praise else 0.0
    report["confusion"] = confusion(gold, pred)
    report["other_intents"] = dict(Counter(p for p in pred_intents if p not in STATES))
    report["threshold_sweep"] = threshold_sweep(gold, pred, conf)
    return report


# ---------------------------------------------------------------------- procedures
def cross_validate(pipeline: list[dict[str, Any]], training: Any, folds: int) -> dict[str, Any]:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.training_data import TrainingData

    examples = [e for e in training.intent_examples]
    labels = [e.get("intent") for e in examples]
    buckets = stratified_folds(labels, folds)
    gold: list[str] = []
    pred: list[str] = []
    conf: list[float] = []
    times = []
    for fold, test_indices in enumerate(buckets, start=1):
        test_set = set(test_indices)
        train_examples = [e for i, e in enumerate(examples) if i not in test_set]
        fold_data = TrainingData(
            training_examples=train_examples,
            entity_synonyms=training.entity_synonyms,
            regex_features=training.regex_features,
            lookup_tables=training.lookup_tables,
        )
        with tempfile.TemporaryDirectory(prefix="bench-nlu-") as tmp:
            data_path = Path(tmp) / "nlu.yml"
            RasaYAMLWriter().dump(data_path, fold_data)
            model, elapsed = train(pipeline, data_path, Path(tmp))
            times.append(elapsed)
            parser = Parser(model)
            for index in test_indices:
                name, confidence = top_intent(parser.parse(examples[index].get("text")))
                gold.append(labels[index])
                pred.append(name)
                conf.append(confidence)
            parser.close()
        print(f"  fold {fold}/{folds}: trained in {elapsed:.1f}s", flush=True)
    all_labels = sorted(set(labels))
    state_idx = [i for i, g in enumerate(gold) if g in STATES]
    return {
        "all_intents": prf(gold, pred, all_labels),
        "states": state_report([gold[i] for i in state_idx], [pred[i] for i in state_idx],
                               [conf[i] for i in state_idx], fallback_threshold(pipeline)),
        "threshold_sweep_all": threshold_sweep(gold, pred, conf),
        "mean_train_seconds": statistics.mean(times),
    }


def evaluate_full(pipeline: list[dict[str, Any]], eval_rows: list[tuple[str, str]],
                  latency: bool, workdir: Path,
                  external: list[dict[str, str]] | None = None) -> dict[str, Any]:
    model, elapsed = train(pipeline, ROOT / "data" / "nlu", workdir)
    print(f"  full model trained in {elapsed:.1f}s", flush=True)
    parser = Parser(model)
    texts = [t for t, _ in eval_rows]
    gold = [g for _, g in eval_rows]
    started = time.perf_counter()
    parsed = [parser.parse(t) for t in texts]
    in_process_ms = (time.perf_counter() - started) * 1000 / len(texts)
    external_parsed = [parser.parse(row["text"]) for row in external or []]
    parser.close()
    tops = [top_intent(p) for p in parsed]
    report = state_report(gold, [n for n, _ in tops], [c for _, c in tops],
                          fallback_threshold(pipeline))
    report["ambiguity"] = ambiguity(parsed, gold, fallback_threshold(pipeline))
    report["train_seconds"] = elapsed
    report["in_process_parse_ms_mean"] = in_process_ms
    report["mistakes"] = [{"text": t, "gold": g, "pred": n, "conf": round(c, 3)}
                          for t, g, (n, c) in zip(texts, gold, tops, strict=True)
                          if as_state(n) != g]
    dev_predictions = [_prediction(t, g, "dev", p) for t, g, p in zip(texts, gold, parsed,
                                                                          strict=True)]
    report["summary"] = validation.state_summary(dev_predictions)
    report["acted"] = validation.state_summary(dev_predictions, acted=True)
    report["malicious_curve"] = validation.malicious_curve(dev_predictions)
    if external:
        predictions = [_prediction(row["text"], row["label"], row.get("domain", "external"), p)
                       for row, p in zip(external, external_parsed, strict=True)]
        report["external"] = {
            "summary": validation.state_summary(predictions),
            "per_domain": validation.per_source(predictions),
            "malicious_curve": validation.malicious_curve(predictions),
            "none_as_malicious": _none_as_malicious(predictions),
            "praise_as_alarm": _praise_as_alarm(predictions),
        }
    if latency:
        report["http_parse_ms"] = http_latency(model, texts[:200])
    return report


def _prediction(text: str, gold: str, source: str, parsed: dict[str, Any]
                ) -> validation.Prediction:
    name, confidence = top_intent(parsed)
    return validation.Prediction(text, gold, source, name, confidence,
                                 parsed.get("malicious") or {},
                                 parsed.get("caller_state") or {})


def _none_as_malicious(predictions: Sequence[validation.Prediction]) -> dict[str, Any]:
    """Safe texts of the external set (label `none`, e.g. talk about groups) taken as
    malicious: the false alarms a state-only evaluation cannot show."""
    safe = [p for p in predictions if p.gold == "none"]
    hits = sum(1 for p in safe if p.intent == "malicious")
    return {"n": len(safe), "as_malicious": hits, "rate": hits / len(safe) if safe else 0.0}


def _praise_as_alarm(predictions: Sequence[validation.Prediction]) -> dict[str, Any]:
    """Praise read as angry or malicious: the states that make the bot calm, warn or hang
    up on a caller who is pleased."""
    praise = [p for p in predictions if p.gold == "praise"]
    hits = sum(1 for p in praise if p.state in ("angry", "malicious"))
    return {"n": len(praise), "as_alarm": hits, "rate": hits / len(praise) if praise else 0.0}


def loso_rasa(pipeline: list[dict[str, Any]], training: Any,
              examples: Sequence[validation.Example]) -> list[validation.Prediction]:
    """Leave-one-source-out with real `rasa train` models (any pipeline, DIET too):
    per source, train on every other example and parse the source's examples."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.training_data import TrainingData

    predictions = []
    for name in sorted({e.source for e in examples if e.source}):
        held = [e for e in examples if e.source == name]
        held_keys = {(e.text, e.intent) for e in held}
        kept = [m for m in training.training_examples
                if (m.get("text"), m.get("intent")) not in held_keys]
        fold = TrainingData(training_examples=kept, entity_synonyms=training.entity_synonyms,
                            regex_features=training.regex_features,
                            lookup_tables=training.lookup_tables)
        with tempfile.TemporaryDirectory(prefix="bench-loso-") as tmp:
            data_path = Path(tmp) / "nlu.yml"
            RasaYAMLWriter().dump(data_path, fold)
            model, elapsed = train([dict(c) for c in pipeline], data_path, Path(tmp))
            parser = Parser(model)
            for example in held:
                predictions.append(_prediction(example.text, example.intent, name,
                                               parser.parse(example.text)))
            parser.close()
        print(f"  LOSO {name}: {len(held)} held out, trained in {elapsed:.1f}s", flush=True)
    return predictions


def run_loso(pipeline: list[dict[str, Any]]) -> dict[str, Any]:
    examples = validation.load_examples(ROOT / "data" / "nlu")
    started = time.perf_counter()
    predictions = loso_rasa(pipeline, load_training(ROOT / "data" / "nlu"), examples)
    return {
        "seconds": time.perf_counter() - started,
        "pooled": validation.state_summary(predictions),
        "per_source": validation.per_source(predictions),
        "malicious_curve": validation.malicious_curve(predictions),
        "predictions": [p.__dict__ for p in predictions],
    }


def print_summary_rows(title: str, rows: dict[str, dict[str, Any]]) -> None:
    """One line per source/domain: n, macro-F1 over its states, accuracy, confusions."""
    print(f"\n### {title}")
    print("| source | n | macro-F1 | accuracy | angry→malicious | praise→negative |")
    print("|---|---|---|---|---|---|")
    for name, row in rows.items():
        print(f"| {name} | {row['n']} | {row['macro_f1']:.3f} | {row['accuracy']:.3f} | "
              f"{row['angry_as_malicious']:.1%} | {row['praise_as_negative']:.1%} |")


def print_summary(title: str, report: dict[str, Any]) -> None:
    print(f"\n### {title}")
    print("| label | precision | recall | F1 | support |")
    print("|---|---|---|---|---|")
    for label, row in report["labels"].items():
        print(f"| {label} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} "
              f"| {row['support']} |")
    print(f"\nmacro-F1 **{report['macro_f1']:.3f}**, accuracy {report['accuracy']:.3f}, "
          f"angry→malicious {report['angry_as_malicious']:.1%}, "
          f"praise→complaint/angry/malicious {report['praise_as_negative']:.1%}")
    columns = list(STATES) + [OTHER]
    print("\n| gold \\ predicted | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for gold in STATES:
        row = report["confusion"].get(gold, {})
        if row:
            print(f"| {gold} | " + " | ".join(str(row.get(c, 0)) for c in columns) + " |")


def print_curve(title: str, rows: list[dict[str, float]]) -> None:
    print(f"\n{title}")
    print("| threshold | precision | recall | decided | angry→malicious |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['threshold']:.2f} | {row['precision']:.3f} | {row['recall']:.3f} | "
              f"{row['decided']} | {row['angry_as_malicious']:.1%} |")


def ambiguity(parsed: list[dict[str, Any]], gold: Sequence[str], threshold: float,
              margin: float = 0.1) -> dict[str, int]:
    """What FallbackClassifier's ambiguity rule (top two within `margin`) would catch
    among predictions above the confidence threshold: how many were right/wrong."""
    right = wrong = 0
    for result, label in zip(parsed, gold, strict=True):
        ranking = [r for r in result.get("intent_ranking") or [] if r["name"] != "nlu_fallback"]
        if len(ranking) < 2 or ranking[0]["confidence"] < threshold:
            continue
        if ranking[0]["confidence"] - ranking[1]["confidence"] < margin:
            if as_state(ranking[0]["name"]) == label:
                right += 1
            else:
                wrong += 1
    return {"margin_below_0.1_right": right, "margin_below_0.1_wrong": wrong}


def http_latency(model: Path, texts: list[str]) -> dict[str, float]:
    """Median/p95 of POST /model/parse against `rasa run --enable-api`."""
    import socket

    import requests

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    rasa = Path(sys.executable).parent / "rasa"
    endpoints = model.parent / "endpoints.yml"  # none: no tracker store/action server needed
    endpoints.write_text("{}\n", encoding="utf-8")
    credentials = model.parent / "credentials.yml"  # no channels: only the HTTP API
    credentials.write_text("{}\n", encoding="utf-8")
    log = (model.parent / "rasa-run.log").open("wb")
    process = subprocess.Popen(
        [str(rasa), "run", "--enable-api", "-m", str(model), "--port", str(port),
         "-i", "127.0.0.1", "--endpoints", str(endpoints), "--credentials", str(credentials)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"rasa run exited, see {model.parent / 'rasa-run.log'}")
            try:
                if requests.get(f"{url}/status", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(1)
        session = requests.Session()
        for text in texts[:10]:  # warm-up
            session.post(f"{url}/model/parse", json={"text": text}, timeout=10)
        samples = []
        for text in texts:
            started = time.perf_counter()
            session.post(f"{url}/model/parse", json={"text": text}, timeout=10).raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    samples.sort()
    return {"median": statistics.median(samples), "p95": samples[int(len(samples) * 0.95) - 1],
            "n": len(samples)}


# ------------------------------------------------------------------------ output
def print_state_table(title: str, report: dict[str, Any]) -> None:
    print(f"\n### {title}")
    print("| label | precision | recall | F1 | support |")
    print("|---|---|---|---|---|")
    for label, row in report["labels"].items():
        print(f"| {label} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} "
              f"| {row['support']} |")
    print(f"\nmacro-F1 **{report['macro_f1']:.3f}**, accuracy {report['accuracy']:.3f}, "
          f"praise predicted as complaint/angry/malicious "
          f"{report['praise_as_negative_rate']:.1%}")
    columns = list(STATES) + [OTHER]
    print("\n| gold \\ predicted | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for gold in STATES:
        row = report["confusion"].get(gold, {})
        print(f"| {gold} | " + " | ".join(str(row.get(c, 0)) for c in columns) + " |")
    if report.get("other_intents"):
        print(f"\n'other' = {report['other_intents']}")
    if "with_fallback" in report:
        fb = report["with_fallback"]
        print(f"\nwith FallbackClassifier threshold {fb['threshold']}: "
              + ", ".join(f"{k} P {v['precision']:.3f} R {v['recall']:.3f} F1 {v['f1']:.3f}"
                          for k, v in fb["labels"].items())
              + f"; macro-F1 **{fb['macro_f1']:.3f}**, praise as negative "
              f"{fb['praise_as_negative_rate']:.1%}, "
              f"fallback {fb['other_intents'].get('nlu_fallback', 0)}")
    print("\n| fallback threshold | fallback rate | accuracy of kept | errors kept |")
    print("|---|---|---|---|")
    for row in report["threshold_sweep"]:
        print(f"| {row['threshold']:.1f} | {row['fallback_rate']:.1%} | "
              f"{row['accuracy_kept']:.3f} | {row['errors_kept']} |")


def print_side_by_side(results: dict[str, Any]) -> None:
    """The headline figures of every pipeline that ran, in one table."""
    names = [n for n, r in results.items() if isinstance(r, dict) and "pipeline" in r]
    lines = {
        "LOSO macro-F1 (five states, pooled)": lambda r: r["loso"]["pooled"]["macro_f1"],
        "LOSO malicious precision": lambda r: r["loso"]["pooled"]["labels"]["malicious"][
            "precision"],
        "LOSO angry→malicious": lambda r: r["loso"]["pooled"]["angry_as_malicious"],
        "LOSO praise→negative": lambda r: r["loso"]["pooled"]["praise_as_negative"],
        "dev macro-F1": lambda r: r["dev"]["macro_f1"],
        "dev macro-F1, caller state beside a request counted": lambda r: r["dev"]["acted"][
            "macro_f1"],
        "dev angry recall, the same": lambda r: r["dev"]["acted"]["labels"]["angry"]["recall"],
        "dev malicious precision": lambda r: r["dev"]["labels"]["malicious"]["precision"],
        "dev angry→malicious": lambda r: r["dev"]["summary"]["angry_as_malicious"],
        "dev praise→negative": lambda r: r["dev"]["praise_as_negative_rate"],
        "external macro-F1 (states present)": lambda r: r["dev"]["external"]["summary"][
            "macro_f1"],
        "external malicious precision": lambda r: r["dev"]["external"]["summary"]["labels"][
            "malicious"]["precision"],
        "external malicious recall": lambda r: r["dev"]["external"]["summary"]["labels"][
            "malicious"]["recall"],
        "external safe→malicious": lambda r: r["dev"]["external"]["none_as_malicious"]["rate"],
        "external praise→angry/malicious": lambda r: r["dev"]["external"]["praise_as_alarm"][
            "rate"],
        "training seconds (full data)": lambda r: r["dev"]["train_seconds"],
    }
    print("\n### side by side")
    print("| figure | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for title, read in lines.items():
        cells = []
        for name in names:
            try:
                value = read(results[name])
            except (KeyError, TypeError):
                cells.append("–")
                continue
            cells.append(f"{value:.1f}" if "seconds" in title else f"{value:.3f}")
        print(f"| {title} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, required=True, help="JSONL evaluation set")
    parser.add_argument("--loso", action="store_true",
                        help="leave-one-source-out validation on the caller-state sources")
    parser.add_argument("--external", type=Path,
                        help="local external validation JSONL (bench/external.py)")
    parser.add_argument("--stock-epochs", type=int, default=100,
                        help="DIET epochs of the stock pipeline")
    parser.add_argument("--pipelines", default="stock,hotline",
                        help="comma list: stock, hotline (config.yml) or config paths")
    parser.add_argument("--folds", type=int, default=5, help="0 skips cross-validation")
    parser.add_argument("--latency", action="store_true", help="measure /model/parse over HTTP")
    parser.add_argument("--json", type=Path, help="write the full results here")
    parser.add_argument("--skip-eval", action="store_true",
                        help="cross-validation only (no full model, no evaluation set)")
    args = parser.parse_args(argv)

    os.chdir(ROOT)  # relative paths in config.yml (jieba dictionary) resolve from here
    eval_rows = load_eval(args.dev)
    training = load_training(ROOT / "data" / "nlu")
    overlaps = overlap_check(training, eval_rows)
    print(f"training examples sharing 8+ characters with {args.dev.name}: {len(overlaps)}")
    for intent, text in overlaps:
        print(f"  {intent}: {text}")
    results: dict[str, Any] = {"overlap_with_eval": overlaps}
    external = None
    if args.external:
        external = [json.loads(line) for line in
                    args.external.read_text(encoding="utf-8").splitlines() if line.strip()]
        print(f"external validation set {args.external}: {len(external)} texts, "
              f"{dict(Counter(row['label'] for row in external))}")

    def save() -> None:  # after every stage: a long run that is stopped keeps what it has
        write_json(args.json, results, indent=1)

    for name in args.pipelines.split(","):
        pipeline = pipeline_of(name, args.stock_epochs)
        print(f"\n## pipeline {name}", flush=True)
        result: dict[str, Any] = {"pipeline": pipeline}
        results[name] = result
        if args.folds:
            result["cv"] = cross_validate([dict(c) for c in pipeline], training, args.folds)
            cv = result["cv"]
            print(f"\nCV macro-F1 all intents {cv['all_intents']['macro_f1']:.3f}, "
                  f"accuracy {cv['all_intents']['accuracy']:.3f}, "
                  f"mean fold training {cv['mean_train_seconds']:.1f}s")
            print_state_table(f"{name}: {args.folds}-fold CV, caller states", cv["states"])
            save()
        if args.loso:
            result["loso"] = run_loso([dict(c) for c in pipeline])
            loso = result["loso"]
            print(f"\nLOSO in {loso['seconds']:.0f}s")
            print_summary_rows(f"{name}: leave-one-source-out, per source", loso["per_source"])
            print_summary(f"{name}: leave-one-source-out, pooled", loso["pooled"])
            print_curve(f"{name}: LOSO malicious decision by threshold", loso["malicious_curve"])
            save()
        if args.skip_eval:
            continue
        with tempfile.TemporaryDirectory(prefix="bench-nlu-") as tmp:
            result["dev"] = evaluate_full([dict(c) for c in pipeline], eval_rows, args.latency,
                                          Path(tmp), external)
        dev = result["dev"]
        print_state_table(f"{name}: evaluation set {args.dev.name}", dev)
        print(f"\nambiguity rule (top two within 0.1, above the threshold) would catch: "
              f"{dev['ambiguity']}")
        print(f"\ntraining {dev['train_seconds']:.1f}s, in-process parse "
              f"{dev['in_process_parse_ms_mean']:.1f} ms/message")
        if "http_parse_ms" in dev:
            print(f"POST /model/parse median {dev['http_parse_ms']['median']:.1f} ms, "
                  f"p95 {dev['http_parse_ms']['p95']:.1f} ms")
        print(f"\n{args.dev.name}: angry→malicious {dev['summary']['angry_as_malicious']:.1%}")
        print_curve(f"{name}: {args.dev.name} malicious decision by threshold",
                    dev["malicious_curve"])
        if "external" in dev:
            ext = dev["external"]
            print_summary(f"{name}: external validation (states)", ext["summary"])
            print_summary_rows(f"{name}: external validation, per domain", ext["per_domain"])
            print_curve(f"{name}: external malicious decision by threshold",
                        ext["malicious_curve"])
            print(f"\nexternal safe texts taken as malicious: {ext['none_as_malicious']}")
            print(f"external praise taken as angry or malicious: {ext['praise_as_alarm']}")
        save()
    print_side_by_side(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
