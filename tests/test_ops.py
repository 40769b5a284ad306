"""The launcher's parts: Redis discovery and start, settings checks, training fingerprint."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import redis

from bot.config import ConfigError, settings
from launcher.progress import Step, bar
from launcher.redis_local import (
    RedisUnavailable,
    ensure_aof,
    is_reachable,
    redis_env,
    start_local_redis,
)
from launcher.training import _read_progress, fingerprint
from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_redis_url_is_split_for_endpoints_yml() -> None:
    assert redis_env("redis://:s3cret@10.0.0.5:6380/2") == {
        "REDIS_URL": "redis://:s3cret@10.0.0.5:6380/2",
        "REDIS_HOST": "10.0.0.5", "REDIS_PORT": "6380", "REDIS_DB": "2",
        "REDIS_PASSWORD": "s3cret",
    }
    assert redis_env("redis://127.0.0.1")["REDIS_DB"] == "0"
    with pytest.raises(RedisUnavailable):
        redis_env("http://127.0.0.1:6379")


def test_a_local_redis_is_started_with_aof_when_none_is_reachable(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    assert not is_reachable(url)
    process = start_local_redis(url, tmp_path / "redis")
    try:
        assert is_reachable(url)
        client = redis.Redis.from_url(url)
        assert client.config_get("appendonly")["appendonly"] == "yes"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_aof_is_switched_on_for_an_existing_redis(private_redis) -> None:  # type: ignore[no-untyped-def]
    client = private_redis.client()
    client.config_set("appendonly", "no")
    ensure_aof(private_redis.url)
    assert client.config_get("appendonly")["appendonly"] == "yes"


def test_a_remote_unreachable_redis_is_not_started(tmp_path: Path) -> None:
    with pytest.raises(RedisUnavailable, match="not reachable"):
        start_local_redis("redis://192.0.2.1:6379/0", tmp_path)


def test_production_refuses_default_secrets() -> None:
    settings({"HOTLINE_ENV": "development"}).check_secrets()
    with pytest.raises(ConfigError, match="RASA_TOKEN"):
        settings({"HOTLINE_ENV": "production"}).check_secrets()
    strong = "x" * 32
    settings({
        "HOTLINE_ENV": "production", "RASA_TOKEN": strong, "CONSOLE_SECRET": strong,
        "TWILIO_AUTH_TOKEN": strong, "HOTLINE_TICKET_API_TOKEN": strong,
    }).check_secrets()


def test_the_fingerprint_changes_only_with_training_inputs(tmp_path: Path) -> None:
    copy = tmp_path / "project"
    for name in ("config.yml", "domain.yml", "data"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name)
        else:
            copy.mkdir(exist_ok=True)
            shutil.copy(source, copy / name)
    before = fingerprint(copy)
    (copy / "README.md").write_text("not a training input")
    assert fingerprint(copy) == before
    (copy / "data" / "rules" / "skeleton.yml").write_text("version: '3.1'\n", encoding="utf-8")
    assert fingerprint(copy) != before


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_each_step_is_one_line_and_redraws_only_on_a_terminal() -> None:
    piped = io.StringIO()
    step = Step("model", piped)
    step.update(0.5, "CountVectorsFeaturizer")
    step.done("models/hotline-x.tar.gz (up to date)")
    assert piped.getvalue() == "\r  ✓ model            models/hotline-x.tar.gz (up to date)\n"

    terminal = _Terminal()
    step = Step("model", terminal)
    step.update(0.5, "CountVectorsFeaturizer")
    step.done("trained")
    screen = terminal.getvalue()
    assert "[############------------]  50 %  CountVectorsFeaturizer" in screen
    assert screen.count("\n") == 1 and screen.endswith("\n")
    assert screen.split("\r")[-1].strip() == "✓ model            trained"  # over the bar
    assert bar(1.0).endswith("100 %")


def test_training_progress_is_read_from_rasa_s_log_which_stays_in_the_log(
    tmp_path: Path,
) -> None:
    log = tmp_path / "train.log"
    log.write_text("old run: Finished training component 'X'.\n", encoding="utf-8")
    start = log.stat().st_size
    with open(log, "a", encoding="utf-8") as handle:
        handle.write("Epochs: 100%|####| 2/2 [00:00<00:00]\r" * 50
                     + "Starting to train component 'JiebaTokenizer'.\n"
                     "Finished training component 'JiebaTokenizer'.\n"
                     "Starting to train component 'HotlineLinearClassifier'.\n")
    assert _read_progress(log, start) == (1, "HotlineLinearClassifier")
