"""The script audit over all stored conversations (supervisors, admins).

| Route | What |
|---|---|
| `GET /audit`, `/api/audit` | conversations that failed the script audit |
"""

from __future__ import annotations

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from console.access import SUPERVISORS
from console.context import ConsoleContext
from console.conversations import audit_failures
from console.users import User


def register(app: Sanic, ctx: ConsoleContext) -> None:
    access, services = ctx.access, ctx.services

    @app.get("/audit")
    @access.guarded(roles=SUPERVISORS)
    async def audit_page(request: Request, user: User) -> HTTPResponse:
        checked, failed = audit_failures(services)
        return access.page(request, "audit.html", title="话术审核", checked=checked,
                           failed=failed)

    @app.get("/api/audit")
    @access.guarded(roles=SUPERVISORS)
    async def audit_json(request: Request, user: User) -> HTTPResponse:
        checked, failed = audit_failures(services)
        return response.json({"checked": checked, "failed": failed}, ensure_ascii=False)
