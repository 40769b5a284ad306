"""The atomic Redis lock store (rasa_extensions/locks.py) against a real redis-server.

Two store instances with their own connections stand for two Rasa replicas.
"""

from __future__ import annotations

import asyncio

import pytest
import redis
from rasa.core.lock_store import LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from rasa_extensions.locks import AtomicRedisLockStore
from tests.support.processes import RedisServer


def replicas(server: RedisServer, count: int = 2) -> list[AtomicRedisLockStore]:
    return [
        AtomicRedisLockStore(client=redis.Redis(host="127.0.0.1", port=server.port, db=1))
        for _ in range(count)
    ]


def test_turns_of_one_conversation_never_overlap_across_replicas(
    redis_server: RedisServer, redis_client: redis.Redis[bytes]
) -> None:
    stores = replicas(redis_server)
    inside: list[int] = []
    overlaps: list[int] = []
    counter = {"value": 0}

    async def turn(index: int) -> None:
        async with stores[index % 2].lock("caller-1"):
            inside.append(index)
            if len(inside) > 1:
                overlaps.append(index)
            value = counter["value"]  # a read-modify-write that loses updates without a lock
            await asyncio.sleep(0.002)
            counter["value"] = value + 1
            inside.remove(index)

    async def main() -> None:
        await asyncio.gather(*(turn(i) for i in range(60)))

    asyncio.run(main())
    assert overlaps == []
    assert counter["value"] == 60
    assert redis_client.keys("hotline:lock:*") == []  # nothing left behind


def test_tickets_are_served_in_the_order_they_were_issued(
    redis_server: RedisServer, redis_client: redis.Redis[bytes]
) -> None:
    first, second = replicas(redis_server)
    served: list[str] = []

    async def turn(store: AtomicRedisLockStore, name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        async with store.lock("caller-2"):
            served.append(name)
            await asyncio.sleep(0.01)

    async def main() -> None:
        await asyncio.gather(*(
            turn(first if i % 2 else second, f"turn-{i}", i * 0.003) for i in range(10)
        ))

    asyncio.run(main())
    assert served == [f"turn-{i}" for i in range(10)]


def test_a_crashed_holder_expires_and_the_next_turn_goes_on(
    redis_server: RedisServer, redis_client: redis.Redis[bytes]
) -> None:
    crashed, alive = replicas(redis_server)
    dead = crashed.issue_ticket("caller-3", lock_lifetime=0.2)  # never released: it died
    (held,) = crashed.get_lock("caller-3").tickets  # type: ignore[union-attr]
    assert held.number == dead

    def redis_now() -> float:
        seconds, micros = redis_client.time()
        return seconds + micros / 1e6

    async def take_turn() -> float:
        async with alive.lock("caller-3"):
            return redis_now()

    # 30 s is only a safety net: the turn goes on once the dead ticket has expired.
    got_turn_at = asyncio.run(asyncio.wait_for(take_turn(), 30))
    # The turn was given only after the dead ticket's expiry, on the Redis server's clock
    # (the clock the lock scripts use), and the dead ticket is gone.
    assert got_turn_at >= held.expires
    assert redis_client.keys("hotline:lock:*") == []


def test_a_turn_whose_own_ticket_expired_while_waiting_gets_lock_error(
    redis_server: RedisServer, redis_client: redis.Redis[bytes]
) -> None:
    holder, waiter = replicas(redis_server)

    async def main() -> None:
        async with holder.lock("caller-4", lock_lifetime=5), \
                waiter.lock("caller-4", lock_lifetime=0.1):
            pass

    with pytest.raises(LockError):
        asyncio.run(main())
    assert holder.get_lock("caller-4") is None


def test_rasa_builds_it_from_the_endpoint_config(redis_server: RedisServer) -> None:
    config = EndpointConfig(
        url="127.0.0.1", type="rasa_extensions.locks.AtomicRedisLockStore",
        port=redis_server.port, db=1, key_prefix="hotline", password=None,
    )
    store = LockStore.create(config)
    assert isinstance(store, AtomicRedisLockStore)
    assert store.issue_ticket("caller-5") == 1
    assert store.is_someone_waiting("caller-5")
    snapshot = store.get_lock("caller-5")
    assert snapshot is not None and [t.number for t in snapshot.tickets] == [1]
    store.cleanup("caller-5", 1)
    assert store.get_lock("caller-5") is None


def test_an_uncontended_turn_takes_and_returns_the_lock_in_two_round_trips(
    redis_server: RedisServer, redis_client: redis.Redis[bytes]
) -> None:
    (store,) = replicas(redis_server, 1)

    def scripts_run() -> int:
        stats = redis_client.info("commandstats")
        return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0))
                   for name in ("evalsha", "eval"))

    async def turns() -> None:
        for _ in range(3):
            async with store.lock("caller-quiet"):
                pass

    asyncio.run(turns())  # scripts loaded, then counted
    before = scripts_run()
    asyncio.run(turns())
    assert scripts_run() - before == 3 * 2  # take (issue + first try) and release
    assert redis_client.keys("hotline:lock:*") == []


def test_a_redis_restart_between_turns_costs_no_turn(private_redis: RedisServer) -> None:
    """The turn path's asyncio connections die with a restart; the next turn still takes
    the lock, reads and saves its conversation (one retry on a new connection)."""
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = TrackerStore.create(EndpointConfig(
        url="127.0.0.1", type="rasa_extensions.tracker_store.CompactRedisTrackerStore",
        port=private_redis.port, db=0, key_prefix="hotline", record_exp=None),
        domain=Domain.empty())
    locks = AtomicRedisLockStore(EndpointConfig(url="127.0.0.1", port=private_redis.port, db=0))

    async def turn(text: str) -> int:
        async with locks.lock("caller-restart"):
            tracker = (await store.retrieve("caller-restart")
                       or DialogueStateTracker("caller-restart", slots=[]))
            tracker.update(UserUttered(text, {"name": "inform", "confidence": 0.9}))
            await store.save(tracker)
            return len(tracker.events)

    async def main() -> list[int]:
        counts = [await turn("我姓刘")]
        private_redis.restart(hard=False)  # AOF flushed on a clean shutdown
        counts.append(await turn("13900001234"))
        return counts

    assert asyncio.run(main()) == [1, 2]
