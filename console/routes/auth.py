"""Login (rate-limited), logout, the start page and the health check.

| Route | What |
|---|---|
| `GET/POST /login` | the login form; sets the signed session cookie |
| `POST /logout` | ends the session |
| `GET /` | to the hand-off queue |
| `GET /healthz` | liveness (no login) |
"""

from __future__ import annotations

import logging
import time

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from console.access import CSRF_COOKIE, SESSION_COOKIE
from console.context import ConsoleContext
from console.users import User

logger = logging.getLogger("hotline.console")
HOME = "/handoffs"


def _target(raw: str | None) -> str:
    """Where to go after login: a path on this site only."""
    target = raw or HOME
    return target if target.startswith("/") and not target.startswith("//") else HOME


def register(app: Sanic, ctx: ConsoleContext) -> None:
    access, limiter = ctx.access, ctx.limiter

    @app.get("/login")
    async def login_form(request: Request) -> HTTPResponse:
        return access.page(request, "login.html", title="登录",
                           next=request.args.get("next", HOME))

    @app.post("/login")
    async def login(request: Request) -> HTTPResponse:
        form = request.form
        if not access.signer.check_csrf(request.cookies.get(CSRF_COOKIE), form.get("csrf")):
            return response.text("CSRF token missing or wrong", status=403)
        name, address = form.get("name", ""), request.remote_addr or request.ip or ""
        target = _target(form.get("next"))
        wait = limiter.retry_after(name, address)  # before the password is even checked
        if wait:
            logger.warning("console login refused (rate limit) for %r from %s", name, address)
            return access.page(request, "login.html", code=429, title="登录", next=target,
                               error=f"登录失败次数过多,请 {(wait + 59) // 60} 分钟后再试")
        user = access.users.authenticate(name, form.get("password", ""))
        if user is None:
            limiter.failed(name, address)
            logger.warning("failed console login for %r", name)
            return access.page(request, "login.html", code=401, title="登录", next=target,
                               error="用户名或密码错误")
        limiter.succeeded(name, address)
        resp = response.redirect(target)
        resp.cookies[SESSION_COOKIE] = access.signer.issue(user.name, user.role)
        resp.cookies[SESSION_COOKIE]["httponly"] = True
        resp.cookies[SESSION_COOKIE]["samesite"] = "Lax"
        resp.cookies[SESSION_COOKIE]["max-age"] = access.signer.ttl
        return resp

    @app.post("/logout")
    @access.guarded(csrf=True)
    async def logout(request: Request, user: User) -> HTTPResponse:
        resp = response.redirect("/login")
        del resp.cookies[SESSION_COOKIE]
        return resp

    @app.get("/")
    @access.guarded()
    async def home(request: Request, user: User) -> HTTPResponse:
        return response.redirect(HOME)

    @app.get("/healthz")
    async def health(request: Request) -> HTTPResponse:
        return response.json({"ok": True, "at": time.time()})
