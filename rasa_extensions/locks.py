"""A Redis lock store for Rasa whose ticket operations are atomic.

Rasa 3.6's `RedisLockStore` keeps each conversation's ticket lock as one JSON
value and changes it by read-modify-write from the server process. With two
Rasa replicas, two turns of one conversation can interleave those steps: one
replica deletes or overwrites the lock the other has just issued a ticket on,
and the waiting turn fails with `LockError` (the caller hears the holding
line) or two turns run at once. This store keeps the same contract (tickets
served first come, first served; a ticket expires after `lock_lifetime`) but
issues, checks and releases tickets in Lua scripts, so every step is one atomic
Redis command, and waits on a short poll (Rasa's default is 1 s, which a caller
hears when two messages of one conversation arrive together). The ticket is issued and
tried in one script (`lua/lock_take.lua`), so a turn nobody else waits on costs two
round trips: take and release. Inside a turn those go through `redis.asyncio`
(rasa_extensions/async_redis.py), so the server's event loop is not stopped while Redis
answers; Rasa's synchronous methods keep the blocking client.

Configured in endpoints.yml:

    lock_store:
      type: rasa_extensions.locks.AtomicRedisLockStore
      url: ${REDIS_HOST}
      port: ${REDIS_PORT}
      ...

Keys (one hash tag per conversation, so they live on one Redis Cluster slot):
`<prefix>:lock:{<conversation>}:queue` (sorted set of tickets by number),
`...:expiry` (tickets by expiry time, ms) and `...:seq` (the ticket counter).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Optional

import redis
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from bot.redis_client import lua_source, register_lua
from rasa_extensions.async_redis import LoopClients

LUA = Path(__file__).resolve().parent / "lua"  # this package's Redis scripts

logger = logging.getLogger(__name__)

DEFAULT_POLL_SECONDS = 0.02






class AtomicRedisLockStore(LockStore):
    """Rasa `LockStore` with atomic ticket operations (see the module docstring)."""

    def __init__(
        self,
        endpoint_config: Optional[EndpointConfig] = None,
        client: Optional[redis.Redis] = None,
        key_prefix: str = "hotline",
        poll_seconds: float = DEFAULT_POLL_SECONDS,
    ) -> None:
        kwargs: dict[str, Any] = dict(endpoint_config.kwargs) if endpoint_config else {}
        self.key_prefix = f"{kwargs.pop('key_prefix', key_prefix)}:lock"
        self.poll_seconds = float(kwargs.pop("poll_seconds", poll_seconds))
        self.red = client or redis.Redis(
            host=(endpoint_config.url if endpoint_config else None) or "localhost",
            port=int(kwargs.get("port") or 6379),
            db=int(kwargs.get("db") or 0),
            password=kwargs.get("password") or None,
            ssl=str(kwargs.get("use_ssl", False)).lower() == "true",
            socket_timeout=float(kwargs.get("socket_timeout") or 10),
        )
        self._issue = register_lua(self.red, LUA / "lock_issue.lua")
        self._acquire = register_lua(self.red, LUA / "lock_acquire.lua")
        self._release = register_lua(self.red, LUA / "lock_release.lua")
        self._take = register_lua(self.red, LUA / "lock_take.lua")
        self.turn_redis = LoopClients(self.red)
        for name in ("lock_take", "lock_acquire", "lock_release"):
            self.turn_redis.add_script(name, lua_source(LUA / f"{name}.lua"))
        super().__init__()

    def _keys(self, conversation_id: str) -> list[str]:
        base = f"{self.key_prefix}:{{{conversation_id}}}"
        return [f"{base}:queue", f"{base}:expiry", f"{base}:seq"]

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            return int(self._issue(keys=self._keys(conversation_id),
                                   args=[int(lock_lifetime * 1000)]))
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = DEFAULT_POLL_SECONDS,
    ) -> AsyncGenerator[TicketLock, None]:
        # Rasa's callers pass no wait time: the store's own poll interval applies.
        # Issuing and the first try are one script: an uncontended turn costs one round
        # trip to take the lock and one to give it back.
        try:
            ticket, ours = (int(v) for v in await self.turn_redis.script("lock_take")(
                keys=self._keys(conversation_id), args=[int(lock_lifetime * 1000)]))
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        try:
            yield (TicketLock(conversation_id) if ours == 1
                   else await self._wait_for_turn(conversation_id, ticket))
        finally:
            await self._give_back(conversation_id, ticket)

    async def _wait_for_turn(self, conversation_id: str, ticket: int) -> TicketLock:
        keys = self._keys(conversation_id)[:2]
        acquire = self.turn_redis.script("lock_acquire")
        while True:
            state = int(await acquire(keys=keys, args=[ticket]))
            if state == 1:
                return TicketLock(conversation_id)  # callers only need the turn, not the lock
            if state < 0:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            await asyncio.sleep(self.poll_seconds)

    async def _give_back(self, conversation_id: str, ticket_number: int) -> None:
        try:
            await self.turn_redis.script("lock_release")(
                keys=self._keys(conversation_id), args=[ticket_number])
        except redis.RedisError:
            # The ticket expires by itself after its lifetime; never hide the turn's result.
            logger.warning("could not release lock ticket %s of %s", ticket_number, conversation_id)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        try:
            self._release(keys=self._keys(conversation_id), args=[ticket_number])
        except redis.RedisError:
            # The ticket expires by itself after its lifetime; never hide the turn's result.
            logger.warning("could not release lock ticket %s of %s", ticket_number, conversation_id)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.cleanup(conversation_id, ticket_number)

    def update_lock(self, conversation_id: str) -> None:
        """Expired tickets are dropped by every acquire attempt; nothing to do."""

    def is_someone_waiting(self, conversation_id: str) -> bool:
        return int(self.red.zcard(self._keys(conversation_id)[0])) > 0

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        """A read-only snapshot of the conversation's tickets (for inspection)."""
        _, expiry_key, _ = self._keys(conversation_id)
        tickets = self.red.zrange(expiry_key, 0, -1, withscores=True)
        if not tickets:
            return None
        return TicketLock(conversation_id, deque(
            Ticket(int(number), expires / 1000.0) for number, expires in tickets
        ))

    def delete_lock(self, conversation_id: str) -> None:
        self.red.delete(*self._keys(conversation_id))

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("tickets change only through the atomic scripts")
