"""Start and train: start -> first answered turn, and a full training from cold.

    python bench/startup.py [--runs 3] [--train] [--json results/startup.json]

Start: a fresh stack (bench/stack.py: Redis, action server, Rasa server on the current
model) is started `--runs` times; the time from starting the processes to the first
REST turn answered is measured each time (model already trained, as after a deploy).

Train (`--train`): the path `make train` takes (launcher.training.ensure_model: the
forbidden-phrase guard, then `rasa train`) into a new temporary models directory with
an empty graph cache (RASA_CACHE_DIRECTORY), so nothing is reused; the project's
models/ is not touched.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import ROOT, BenchStack, first_answer  # noqa: E402
from launcher.services import Ports, process_env  # noqa: E402
from launcher.training import ensure_model  # noqa: E402


def start_once(work: Path, model: Optional[Path]) -> dict[str, float]:
    stack = BenchStack(work, model=model)
    if stack.model is None:
        from bench.stack import current_model

        stack.model = current_model()  # resolved before the clock starts
    started = time.monotonic()
    try:
        stack.start()
        healthy = time.monotonic() - started
        first_answer(stack.url, sender="bench-startup")
        answered = time.monotonic() - started
    finally:
        stack.stop()
    return {"healthy_s": round(healthy, 1), "first_answer_s": round(answered, 1)}


def train_cold(work: Path) -> dict[str, Any]:
    models = work / "models"
    env = process_env(ROOT, "redis://127.0.0.1:6379/0", Ports(), extra={
        "RASA_CACHE_DIRECTORY": str(work / "cache"),
    })
    started = time.monotonic()
    model = ensure_model(ROOT, models, env=env)
    return {"training_s": round(time.monotonic() - started, 1), "model": str(model)}


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--train", action="store_true", help="also time a cold training")
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="hotline-startup-"))
    result: dict[str, Any] = {"starts": []}
    for run in range(args.runs):
        row = start_once(work / f"start-{run + 1}", args.model)
        print(f"start {run + 1}: healthy {row['healthy_s']} s, "
              f"first answer {row['first_answer_s']} s", flush=True)
        result["starts"].append(row)
    if result["starts"]:
        result["first_answer_median_s"] = statistics.median(
            r["first_answer_s"] for r in result["starts"])
    if args.train:
        result["training"] = train_cold(work / "train")
        print(f"training from cold: {result['training']['training_s']} s", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
