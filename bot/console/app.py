"""The console's Sanic app: login, hand-off queue (live), transcripts, tickets, script audit.

Its own process (`python -m bot.console`); reads Redis only, never imports Rasa.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timezone
from functools import wraps
from typing import Any
from urllib.parse import quote

import redis
import redis.asyncio as aioredis
import yaml
from sanic import Sanic, response
from sanic.request import Request

from bot.compliance import default_matcher
from bot.config import PROJECT_ROOT, hotline_config, settings
from bot.console.agent_routes import register_agent_routes
from bot.console.auth import Session, Signer
from bot.console.calls import call_record, hangup_rule
from bot.console.context import ConsoleContext
from bot.console.figure_routes import register_figure_routes
from bot.console.ratelimit import LoginLimiter, login_limit_from_config
from bot.console.takeover_routes import register_takeover_routes
from bot.console.templates import render
from bot.console.ticket_filters import DUE_FILTERS, SEVERITIES, deadline_fields, filter_tickets
from bot.console.transcript import conversation_ids, load_events, turns
from bot.console.users import User, UserStore
from bot.handoffs import EVENTS_STREAM, HandoffQueue
from bot.masking import mask_number, mask_sensitive
from bot.script_audit import audit_transcript
from bot.tickets.errors import TicketError
from bot.tickets.model import ALLOWED_TRANSITIONS, Ticket, TicketStatus

logger = logging.getLogger("hotline.console")
AUDIT_STREAM = "hotline:audit"
SESSION_COOKIE = "console_session"
CSRF_COOKIE = "console_csrf"
Handler = Callable[..., Any]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def create_app(
    redis_url: str | None = None, secret: str | None = None, session_ttl: int = 8 * 3600,
    name: str = "hotline_console",
) -> Sanic:
    conf = settings()
    redis_url = redis_url or conf.redis_url
    signer = Signer(secret or conf.console_secret, session_ttl)
    client: redis.Redis[bytes] = redis.Redis.from_url(redis_url)
    users = UserStore(client)
    handoffs = HandoffQueue(client)
    limiter = LoginLimiter(client, login_limit_from_config(hotline_config().section("console")))
    app = Sanic(name)
    app.config.MOTD = False
    app.config.RESPONSE_TIMEOUT = 3600
    state: dict[str, Any] = {}

    def tickets():  # type: ignore[no-untyped-def]
        if "tickets" not in state:
            from bot.tickets.factory import build_ticket_service

            state["tickets"] = build_ticket_service(redis_client=client, plan_callbacks=False)
        return state["tickets"]

    def domain() -> dict[str, Any]:
        if "domain" not in state:
            with open(PROJECT_ROOT / "domain.yml", encoding="utf-8") as handle:
                state["domain"] = yaml.safe_load(handle) or {}
        return state["domain"]

    # -- access ---------------------------------------------------------------------------
    def current(request: Request) -> tuple[Session, User] | None:
        session = signer.read(request.cookies.get(SESSION_COOKIE))
        if session is None:
            return None
        user = users.get(session.user)  # a deleted user's cookie stops working
        return (session, user) if user is not None else None

    def nonce_of(request: Request) -> str | None:
        found = current(request)
        return found[0].nonce if found else request.cookies.get(CSRF_COOKIE)

    def page(request: Request, template: str, code: int = 200, **context: Any):  # type: ignore[no-untyped-def]
        found = current(request)
        nonce = found[0].nonce if found else request.cookies.get(CSRF_COOKIE)
        fresh = nonce is None
        nonce = nonce or secrets.token_urlsafe(16)
        body = render(template, user=found[1] if found else None,
                      csrf=signer.csrf_token(nonce), **context)
        resp = response.html(body, status=code)
        if fresh:
            resp.cookies[CSRF_COOKIE] = nonce
            resp.cookies[CSRF_COOKIE]["httponly"] = True
            resp.cookies[CSRF_COOKIE]["samesite"] = "Lax"
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["X-Frame-Options"] = "DENY"
        return resp

    def guarded(roles: tuple[str, ...] = (), csrf: bool = False) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            @wraps(handler)
            async def wrapper(request: Request, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
                found = current(request)
                api = request.path.startswith("/api/")
                if found is None:
                    if api or request.method != "GET":
                        return response.json({"error": "login required"}, status=401)
                    return response.redirect("/login?next=" + quote(request.path))
                session, user = found
                if roles and user.role not in roles:
                    return response.json({"error": "forbidden"}, status=403) if api else \
                        page(request, "base", code=403, title="无权限", error="无权限")
                if csrf and not signer.check_csrf(session.nonce, request.form.get("csrf")):
                    return response.text("CSRF token missing or wrong", status=403)
                return await handler(request, user, *args, **kwargs)
            return wrapper
        return decorate

    def audit(user: User, action: str, conversation_id: str) -> None:
        entry = {"actor": user.name, "role": user.role, "action": action,
                 "conversation_id": conversation_id, "at": _now().isoformat()}
        client.xadd(AUDIT_STREAM, entry, maxlen=100000)
        logger.info("audit %s", json.dumps(entry, ensure_ascii=False))

    @app.get("/login")
    async def login_form(request: Request):  # type: ignore[no-untyped-def]
        return page(request, "login", title="登录", next=request.args.get("next", "/handoffs"))

    @app.post("/login")
    async def login(request: Request):  # type: ignore[no-untyped-def]
        form = request.form
        if not signer.check_csrf(request.cookies.get(CSRF_COOKIE), form.get("csrf")):
            return response.text("CSRF token missing or wrong", status=403)
        name, address = form.get("name", ""), request.remote_addr or request.ip or ""
        target = form.get("next") or "/handoffs"
        if not target.startswith("/") or target.startswith("//"):
            target = "/handoffs"
        wait = limiter.retry_after(name, address)  # before the password is even checked
        if wait:
            logger.warning("console login refused (rate limit) for %r from %s", name, address)
            return page(request, "login", code=429, title="登录", next=target,
                        error=f"登录失败次数过多,请 {(wait + 59) // 60} 分钟后再试")
        user = users.authenticate(name, form.get("password", ""))
        if user is None:
            limiter.failed(name, address)
            logger.warning("failed console login for %r", name)
            return page(request, "login", code=401, title="登录", next=target,
                        error="用户名或密码错误")
        limiter.succeeded(name, address)
        resp = response.redirect(target)
        resp.cookies[SESSION_COOKIE] = signer.issue(user.name, user.role)
        resp.cookies[SESSION_COOKIE]["httponly"] = True
        resp.cookies[SESSION_COOKIE]["samesite"] = "Lax"
        resp.cookies[SESSION_COOKIE]["max-age"] = signer.ttl
        return resp

    @app.post("/logout")
    @guarded(csrf=True)
    async def logout(request: Request, user: User):  # type: ignore[no-untyped-def]
        resp = response.redirect("/login")
        del resp.cookies[SESSION_COOKIE]
        return resp

    @app.get("/")
    @guarded()
    async def home(request: Request, user: User):  # type: ignore[no-untyped-def]
        return response.redirect("/handoffs")

    # -- hand-off queue -------------------------------------------------------------------
    def last_event_id() -> str:
        last = client.xrevrange(EVENTS_STREAM, count=1)
        return last[0][0].decode() if last else "0-0"

    @app.get("/handoffs")
    @guarded()
    async def handoff_page(request: Request, user: User):  # type: ignore[no-untyped-def]
        since = last_event_id()
        return page(request, "handoffs", title="转人工队列",
                    handoffs=[h.__dict__ for h in handoffs.waiting()], since=since)

    @app.get("/api/handoffs")
    @guarded()
    async def handoff_list(request: Request, user: User):  # type: ignore[no-untyped-def]
        return response.json({"handoffs": [h.__dict__ for h in handoffs.waiting()],
                              "since": last_event_id()})

    @app.get("/api/handoffs/stream")
    @guarded()
    async def handoff_stream(request: Request, user: User):  # type: ignore[no-untyped-def]
        since = request.headers.get("last-event-id") or request.args.get("since") or "$"
        resp = await request.respond(
            content_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
        stream = aioredis.Redis.from_url(redis_url)
        try:
            await resp.send(": connected\nretry: 2000\n\n")
            while True:
                found = await stream.xread({EVENTS_STREAM: since}, block=15000, count=100)
                if not found:
                    await resp.send(": keep-alive\n\n")
                    continue
                for _, entries in found:
                    for entry_id, fields in entries:
                        since = entry_id.decode()
                        kind = fields.get(b"type", b"handoff").decode()
                        data = fields.get(b"data", b"{}").decode()
                        await resp.send(f"id: {since}\nevent: {kind}\ndata: {data}\n\n")
        finally:
            await stream.close()

    # -- transcripts ----------------------------------------------------------------------
    def transcript(conversation_id: str, reveal: bool) -> dict[str, Any] | None:
        events = load_events(client, conversation_id)
        if events is None:
            return None
        handoff = handoffs.get(conversation_id)
        result = audit_transcript(conversation_id, events, domain=domain(),
                                  call=call_record(client, conversation_id), hangup=hangup_rule())
        findings = result.to_dict()
        if not reveal:
            for finding in findings["findings"]:
                finding["detail"] = mask_sensitive(finding["detail"])
        return {"conversation_id": conversation_id, "revealed": reveal,
                "handoff": handoff.__dict__ if handoff else None,
                "turns": turns(events, reveal=reveal), "audit": findings}

    async def show_transcript(request: Request, user: User, cid: str, reveal: bool):  # type: ignore[no-untyped-def]
        data = transcript(cid, reveal)
        if data is None:
            return page(request, "base", code=404, title="没有这个会话", error=cid)
        audit(user, "reveal" if reveal else "view", cid)
        return page(request, "transcript", title=f"会话 {cid}", cid=cid, turns=data["turns"],
                    revealed=reveal, audit=data["audit"])

    @app.get("/conversations/<cid>")
    @guarded()
    async def transcript_page(request: Request, user: User, cid: str):  # type: ignore[no-untyped-def]
        return await show_transcript(request, user, cid, reveal=False)

    @app.post("/conversations/<cid>/reveal")
    @guarded(roles=("supervisor", "admin"), csrf=True)
    async def transcript_reveal(request: Request, user: User, cid: str):  # type: ignore[no-untyped-def]
        return await show_transcript(request, user, cid, reveal=True)

    @app.get("/api/conversations/<cid>")
    @guarded()
    async def transcript_json(request: Request, user: User, cid: str):  # type: ignore[no-untyped-def]
        data = transcript(cid, reveal=False)
        if data is None:
            return response.json({"error": "not found"}, status=404)
        audit(user, "export", cid)
        return response.json(data, headers={
            "Content-Disposition": f'attachment; filename="conversation-{quote(cid)}.json"'},
            ensure_ascii=False)

    # -- tickets --------------------------------------------------------------------------
    def ticket_view(ticket: Ticket) -> dict[str, Any]:
        data = ticket.to_dict()
        now = _now()
        data["overdue"] = bool(ticket.is_unhandled and ticket.due_at and ticket.due_at < now)
        data["phone"] = mask_number(ticket.caller.phone) if ticket.caller.phone else ""
        data["description"] = mask_sensitive(ticket.description)
        data.pop("caller", None)
        policy = tickets().policy
        data.update(deadline_fields(ticket, policy.hours.tz, list(policy.sla.tiers)))
        return data

    @app.get("/tickets")
    @guarded()
    async def ticket_list(request: Request, user: User):  # type: ignore[no-untyped-def]
        status = request.args.get("status", "")
        phone = request.args.get("phone", "").strip()
        number = request.args.get("number", "").strip()
        severity = request.args.get("severity", "")
        due = request.args.get("due", "")
        error = ""
        found: list[Ticket] = []
        try:
            if number:
                ticket = tickets().get_ticket(number)
                found = [ticket] if ticket else []
            elif phone:
                found = tickets().find_by_phone(phone, limit=50)
            else:
                wanted = [TicketStatus(status)] if status else [
                    TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.ESCALATED,
                    TicketStatus.RESOLVED]
                for each in wanted:
                    found.extend(tickets().list_by_status(each, limit=100))
        except (TicketError, ValueError) as exc:
            error = str(exc)
        if status and (number or phone):
            found = [t for t in found if t.status.value == status]
        found = filter_tickets(found, severity=severity if severity in SEVERITIES else "",
                               due=due if due in DUE_FILTERS else "", now=_now(),
                               tz=tickets().policy.hours.tz)
        return page(request, "tickets", title="工单", tickets=[ticket_view(t) for t in found],
                    statuses=[s.value for s in TicketStatus], status=status, phone=phone,
                    number=number, error=error, severities=SEVERITIES, severity=severity,
                    due_filters=DUE_FILTERS, due=due)

    def ticket_page(request: Request, number: str, error: str = "", status: int = 200):  # type: ignore[no-untyped-def]
        ticket = tickets().get_ticket(number)
        if ticket is None:
            return page(request, "base", code=404, title="没有这个工单", error=number)
        transitions = [s.value for s in ALLOWED_TRANSITIONS[ticket.status]
                       if s is not TicketStatus.CLOSED]
        return page(request, "ticket", code=status, title=f"工单 {ticket.number}",
                    t=ticket_view(ticket), transitions=transitions, error=error)

    @app.get("/tickets/<number>")
    @guarded()
    async def ticket_detail(request: Request, user: User, number: str):  # type: ignore[no-untyped-def]
        return ticket_page(request, number)

    @app.post("/tickets/<number>/status")
    @guarded(csrf=True)
    async def ticket_status(request: Request, user: User, number: str):  # type: ignore[no-untyped-def]
        try:
            tickets().change_status(number, request.form.get("to", ""), user.name,
                                    request.form.get("note", ""))
        except (TicketError, ValueError) as exc:
            return ticket_page(request, number, error=str(exc), status=400)
        return response.redirect(f"/tickets/{quote(number)}")

    @app.post("/tickets/<number>/close")
    @guarded(csrf=True)
    async def ticket_close(request: Request, user: User, number: str):  # type: ignore[no-untyped-def]
        try:
            tickets().close(number, user.name, int(request.form.get("satisfaction", "0")),
                            request.form.get("note", ""))
        except (TicketError, ValueError) as exc:
            return ticket_page(request, number, error=str(exc), status=400)
        return response.redirect(f"/tickets/{quote(number)}")

    # -- script audit ---------------------------------------------------------------------
    def audit_failures() -> tuple[int, list[dict[str, Any]]]:
        ids = conversation_ids(client)
        failed = []
        for cid in ids:
            events = load_events(client, cid)
            if events is None:
                continue
            result = audit_transcript(cid, events, matcher=default_matcher(), domain=domain(),
                                      call=call_record(client, cid), hangup=hangup_rule())
            if not result.passed:
                data = result.to_dict()
                for finding in data["findings"]:
                    finding["detail"] = mask_sensitive(finding["detail"])
                failed.append(data)
        return len(ids), failed

    @app.get("/audit")
    @guarded(roles=("supervisor", "admin"))
    async def audit_page(request: Request, user: User):  # type: ignore[no-untyped-def]
        checked, failed = audit_failures()
        return page(request, "audit", title="话术审核", checked=checked, failed=failed)

    @app.get("/api/audit")
    @guarded(roles=("supervisor", "admin"))
    async def audit_json(request: Request, user: User):  # type: ignore[no-untyped-def]
        checked, failed = audit_failures()
        return response.json({"checked": checked, "failed": failed}, ensure_ascii=False)

    @app.get("/healthz")
    async def health(request: Request):  # type: ignore[no-untyped-def]
        return response.json({"ok": True, "at": time.time()})

    register_takeover_routes(app, client, guarded, page, audit)  # web-chat take-over
    extras = ConsoleContext(client, guarded, page, audit, tickets, transcript, ticket_page,
                            handoffs)
    register_agent_routes(app, extras)  # hand-off claim, print, ticket edits, callbacks
    register_figure_routes(app, extras)  # figures and charts
    return app
