"""Builds the domain's services the same way everywhere: the action server, the Rasa
server's service-down path, the callback worker, the console and the tests.

The one module that knows how tickets, their stores, the outbox and the callback
scheduler fit together: a ticket service plans first callbacks through its scheduler,
and the scheduler writes callback outcomes back to the service. The packages themselves
never import this module (nor each other's builders), so there is no import cycle.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.callbacks.dialer import CallbackDialer, DialerContext, load_dialer
from bot.callbacks.policy import CallbackPolicy, callback_policy_from_config
from bot.callbacks.queue import RedisCallbackQueue
from bot.callbacks.scheduler import CallbackScheduler
from bot.clock import Clock, SystemClock
from bot.config import ConfigError, HotlineConfig, Settings, hotline_config, settings
from bot.language.timeslots import parse_time_slot
from bot.outbox import Outbox
from bot.redis_client import KEY_PREFIX, RedisClient, build_redis
from bot.tickets.http_store import HttpTicketStore
from bot.tickets.policy import ticket_policy_from_config
from bot.tickets.redis_store import RedisTicketStore
from bot.tickets.service import TicketService
from bot.tickets.store import TicketStore


def read_time_slot(text: str, now: datetime) -> datetime | None:
    """The caller's preferred callback time, read the way the forms read it
    (bot/language/timeslots.py); "any time" and unreadable words give None (text kept)."""
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
    service = TicketService(
        store,
        clock=clock,
        policy=policy,
        outbox=Outbox(outbox_dir or env.outbox_dir),
        time_parser=read_time_slot,
    )
    if plan_callbacks:
        attach_scheduler(
            service,
            redis_client=redis_client or build_redis(env.redis_url),
            policy=callback_policy_from_config(config),
            dialer_spec=dialer_spec,
            prefix=prefix,
        )
    return service


def attach_scheduler(
    tickets: TicketService,
    *,
    redis_client: RedisClient,
    policy: CallbackPolicy,
    dialer: CallbackDialer | None = None,
    dialer_spec: str | None = None,
    prefix: str = KEY_PREFIX,
) -> CallbackScheduler:
    """A scheduler sharing the ticket service's clock, wired both ways: the service plans
    first callbacks through it, and it writes callback outcomes to the service."""
    queue = RedisCallbackQueue(redis_client, policy.quiet.tz, prefix)
    if dialer is None:
        context = DialerContext(redis_client, prefix, tickets.clock, policy)
        dialer = load_dialer(dialer_spec if dialer_spec is not None else policy.dialer, context)
    scheduler = CallbackScheduler(
        queue, policy=policy, clock=tickets.clock, dialer=dialer, tickets=tickets
    )
    tickets.attach_followups(scheduler)
    return scheduler


def build_callback_scheduler(
    *,
    tickets: TicketService | None = None,
    config: HotlineConfig | None = None,
    env: Settings | None = None,
    clock: Clock | None = None,
    redis_client: RedisClient | None = None,
    dialer: CallbackDialer | None = None,
    dialer_spec: str | None = None,
    prefix: str = KEY_PREFIX,
) -> CallbackScheduler:
    """The scheduler of `tickets` (built from settings when not given). `dialer` (an
    instance) or `dialer_spec` ('module:factory') override hotline.yml `callbacks.dialer`."""
    config = config or hotline_config()
    env = env or settings()
    redis_client = redis_client or build_redis(env.redis_url)
    if tickets is None:
        tickets = build_ticket_service(
            config=config,
            env=env,
            clock=clock,
            redis_client=redis_client,
            plan_callbacks=False,
            prefix=prefix,
        )
    return attach_scheduler(
        tickets,
        redis_client=redis_client,
        policy=callback_policy_from_config(config),
        dialer=dialer,
        dialer_spec=dialer_spec,
        prefix=prefix,
    )
