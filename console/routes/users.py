"""Console users: the list for supervisors and admins; admins add, replace and remove.

| Route | What |
|---|---|
| `GET /users` | users and their roles (supervisor, admin) |
| `POST /users` | add or replace a user: `name`, `role`, `password` (admin) |
| `POST /users/<name>/delete` | remove a user; their session stops at once (admin) |
"""

from __future__ import annotations

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from console.access import SUPERVISORS
from console.context import ConsoleContext
from console.users import ROLES, User

MAX_NAME = 64


def register(app: Sanic, ctx: ConsoleContext) -> None:
    access, services = ctx.access, ctx.services
    users = access.users

    def users_page(request: Request, error: str = "", code: int = 200,
                   notice: str = "") -> HTTPResponse:
        return access.page(request, "users.html", code=code, title="用户管理", error=error,
                           users=users.all(), roles=ROLES, notice=notice)

    @app.get("/users")
    @access.guarded(roles=SUPERVISORS)
    async def user_list(request: Request, user: User) -> HTTPResponse:
        return users_page(request)

    @app.post("/users")
    @access.guarded(roles=("admin",), csrf=True)
    async def user_add(request: Request, user: User) -> HTTPResponse:
        form = request.form
        name = (form.get("name") or "").strip()
        if not name or len(name) > MAX_NAME or any(c.isspace() or c in "*?[]:" for c in name):
            return users_page(request, "用户名不能为空,不超过 64 个字符,不含空格和 *?[]:", 400)
        try:
            added = users.add(name, form.get("password") or "", form.get("role") or "")
        except ValueError:
            return users_page(request, "请选择角色,并设置至少 8 位的密码", 400)
        services.audit(user, "user_saved", f"user:{added.name}")
        return response.redirect("/users")

    @app.post("/users/<name>/delete")
    @access.guarded(roles=("admin",), csrf=True)
    async def user_delete(request: Request, user: User, name: str) -> HTTPResponse:
        if name == user.name:
            return users_page(request, "不能删除自己的账号", 400)
        if not users.delete(name[:MAX_NAME + 1]):
            return users_page(request, "没有这个用户", 404)
        services.audit(user, "user_deleted", f"user:{name}")
        return response.redirect("/users")
