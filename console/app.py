"""The console's Sanic app: builds the shared pieces and registers the route modules
(console/routes/). Its own process (`python -m console`); reads Redis, never imports Rasa."""

from __future__ import annotations

from pathlib import Path

import redis
from sanic import Sanic

from bot.config import settings
from bot.handoffs import WAITING_INDEX
from console.access import Access
from console.auth import Signer
from console.config import console_config
from console.context import ConsoleContext
from console.ratelimit import LoginLimiter
from console.render import Renderer
from console.routes import register_all
from console.services import Services
from console.users import UserStore

STATIC = Path(__file__).resolve().parent / "static"


def create_app(
    redis_url: str | None = None, secret: str | None = None, session_ttl: int = 8 * 3600,
    name: str = "hotline_console",
) -> Sanic:
    conf = settings()
    config = console_config()
    redis_url = redis_url or conf.redis_url
    client: redis.Redis[bytes] = redis.Redis.from_url(redis_url)
    access = Access(Signer(secret or conf.console_secret, session_ttl), UserStore(client),
                    Renderer(config), waiting=lambda: int(client.zcard(WAITING_INDEX)))
    ctx = ConsoleContext(client=client, redis_url=redis_url, config=config, access=access,
                         services=Services(client), limiter=LoginLimiter(client,
                                                                         config.login_limit))
    app = Sanic(name)
    app.config.MOTD = False
    app.config.RESPONSE_TIMEOUT = 3600  # the live feed stays open
    app.static("/static", str(STATIC), name="static")  # stylesheet, scripts, icons
    register_all(app, ctx)
    return app
