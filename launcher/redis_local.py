"""Make sure a Redis is reachable; start a local one (AOF on) when the URL is local."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import redis

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

INSTALL_HINT = (
    "No Redis server is reachable at {url} and `redis-server` is not installed.\n"
    "  Debian/Ubuntu: sudo apt-get install -y redis-server\n"
    "  macOS:         brew install redis\n"
    "or point REDIS_URL at a running Redis (with appendonly yes)."
)


class RedisUnavailable(RuntimeError):
    pass


def redis_env(url: str) -> dict[str, str]:
    """Split REDIS_URL into the variables endpoints.yml reads."""
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss"):
        raise RedisUnavailable(f"REDIS_URL must start with redis:// (got {url!r})")
    db = (parsed.path or "/0").lstrip("/") or "0"
    return {
        "REDIS_URL": url,
        "REDIS_HOST": parsed.hostname or "127.0.0.1",
        "REDIS_PORT": str(parsed.port or 6379),
        "REDIS_DB": db,
        "REDIS_PASSWORD": parsed.password or "",
    }


def is_reachable(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        return bool(client.ping())
    except redis.RedisError:
        return False


def start_local_redis(url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    """Start redis-server for a local REDIS_URL with AOF persistence in `data_dir`."""
    parsed = urlparse(url)
    if (parsed.hostname or "127.0.0.1") not in LOCAL_HOSTS:
        raise RedisUnavailable(f"Redis at {url} is not reachable (and not local, so not started)")
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisUnavailable(INSTALL_HINT.format(url=url))
    data_dir.mkdir(parents=True, exist_ok=True)
    args = [
        binary, "--port", str(parsed.port or 6379), "--bind", "127.0.0.1",
        "--dir", str(data_dir), "--appendonly", "yes", "--appendfsync", "everysec",
        "--logfile", str(data_dir / "redis.log"),
    ]
    if parsed.password:
        args += ["--requirepass", parsed.password]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if is_reachable(url):
            return process
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    raise RedisUnavailable(f"redis-server did not start; see {data_dir / 'redis.log'}")


def ensure_aof(url: str) -> None:
    """Turn AOF persistence on for a reachable Redis (tickets must survive restarts)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        if client.config_get("appendonly").get("appendonly") != "yes":
            client.config_set("appendonly", "yes")
    except redis.ResponseError:
        pass  # managed Redis may forbid CONFIG; persistence is then the operator's job
