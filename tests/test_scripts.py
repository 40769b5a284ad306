"""The service scripts: test stories pass `rasa test core`, and every one of them
ends with a closing line; no response contains a forbidden phrase."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.compliance import check_texts, domain_response_texts
from bot.ops.training import TrainingError, check_responses

ROOT = Path(__file__).resolve().parent.parent
TEST_STORIES = ROOT / "tests" / "test_stories.yml"
# Responses that close a conversation (the standard closing and the manual's scripted ones).
CLOSING_RESPONSES = {
    "utter_closing", "utter_malicious_closing", "utter_silence_closing",
    "utter_low_volume_closing", "utter_noisy_line_closing", "utter_personal_call",
    "utter_idle_closing",
}


def story_actions(story: dict) -> list[str]:
    return [step["action"] for step in story["steps"] if "action" in step]


def after_hangup(story: dict) -> list[str]:
    """The actions after the caller's hang-up (the story's last caller step)."""
    steps = story["steps"]
    at = max(i for i, step in enumerate(steps) if step.get("intent") == "hangup")
    assert not [s for s in steps[at + 1:] if "intent" in s or "user" in s], (
        f"{story['story']}: the caller hung up; nothing comes from the caller after it")
    return [step["action"] for step in steps[at + 1:] if "action" in step]


def test_every_test_story_starts_with_the_caller_and_ends_with_a_closing_line() -> None:
    """Opening first (the caller speaks first, the opening comes with the session), and the
    end: a closing line then action_end_conversation, the closing line final (nothing after
    it); or the caller hung up, after which nothing is said and the hang-up is handled."""
    stories = yaml.safe_load(TEST_STORIES.read_text(encoding="utf-8"))["stories"]
    assert len(stories) >= 20
    for story in stories:
        name = story["story"]
        first = story["steps"][0]
        assert "intent" in first, f"{name}: must start with the caller (opening first)"
        actions = story_actions(story)
        closings = [i for i, action in enumerate(actions) if action in CLOSING_RESPONSES]
        for index in closings:
            assert actions[index + 1:] == ["action_end_conversation"], (
                f"{name}: {actions[index]} must be followed by action_end_conversation only")
        intents = [step.get("intent") for step in story["steps"]]
        if "hangup" in intents:
            assert after_hangup(story) == ["action_handle_hangup"], (
                f"{name}: after the hang-up only action_handle_hangup, nothing said")
            continue
        assert closings, f"{name}: ends with {actions[-1]}, not a closing line"


def test_no_response_contains_a_forbidden_phrase() -> None:
    assert check_texts(domain_response_texts(str(ROOT / "domain.yml"))) == []


def test_the_training_guard_refuses_a_forbidden_phrase(tmp_path: Path) -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    domain["responses"]["utter_closing"].append({"text": "喂, 说话呀!再不说话我就挂了啊"})
    (tmp_path / "domain.yml").write_text(yaml.safe_dump(domain, allow_unicode=True), "utf-8")
    with pytest.raises(TrainingError, match="喂,说话呀"):
        check_responses(tmp_path)


@pytest.mark.stack
def test_test_stories_pass_rasa_test_core(trained_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "test", "core", "--model", str(trained_model),
         "--stories", str(TEST_STORIES), "--out", str(out), "--fail-on-prediction-errors"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    failed = out / "failed_test_stories.yml"
    details = failed.read_text(encoding="utf-8") if failed.exists() else result.stdout[-3000:]
    assert result.returncode == 0, details


# Warnings `rasa data validate` gives by design: responses that custom actions
# choose at run time, and intents that only the channels send (`/silence`).
EXPECTED_WARNINGS = ("is not used in any story or rule", "is not found in the NLU training data")
CHANNEL_EVENT_INTENTS = {
    "silence", "low_volume", "noisy_line", "dialect", "too_quiet_bot", "idle_timeout",
    "hangup", "handoff_finished", "handoff_failed",
}


def test_rasa_data_validate_is_clean_apart_from_by_design_warnings() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for line in (result.stdout + result.stderr).splitlines():
        if "UserWarning" not in line:
            continue
        assert any(expected in line for expected in EXPECTED_WARNINGS), line
        if "NLU training data" in line:
            intent = line.split("The intent '")[1].split("'")[0]
            assert intent in CHANNEL_EVENT_INTENTS, line
