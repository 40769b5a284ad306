"""Which browser origins may open the web chat's Socket.IO connection.

python-engineio calls the policy with the request's `Origin` header (and the
WSGI-style environ) for every handshake; a refused origin gets HTTP 400.
Requests without an `Origin` header (non-browser clients) are not subject to
CORS and are allowed, as in python-engineio itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Optional
from urllib.parse import urlsplit

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def normalise_origin(origin: str) -> Optional[str]:
    """`scheme://host[:port]` in lower case, or None when it is not an http(s) origin."""
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


class OriginPolicy:
    """Same origin, the configured origins (`*` = any), and localhost in development."""

    def __init__(self, allowed: Iterable[str], allow_localhost: bool) -> None:
        values = [o.strip() for o in allowed if o.strip()]
        self.allow_any = "*" in values
        self.allowed = frozenset(n for n in (normalise_origin(o) for o in values) if n)
        self.allow_localhost = allow_localhost

    def __call__(self, origin: Optional[str], environ: Optional[Mapping[str, Any]] = None) -> bool:
        if origin is None:
            return True
        if self.allow_any:
            return True
        normalised = normalise_origin(origin)
        if normalised is None:
            return False
        if normalised in self.allowed:
            return True
        netloc = urlsplit(normalised).netloc
        if environ is not None and netloc in _request_hosts(environ):
            return True
        hostname = urlsplit(normalised).hostname or ""
        return self.allow_localhost and hostname in LOCAL_HOSTS


def _request_hosts(environ: Mapping[str, Any]) -> set[str]:
    """The host names the request was addressed to (Host and X-Forwarded-Host)."""
    hosts = set()
    for key in ("HTTP_HOST", "HTTP_X_FORWARDED_HOST"):
        value = environ.get(key)
        if isinstance(value, str) and value:
            hosts.add(value.split(",")[0].strip().lower())
    return hosts
