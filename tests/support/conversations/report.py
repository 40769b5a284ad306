"""The conversation set's results: a pass/fail table at the end of the run and
test-output/conversations.json (pass rate and containment, for docs/BENCHMARKS.md).

Containment: the share of conversations resolved without a person — the conversation
passed (its expectations and the invariants) and nobody was handed it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.support.conversations.runner import Result

RESULTS = pytest.StashKey[list[Result]]()
EXPECTED_PLAYS = pytest.StashKey[int]()
OUTPUT = Path(__file__).resolve().parent.parent.parent.parent / "test-output" / \
    "conversations.json"


def record(config: pytest.Config, result: Result) -> None:
    config.stash.setdefault(RESULTS, []).append(result)


def expect_plays(config: pytest.Config, count: int) -> None:
    config.stash[EXPECTED_PLAYS] = count


def figures(results: Sequence[Result]) -> dict[str, Any]:
    total = len(results)
    passed = sum(r.passed for r in results)
    contained = sum(r.contained for r in results)
    return {
        "conversations": total,
        "passed": passed,
        "pass_rate": round(passed / total, 4) if total else None,
        "contained": contained,
        "containment": round(contained / total, 4) if total else None,
        "handed_off": sum(r.handed_off for r in results),
    }


def _grouped(results: Iterable[Result], key: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[Result]] = {}
    for result in results:
        groups.setdefault(getattr(result, key), []).append(result)
    return {name: figures(items) for name, items in sorted(groups.items())}


def summary(results: Sequence[Result], expected: int | None) -> dict[str, Any]:
    return {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "complete_set": expected is not None and len(results) == expected,
        **figures(results),
        "by_channel": _grouped(results, "channel"),
        "by_file": _grouped(results, "file"),
        "results": [r.to_dict() for r in results],
    }


def table(results: Sequence[Result]) -> list[str]:
    rows = []
    for r in sorted(results, key=lambda r: (r.channel, r.file, r.name)):
        first = r.failures[0].splitlines()[0] if r.failures else ""
        rows.append(f"{'PASS' if r.passed else 'FAIL'}  {r.channel:<7} {r.file:<24} "
                    f"{r.name:<44} {first[:110]}")
    return rows


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    results = config.stash.get(RESULTS, [])
    if not results:
        return
    data = summary(results, config.stash.get(EXPECTED_PLAYS, None))
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    terminalreporter.section("conversation set")
    for row in table(results):
        terminalreporter.write_line(row)
    terminalreporter.write_line(
        f"{data['passed']}/{data['conversations']} passed (pass rate {data['pass_rate']}), "
        f"containment {data['containment']}; by channel: "
        + ", ".join(f"{c} {f['passed']}/{f['conversations']}"
                    for c, f in data["by_channel"].items())
        + f"; written to {OUTPUT}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    plays = [i for i in items if i.nodeid.split("[")[0].endswith("test_conversations.py::"
                                                                  "test_conversation")]
    expect_plays(config, len(plays))
