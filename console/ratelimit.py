"""Login rate limiting in Redis: after `max_failures` failed logins for one user name or from
one client address within `window_s`, further attempts are refused until the window ends.

Counters live in Redis (one key per name and per address, expiring with the window), so the
limit holds across console restarts and replicas. A successful login clears both counters.
Names are hashed into the key: any string a client sends is a safe, short key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import redis

from bot.config import HotlineConfig

KEY = "hotline:console:login_failures:{kind}:{digest}"


@dataclass(frozen=True)
class LoginLimit:
    max_failures: int = 5
    window_s: int = 900


def login_limit_from_config(config: HotlineConfig) -> LoginLimit:
    """hotline.yml `console.login_limit` ({max_failures, window_s})."""
    console = config.console
    return LoginLimit(console.login_max_failures, console.login_window_s)


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().casefold().encode("utf-8", "replace")).hexdigest()
    return KEY.format(kind=kind, digest=digest[:32])


class LoginLimiter:
    def __init__(self, client: redis.Redis[bytes], limit: LoginLimit) -> None:
        self._redis = client
        self.limit = limit

    def _keys(self, name: str, address: str) -> list[str]:
        return [_key("user", name), _key("ip", address)]

    def retry_after(self, name: str, address: str) -> int:
        """Seconds until a login may be tried again; 0 when it may be tried now."""
        pipe = self._redis.pipeline(transaction=False)
        for key in self._keys(name, address):
            pipe.get(key)
            pipe.pttl(key)
        replies = pipe.execute()
        wait = 0
        for count, ttl in zip(replies[0::2], replies[1::2], strict=True):
            if count is not None and int(count) >= self.limit.max_failures:
                wait = max(wait, (int(ttl) + 999) // 1000 if int(ttl) > 0 else 1)
        return wait

    def failed(self, name: str, address: str) -> None:
        pipe = self._redis.pipeline(transaction=True)
        for key in self._keys(name, address):
            # the window starts at the first failure; INCR keeps the key's expiry
            pipe.set(key, 0, ex=self.limit.window_s, nx=True)
            pipe.incr(key)
        pipe.execute()

    def succeeded(self, name: str, address: str) -> None:
        self._redis.delete(*self._keys(name, address))
