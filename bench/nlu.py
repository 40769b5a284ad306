"""NLU benchmark: stock pipeline vs the project's pipeline (config.yml).

For each pipeline: 5-fold stratified cross-validation on our own training data
(data/nlu), then a model trained on all of it is scored on an evaluation set
(JSONL with `text` and `label`, e.g. the five caller states). Reports per-label
precision/recall/F1, macro-F1, confusions, training time, fallback-threshold
sweep and, with --latency, the median of POST /model/parse on a real server.

    python bench/nlu.py --dev ../shared/eval/dev.jsonl [--folds 5] [--latency]
        [--pipelines stock,hotline] [--json results/nlu.json]

Heavy: every fold trains a model. Runs sequentially, one training at a time.
The evaluation set is only read, never trained on.
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
    from rasa.shared.nlu.training_data.loading import load_data

    return load_data(str(data_dir), language="zh")


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
def pipeline_of(name: str) -> list[dict[str, Any]]:
    import yaml

    if name == "stock":
        return STOCK_PIPELINE
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
                  latency: bool, workdir: Path) -> dict[str, Any]:
    model, elapsed = train(pipeline, ROOT / "data" / "nlu", workdir)
    print(f"  full model trained in {elapsed:.1f}s", flush=True)
    parser = Parser(model)
    texts = [t for t, _ in eval_rows]
    gold = [g for _, g in eval_rows]
    started = time.perf_counter()
    parsed = [parser.parse(t) for t in texts]
    in_process_ms = (time.perf_counter() - started) * 1000 / len(texts)
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
    if latency:
        report["http_parse_ms"] = http_latency(model, texts[:200])
    return report


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, required=True, help="JSONL evaluation set")
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

    def save() -> None:  # after every stage: a long run that is stopped keeps what it has
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1),
                                 encoding="utf-8")

    for name in args.pipelines.split(","):
        pipeline = pipeline_of(name)
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
        if args.skip_eval:
            continue
        with tempfile.TemporaryDirectory(prefix="bench-nlu-") as tmp:
            result["dev"] = evaluate_full([dict(c) for c in pipeline], eval_rows, args.latency,
                                          Path(tmp))
        dev = result["dev"]
        print_state_table(f"{name}: evaluation set {args.dev.name}", dev)
        print(f"\nambiguity rule (top two within 0.1, above the threshold) would catch: "
              f"{dev['ambiguity']}")
        print(f"\ntraining {dev['train_seconds']:.1f}s, in-process parse "
              f"{dev['in_process_parse_ms_mean']:.1f} ms/message")
        if "http_parse_ms" in dev:
            print(f"POST /model/parse median {dev['http_parse_ms']['median']:.1f} ms, "
                  f"p95 {dev['http_parse_ms']['p95']:.1f} ms")
        save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
