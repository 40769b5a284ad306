"""What every route module gets: Redis, the access checks and the domain services."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from console.access import Access
from console.ratelimit import LoginLimiter
from console.services import Services


@dataclass(frozen=True)
class ConsoleContext:
    client: redis.Redis[bytes]
    redis_url: str  # the live feed opens its own asyncio connection
    access: Access
    services: Services
    limiter: LoginLimiter
