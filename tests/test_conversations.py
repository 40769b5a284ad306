"""The conversation test set: multi-turn conversations written as data
(tests/conversations/*.yml, format in tests/conversations/README.md), played against the
real stack through the REST channel, a phone subset through signed TwiML webhooks and a
web-chat subset through Socket.IO.

Each conversation asserts its own expectations (by response name, read from the tracker)
and the script's invariants (tests/support/conversations/runner.py). At the end of the
run a pass/fail table is printed and test-output/conversations.json is written (pass
rate, containment).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.stack import Stack
from tests.support.conversations.model import CHANNELS, Conversation, by_channel, load_all
from tests.support.conversations.report import record
from tests.support.conversations.runner import play

CONVERSATIONS = Path(__file__).resolve().parent / "conversations"
ALL = load_all(CONVERSATIONS)
PLAYS = [(conversation, channel) for channel in CHANNELS
         for conversation in by_channel(ALL, channel)]


def test_the_set_covers_every_channel_with_enough_conversations() -> None:
    per_channel = Counter(channel for _, channel in PLAYS)
    assert len(ALL) >= 110, len(ALL)
    assert per_channel["rest"] >= 100, per_channel
    assert per_channel["phone"] >= 15, per_channel
    assert per_channel["webchat"] >= 15, per_channel


@pytest.mark.stack
@pytest.mark.parametrize(
    ("conversation", "channel"),
    [pytest.param(c, ch, id=f"{ch}-{c.name}") for c, ch in PLAYS],
)
def test_conversation(
    rasa_stack: Stack, conversation: Conversation, channel: str, request: pytest.FixtureRequest
) -> None:
    result = play(rasa_stack, conversation, channel)
    record(request.config, result)
    if not result.passed:
        pytest.fail(result.report(), pytrace=False)
