"""Train the Rasa model only when its inputs changed, after the compliance guard.

The model file is named after a fingerprint of everything training reads
(config, domain, data, custom NLU components), so `make run` and the test
suite reuse a model until one of those changes, and train at most once. Rasa's own
output (thousands of characters of progress-bar redraws) goes to `var/log/train.log`;
the caller sees one line with a bar that follows Rasa's "Finished training component" log.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bot.compliance import check_texts, domain_response_texts

# What training reads. Custom NLU components are code that shapes the model.
TRAINING_INPUTS = ("config.yml", "domain.yml", "data", "rasa_extensions/nlu", "bot/language")


class TrainingError(RuntimeError):
    pass


def _input_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for name in TRAINING_INPUTS:
        path = root / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(
                p for p in sorted(path.rglob("*"))
                if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
            )
    return files


def fingerprint(root: Path) -> str:
    digest = hashlib.sha256()
    for path in _input_files(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def check_responses(root: Path) -> None:
    """The compliance guard: no response may contain a forbidden service phrase."""
    problems = check_texts(domain_response_texts(str(root / "domain.yml")))
    if problems:
        raise TrainingError(
            "domain.yml responses contain forbidden service phrases (hotline.yml "
            "forbidden_phrases):\n  " + "\n  ".join(problems)
        )


# Progress: `fraction` done (None: unknown) and what is being trained now.
Progress = Callable[[float | None, str], None]
_STARTED = re.compile(r"Starting to train component '(\w+)'")
_FINISHED = re.compile(r"Finished training component '(\w+)'")
STEPS_FILE = ".train-steps"  # components the last training trained (the bar's length)


def ensure_model(
    root: Path,
    models_dir: Path,
    env: dict[str, str] | None = None,
    progress: Progress | None = None,
    log_dir: Path | None = None,
) -> Path:
    """Return a model trained on the current inputs, training it if needed.

    A lock file serialises concurrent callers (`make run` beside `make test`), so the
    second one waits and reuses the model instead of training it again.
    """
    check_responses(root)
    name = f"hotline-{fingerprint(root)}"
    model = models_dir / f"{name}.tar.gz"
    models_dir.mkdir(parents=True, exist_ok=True)
    with open(models_dir / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not model.exists():
            log = (log_dir or root / "var" / "log") / "train.log"
            _train(root, models_dir, name, env, log, progress or (lambda *_: None))
    return model


def _expected_steps(models_dir: Path, root: Path) -> int:
    """Components the last training trained; before any, the entries of config.yml."""
    try:
        return max(1, int((models_dir / STEPS_FILE).read_text()))
    except (OSError, ValueError):
        config = (root / "config.yml").read_text(encoding="utf-8")
        return max(1, len(re.findall(r"^\s*- name:", config, re.MULTILINE)))


def _train(root: Path, models_dir: Path, name: str, env: dict[str, str] | None,
           log: Path, progress: Progress) -> None:
    model = models_dir / f"{name}.tar.gz"
    command = [
        sys.executable, "-m", "rasa", "train",
        "--config", str(root / "config.yml"),
        "--domain", str(root / "domain.yml"),
        "--data", str(root / "data"),
        "--out", str(models_dir),
        "--fixed-model-name", name,
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    expected = _expected_steps(models_dir, root)
    with open(log, "ab") as sink:
        start = sink.tell()
        process = subprocess.Popen(command, cwd=root, env=env, stdout=sink,
                                   stderr=subprocess.STDOUT)
        finished = 0
        while process.poll() is None:
            finished, current = _read_progress(log, start)
            progress(min(finished / expected, 0.99), current)
            time.sleep(0.5)
    finished, _ = _read_progress(log, start)
    if process.returncode != 0 or not model.exists():
        raise TrainingError(f"rasa train failed (exit {process.returncode}); see {log}")
    (models_dir / STEPS_FILE).write_text(str(max(finished, 1)))
    progress(1.0, "")


def _read_progress(log: Path, start: int) -> tuple[int, str]:
    """Components finished so far in this run's part of the log, and the one in training."""
    with open(log, "rb") as handle:
        handle.seek(start)
        text = handle.read().decode("utf-8", "replace")
    started = _STARTED.findall(text)
    finished = _FINISHED.findall(text)
    current = started[-1] if len(started) > len(finished) else ""
    return len(finished), current
