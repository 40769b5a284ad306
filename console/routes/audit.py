"""The script audit over all stored conversations (supervisors, admins).

| Route | What |
|---|---|
| `GET /audit`, `/api/audit` | conversations that failed the script audit (page: paginated) |
"""

from __future__ import annotations

from collections import Counter

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from console.access import SUPERVISORS
from console.context import ConsoleContext
from console.conversations import audit_failures
from console.findings import labelled
from console.pager import paginate
from console.users import User


def register(app: Sanic, ctx: ConsoleContext) -> None:
    access, services, labels = ctx.access, ctx.services, ctx.config.labels

    def report() -> tuple[int, list[dict]]:
        checked, failed = audit_failures(services)
        failed = [labelled(r, labels) for r in failed]
        failed.sort(key=lambda r: r.get("last_at") or 0, reverse=True)
        return checked, failed

    @app.get("/audit")
    @access.guarded(roles=SUPERVISORS)
    async def audit_page(request: Request, user: User) -> HTTPResponse:
        checked, failed = report()
        kinds = Counter(f["kind"] for r in failed for f in r["findings"])
        return access.page(request, "audit.html", title="话术审核", checked=checked,
                           failed=failed, by_kind=sorted(kinds.items()),
                           pager=paginate(failed, request.args.get("page"),
                                          ctx.config.page_size))

    @app.get("/api/audit")
    @access.guarded(roles=SUPERVISORS)
    async def audit_json(request: Request, user: User) -> HTTPResponse:
        checked, failed = report()
        return response.json({"checked": checked, "failed": failed}, ensure_ascii=False)
