"""Signed session cookies and CSRF tokens with the standard library (HMAC-SHA256)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    user: str
    role: str
    expires: float
    nonce: str


class Signer:
    def __init__(self, secret: str, ttl_seconds: int = 8 * 3600) -> None:
        if not secret:
            raise ValueError("the console needs CONSOLE_SECRET")
        self._key = hashlib.sha256(b"hotline-console:" + secret.encode()).digest()
        self.ttl = ttl_seconds

    def _mac(self, payload: str) -> str:
        data = payload.encode("utf-8", "replace")
        return _b64(hmac.new(self._key, data, hashlib.sha256).digest())

    def issue(self, user: str, role: str, now: float | None = None) -> str:
        body = {"u": user, "r": role, "e": (now or time.time()) + self.ttl,
                "n": secrets.token_urlsafe(16)}
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{payload}.{self._mac(payload)}"

    def read(self, cookie: str | None, now: float | None = None) -> Session | None:
        if not cookie or "." not in cookie:
            return None
        payload, mac = cookie.rsplit(".", 1)
        # bytes: compare_digest refuses non-ASCII str, and a cookie may carry anything
        if not hmac.compare_digest(mac.encode("utf-8", "replace"), self._mac(payload).encode()):
            return None
        try:
            body = json.loads(_unb64(payload))
            session = Session(str(body["u"]), str(body["r"]), float(body["e"]), str(body["n"]))
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires > (now or time.time()) else None

    def csrf_token(self, nonce: str) -> str:
        """The form token for a session (or pre-login) nonce."""
        return self._mac("csrf:" + nonce)

    def check_csrf(self, nonce: str | None, token: str | None) -> bool:
        return bool(nonce and token) and hmac.compare_digest(
            str(token).encode("utf-8", "replace"), self.csrf_token(str(nonce)).encode()
        )
