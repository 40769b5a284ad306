"""Who is asking: the signed session cookie, the CSRF token of every form, role checks, and
the page response that carries both (no-store, no framing)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from console.auth import Session, Signer
from console.render import Renderer
from console.users import User, UserStore

SESSION_COOKIE = "console_session"
CSRF_COOKIE = "console_csrf"
SUPERVISORS = ("supervisor", "admin")
Handler = Callable[..., Any]
# Scripts, styles and images only from the console itself; no framing, no inline script.
SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                   "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
                   "frame-ancestors 'none'; base-uri 'none'")


class Access:
    def __init__(self, signer: Signer, users: UserStore, renderer: Renderer,
                 waiting: Callable[[], int] = lambda: 0) -> None:
        self.signer = signer
        self.users = users
        self.renderer = renderer
        self._waiting = waiting  # hand-offs waiting, for the navigation's badge

    def current(self, request: Request) -> tuple[Session, User] | None:
        session = self.signer.read(request.cookies.get(SESSION_COOKIE))
        if session is None:
            return None
        user = self.users.get(session.user)  # a deleted user's cookie stops working
        return (session, user) if user is not None else None

    def page(
        self, request: Request, template: str, code: int = 200, **context: Any
    ) -> HTTPResponse:
        """An HTML page; before login it sets the nonce cookie its CSRF token is bound to."""
        found = self.current(request)
        nonce = found[0].nonce if found else request.cookies.get(CSRF_COOKIE)
        fresh = nonce is None
        nonce = nonce or secrets.token_urlsafe(16)
        user = found[1] if found else None
        body = self.renderer.render(template, user=user, csrf=self.signer.csrf_token(nonce),
                                    waiting=self._waiting() if user else 0, **context)
        resp = response.html(body, status=code)
        if fresh:
            resp.cookies[CSRF_COOKIE] = nonce
            resp.cookies[CSRF_COOKIE]["httponly"] = True
            resp.cookies[CSRF_COOKIE]["samesite"] = "Lax"
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Content-Security-Policy"] = SECURITY_POLICY
        return resp

    def fragment(self, request: Request, template: str, **context: Any) -> HTTPResponse:
        """Part of a page for the page's own script (same user, same CSRF token)."""
        found = self.current(request)
        nonce = found[0].nonce if found else ""
        body = self.renderer.render(template, user=found[1] if found else None,
                                    csrf=self.signer.csrf_token(nonce) if nonce else "",
                                    **context)
        resp = response.html(body)
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["Content-Security-Policy"] = SECURITY_POLICY
        return resp

    def guarded(
        self, roles: tuple[str, ...] = (), csrf: bool = False
    ) -> Callable[[Handler], Handler]:
        """Only for a logged-in user (of `roles`, when given); `csrf`: the form's token must
        match the session. The handler gets the `User` after the request."""

        def decorate(handler: Handler) -> Handler:
            @wraps(handler)
            async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
                found = self.current(request)
                api = request.path.startswith("/api/")
                if found is None:
                    if api or request.method != "GET":
                        return response.json({"error": "login required"}, status=401)
                    return response.redirect("/login?next=" + quote(request.path))
                session, user = found
                if roles and user.role not in roles:
                    who = "、".join(self.renderer.config.labels.of("role", r) for r in roles)
                    return response.json({"error": "forbidden"}, status=403) if api else \
                        self.page(request, "base.html", code=403, title="无权限",
                                  error=f"此页面或操作仅限{who}使用;如需使用,请联系管理员。")
                if csrf and not self.signer.check_csrf(session.nonce, request.form.get("csrf")):
                    return response.text("CSRF token missing or wrong", status=403)
                return await handler(request, user, *args, **kwargs)

            return wrapper

        return decorate
