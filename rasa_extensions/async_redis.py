"""Non-blocking Redis for the Rasa server's hot path (tracker store and lock store).

Rasa 3.6 builds its Redis stores on the blocking redis-py client, so every round trip
of a turn (lock, closed flag, tracker read, tracker save, unlock) stops the server's
event loop until Redis answers, and no other turn's work runs meanwhile: about 10 % of
a loaded replica's samples (docs/BENCHMARKS.md, "Capacity"). The stores keep their
blocking client for Rasa's synchronous interface (`keys`, `cleanup`, tools and tests)
and use a `redis.asyncio` client with the same connection settings for the calls made
inside a turn.

A `redis.asyncio` connection belongs to the event loop that opened it, so one client is
kept per running loop (the server has one; tests run several, one per `asyncio.run`).

After Redis restarts, the pooled connections are closed by the server. The blocking pool
notices that when it hands a connection out; redis-py 4.6's asyncio pool does not (its
check reads end-of-file as "nothing to read"), so the first command on such a connection
fails with `ConnectionError`. The asyncio client therefore retries a command once, on a
new connection, after a `ConnectionError`. While Redis is down the retry fails at once
(connection refused) and the turn fails as it did with the blocking client. A command
that Redis ran just before its connection broke runs twice: the reads, the writes and
the checked save are the same twice; a lock ticket issued twice leaves one unused,
which the next turn of that conversation waits out (its lifetime) — only when the
connection breaks in that very instant.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import redis
import redis.asyncio

# Connection settings of the blocking pool that the asyncio connection accepts as well.
_SHARED_SETTINGS = (
    "host", "port", "db", "username", "password", "socket_timeout",
    "socket_connect_timeout", "socket_keepalive", "socket_keepalive_options",
    "retry_on_timeout", "health_check_interval", "client_name", "encoding",
    "encoding_errors", "decode_responses",
)
_SSL_SETTINGS = ("ssl_keyfile", "ssl_certfile", "ssl_cert_reqs", "ssl_ca_certs",
                 "ssl_ca_data", "ssl_check_hostname")


def async_settings(client: redis.Redis) -> dict[str, Any]:
    """`client`'s connection settings, as keyword arguments of `redis.asyncio.Redis`."""
    pool = client.connection_pool
    given = pool.connection_kwargs
    settings = {name: given[name] for name in _SHARED_SETTINGS if name in given}
    if issubclass(pool.connection_class, redis.UnixDomainSocketConnection):
        settings["unix_socket_path"] = given["path"]
    if issubclass(pool.connection_class, redis.SSLConnection):
        settings["ssl"] = True
        settings.update({name: given[name] for name in _SSL_SETTINGS if name in given})
    settings["max_connections"] = pool.max_connections
    settings["retry_on_error"] = [redis.exceptions.ConnectionError]  # one retry, at once
    return settings


class LoopClients:
    """A `redis.asyncio` client like a blocking one, one per running event loop."""

    def __init__(self, like: redis.Redis) -> None:
        self._settings = async_settings(like)
        self._clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, redis.asyncio.Redis
        ] = weakref.WeakKeyDictionary()
        self._scripts: dict[str, str] = {}
        self._registered: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, Any]
        ] = weakref.WeakKeyDictionary()

    def client(self) -> redis.asyncio.Redis:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = redis.asyncio.Redis(**self._settings)
        return client

    def add_script(self, name: str, source: str) -> None:
        """Make the Lua `source` callable as `script(name)` (EVALSHA, loaded on first use)."""
        self._scripts[name] = source

    def script(self, name: str) -> Any:
        loop = asyncio.get_running_loop()
        registered = self._registered.setdefault(loop, {})
        script = registered.get(name)
        if script is None:
            script = registered[name] = self.client().register_script(self._scripts[name])
        return script
