"""What every route module gets: Redis, the settings, the access checks and the services."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from console.access import Access
from console.config import ConsoleConfig
from console.ratelimit import LoginLimiter
from console.services import Services


@dataclass(frozen=True)
class ConsoleContext:
    client: redis.Redis[bytes]
    redis_url: str  # the live feed opens its own asyncio connection
    config: ConsoleConfig
    access: Access
    services: Services
    limiter: LoginLimiter
