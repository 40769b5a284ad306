"""Build the ticket service the same way everywhere (actions, worker, console, tests)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.clock import Clock, SystemClock
from bot.config import ConfigError, HotlineConfig, Settings, hotline_config, settings
from bot.outbox import Outbox
from bot.redis_client import KEY_PREFIX, RedisClient, build_redis
from bot.tickets.http_store import HttpTicketStore
from bot.tickets.policy import ticket_policy_from_config
from bot.tickets.redis_store import RedisTicketStore
from bot.tickets.service import TicketService
from bot.tickets.store import TicketStore


def read_time_slot(text: str, now: datetime) -> datetime | None:
    """The caller's preferred callback time, read the way the forms read it
    (bot/language/timeslots.py); "any time" and unreadable words give None (text kept only)."""
    from bot.language.timeslots import parse_time_slot

    parsed = parse_time_slot(text, now)
    return parsed if isinstance(parsed, datetime) else None


def build_ticket_store(
    env: Settings, redis_client: RedisClient | None = None, prefix: str = KEY_PREFIX
) -> TicketStore:
    """`HOTLINE_TICKET_STORE=redis` (default) or `http` (HOTLINE_TICKET_API_URL/_TOKEN)."""
    kind = env.ticket_store
    if kind == "redis":
        return RedisTicketStore(redis_client or build_redis(env.redis_url), prefix)
    if kind == "http":
        if not env.ticket_api_url:
            raise ConfigError("HOTLINE_TICKET_STORE=http needs HOTLINE_TICKET_API_URL")
        return HttpTicketStore(env.ticket_api_url, env.ticket_api_token)
    raise ConfigError(f"HOTLINE_TICKET_STORE must be 'redis' or 'http', got {kind!r}")


def build_ticket_service(
    *,
    config: HotlineConfig | None = None,
    env: Settings | None = None,
    clock: Clock | None = None,
    redis_client: RedisClient | None = None,
    store: TicketStore | None = None,
    outbox_dir: Path | str | None = None,
    plan_callbacks: bool = True,
    dialer_spec: str | None = None,
    prefix: str = KEY_PREFIX,
) -> TicketService:
    """A ticket service from hotline.yml + settings; with `plan_callbacks` its callback
    scheduler (always Redis, `redis_client` or REDIS_URL) is attached as `followups`."""
    config = config or hotline_config()
    env = env or settings()
    policy = ticket_policy_from_config(config)
    clock = clock or SystemClock(policy.hours.tz)
    if store is None:
        if env.ticket_store == "redis" or plan_callbacks:
            redis_client = redis_client or build_redis(env.redis_url)
        store = build_ticket_store(env, redis_client, prefix)

    from bot.callbacks.policy import callback_policy_from_config

    callback_policy = callback_policy_from_config(config)
    service = TicketService(
        store,
        clock=clock,
        policy=policy,
        outbox=Outbox(outbox_dir or env.outbox_dir),
        time_parser=read_time_slot,
    )
    if plan_callbacks:
        from bot.callbacks.factory import attach_scheduler

        attach_scheduler(
            service,
            redis_client=redis_client or build_redis(env.redis_url),
            policy=callback_policy,
            dialer_spec=dialer_spec,
            prefix=prefix,
        )
    return service
