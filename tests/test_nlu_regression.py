"""NLU regression: tests/nlu_regression.yml against the running Rasa (POST /model/parse).

Each case names the intent (or a list of acceptable ones) and the entities (type +
canonical value) that must be found; `absent` lists entity types that must not be.
Uses the session fixture `rasa_stack` (tests/stack.py: `.rasa_url`, `.token`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

pytestmark = pytest.mark.stack

CASES_FILE = Path(__file__).resolve().parent / "nlu_regression.yml"


def load_cases() -> list[dict[str, Any]]:
    return list(yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))["cases"])


def parse(rasa_url: str, token: str, text: str) -> dict[str, Any]:
    response = requests.post(
        f"{rasa_url}/model/parse", params={"token": token}, json={"text": text}, timeout=30
    )
    response.raise_for_status()
    return dict(response.json())


def problems(case: dict[str, Any], parsed: dict[str, Any]) -> list[str]:
    """What is wrong with `parsed` for `case` (empty when it passes)."""
    found = {(e["entity"], str(e["value"])) for e in parsed.get("entities", [])}
    wrong = []
    intent = (parsed.get("intent") or {}).get("name")
    expected = case["intent"]  # one intent, or a list of the acceptable ones
    if intent not in (expected if isinstance(expected, list) else [expected]):
        wrong.append(f"intent {intent!r}, expected {expected!r}")
    for entity in case.get("entities", []):
        if (entity["entity"], str(entity["value"])) not in found:
            wrong.append(f"missing {entity['entity']}={entity['value']!r}, found {sorted(found)}")
    for name in case.get("absent", []):
        if any(kind == name for kind, _value in found):
            wrong.append(f"unexpected {name} in {sorted(found)}")
    return wrong


CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[c["text"] for c in CASES])
def test_utterance(rasa_stack: Any, case: dict[str, Any]) -> None:
    parsed = parse(rasa_stack.rasa_url, rasa_stack.token, case["text"])
    assert problems(case, parsed) == [], parsed
