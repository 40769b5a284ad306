"""Train the Rasa model only when its inputs changed, after the compliance guard.

The model file is named after a fingerprint of everything training reads
(config, domain, data, custom NLU components), so `make run` and the test
suite reuse a model until one of those changes, and train at most once.
"""

from __future__ import annotations

import fcntl
import hashlib
import subprocess
import sys
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


def ensure_model(root: Path, models_dir: Path, env: dict[str, str] | None = None) -> Path:
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
            _train(root, models_dir, name, env)
    return model


def _train(root: Path, models_dir: Path, name: str, env: dict[str, str] | None) -> None:
    model = models_dir / f"{name}.tar.gz"
    command = [
        sys.executable, "-m", "rasa", "train",
        "--config", str(root / "config.yml"),
        "--domain", str(root / "domain.yml"),
        "--data", str(root / "data"),
        "--out", str(models_dir),
        "--fixed-model-name", name,
    ]
    result = subprocess.run(command, cwd=root, env=env)
    if result.returncode != 0 or not model.exists():
        raise TrainingError(f"rasa train failed (exit {result.returncode})")
