"""The console's Sanic app: builds the shared pieces and registers the route modules
(console/routes/). Its own process (`python -m console`); reads Redis, never imports Rasa."""

from __future__ import annotations

import redis
from sanic import Sanic

from bot.config import hotline_config, settings
from console.access import Access
from console.auth import Signer
from console.context import ConsoleContext
from console.ratelimit import LoginLimiter, login_limit_from_config
from console.routes import register_all
from console.services import Services
from console.users import UserStore


def create_app(
    redis_url: str | None = None, secret: str | None = None, session_ttl: int = 8 * 3600,
    name: str = "hotline_console",
) -> Sanic:
    conf = settings()
    redis_url = redis_url or conf.redis_url
    client: redis.Redis[bytes] = redis.Redis.from_url(redis_url)
    ctx = ConsoleContext(
        client=client,
        redis_url=redis_url,
        access=Access(Signer(secret or conf.console_secret, session_ttl), UserStore(client)),
        services=Services(client),
        limiter=LoginLimiter(client, login_limit_from_config(hotline_config().section("console"))),
    )
    app = Sanic(name)
    app.config.MOTD = False
    app.config.RESPONSE_TIMEOUT = 3600  # the live feed stays open
    register_all(app, ctx)
    return app
