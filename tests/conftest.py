"""Shared fixtures: real Redis for the unit-level tests.

The fixtures that train a model and start Rasa live in tests/stack.py and are
pulled in by the tests that need the whole stack; every conversation those tests play
is audited afterwards (tests/support/audit_plugin.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.support.processes import RedisServer

# tests.support.audit_plugin: the script audit on every conversation a stack test plays;
# tests.support.conversations.report: the conversation set's table and figures.
pytest_plugins = [
    "tests.stack", "tests.support.audit_plugin", "tests.support.conversations.report",
]


@pytest.fixture(scope="session")
def test_output_dir() -> Path:
    out = Path(__file__).resolve().parent.parent / "test-output"
    out.mkdir(exist_ok=True)
    return out


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real redis-server (AOF on) for the session."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture()
def redis_client(redis_server: RedisServer) -> Iterator[redis.Redis[bytes]]:
    """A client on a freshly emptied database 1 (database 0 belongs to the stack)."""
    client = redis.Redis(host="127.0.0.1", port=redis_server.port, db=1)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture()
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own, for tests that kill or restart it."""
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()
