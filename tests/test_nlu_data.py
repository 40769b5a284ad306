"""Guards on the NLU training data (data/nlu, data/nlu_sources; see data/nlu/SOURCES.md).

The generated per-source files are up to date with their text sources, no
example repeats another one, and no training example shares 8 or more
consecutive characters with the development set ../shared/eval/dev.jsonl
(skipped where ../shared is absent: the product passes its tests without it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.nlu import load_training
from bench.nlu_data import (
    NLU_DIR,
    OUT_DIR,
    STATES,
    overlaps,
    problems,
    read_jsonl_texts,
    read_sources,
    render,
)

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT.parent / "shared" / "eval" / "dev.jsonl"


def test_generated_source_files_are_up_to_date_and_the_guards_hold() -> None:
    sources = read_sources()
    assert len(sources) >= 8
    for source in sources:
        assert (OUT_DIR / f"{source.name}.yml").read_text(encoding="utf-8") == render(source)
        assert source.domain and source.register, source.name
    assert problems(sources, {}) == []


def test_every_source_has_several_states() -> None:
    for source in read_sources():
        states = {e.intent for e in source.examples}
        assert states <= set(STATES)
        assert len(states) >= 2, source.name


def test_no_training_example_shares_eight_characters_with_the_dev_set() -> None:
    if not DEV_SET.exists():
        pytest.skip(f"{DEV_SET} not present (../shared is only beside the development clone)")
    training = load_training(NLU_DIR)
    pairs = [(e.get("intent"), e.get("text")) for e in training.intent_examples]
    assert len(pairs) > 3000
    assert overlaps(pairs, read_jsonl_texts(DEV_SET), size=8) == []


def test_overlap_guard_finds_a_shared_run() -> None:
    found = overlaps([("praise", "他们家的酸菜鱼真的特别好吃呀")], ["酸菜鱼真的特别好吃"], size=8)
    assert [text for _label, text, _run in found] == ["他们家的酸菜鱼真的特别好吃呀"]
    assert overlaps([("praise", "酸菜鱼很好吃")], ["酸菜鱼真的特别好吃"], size=8) == []
