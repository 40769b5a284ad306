"""Build the callback scheduler the same way everywhere (worker, actions, console, tests)."""

from __future__ import annotations

from bot.callbacks.dialer import CallbackDialer, DialerContext, load_dialer
from bot.callbacks.policy import CallbackPolicy, callback_policy_from_config
from bot.callbacks.queue import RedisCallbackQueue
from bot.callbacks.scheduler import CallbackScheduler
from bot.clock import Clock
from bot.config import HotlineConfig, Settings, hotline_config
from bot.redis_client import KEY_PREFIX, RedisClient
from bot.tickets.service import TicketService


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
    from bot.config import settings
    from bot.redis_client import build_redis
    from bot.tickets.factory import build_ticket_service

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
