"""The script audit on every conversation a stack test plays (issue 14, "Tests").

For every test that uses a running stack (`rasa_stack`, a module's `private_stack`, or the
scale-out stack), the conversations in that stack's Redis are snapshotted before the test;
after it, every conversation the test created or changed is read back and audited with the
product's own audit (bot/script_audit.py, live: opening first, nothing after a closing line
or the caller's hang-up, a closing line once a session has ended, no forbidden phrase, no
unfilled or blank value, the bot hangs up only after its closing line and the wait).
Any finding fails the test with a report: conversation id, finding, offending lines.

A test that deliberately produces a broken conversation says so, with the reason and the
findings it tolerates:

    @pytest.mark.audit_exempt(reason="the action server is stopped: no opening line",
                              kinds=["missing_opening"])
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass

import pytest
import redis

from tests.support.transcripts import Audited, audit_changes, format_findings, snapshot

# Fixtures that are a running stack with a `redis_url` (tests/stack.py, bench/stack.py,
# tests/test_replicas.py).
STACK_FIXTURES = ("rasa_stack", "private_stack", "scaleout", "replicas")


@dataclass
class Watch:
    client: redis.Redis[bytes]
    before: dict[str, bytes]
    tolerated: frozenset[str] | None  # finding kinds an exempt test may produce; None: none


WATCHES = pytest.StashKey[list[Watch]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "audit_exempt(reason, kinds): this test deliberately breaks the script "
        "(say why, and which finding kinds it tolerates)",
    )


def _tolerated(item: pytest.Item) -> frozenset[str] | None:
    marker = item.get_closest_marker("audit_exempt")
    if marker is None:
        return None
    reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
    kinds = marker.kwargs.get("kinds")
    if not str(reason).strip() or not kinds:
        raise pytest.UsageError(
            f"{item.nodeid}: audit_exempt needs a reason and the finding kinds it tolerates")
    return frozenset(kinds)


@pytest.fixture(autouse=True)
def script_audit_of_every_conversation(request: pytest.FixtureRequest) -> Iterator[None]:
    """Snapshot the stack's conversations before a stack test (audited after it)."""
    watches: list[Watch] = []
    for name in STACK_FIXTURES:
        if name in request.fixturenames:
            stack = request.getfixturevalue(name)
            client = redis.Redis.from_url(stack.redis_url)
            watches.append(Watch(client, snapshot(client), _tolerated(request.node)))
    request.node.stash[WATCHES] = watches
    try:
        yield
    finally:
        for watch in watches:
            watch.client.close()


def audit_findings(item: pytest.Item) -> list[Audited]:
    found: list[Audited] = []
    for watch in item.stash.get(WATCHES, []):
        for audited in audit_changes(watch.client, watch.before):
            if watch.tolerated is not None:
                audited.findings = [f for f in audited.findings
                                    if f.kind not in watch.tolerated]
            if audited.findings:
                found.append(audited)
    return found


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    try:
        result = yield
    except Exception:  # the test failed: its audit is shown beside its own failure
        try:
            failed = audit_findings(item)
        except redis.RedisError as error:
            failed = []
            item.add_report_section("call", "script audit", f"not run: {error}")
        if failed:
            item.add_report_section("call", "script audit", format_findings(failed))
        raise
    failed = audit_findings(item)
    if failed:
        pytest.fail(f"script audit: {len(failed)} conversation(s) broke the script\n"
                    + format_findings(failed), pytrace=False)
    return result
