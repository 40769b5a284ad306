"""The console's routes, one module per area; each has `register(app, ctx)`."""

from __future__ import annotations

from sanic import Sanic

from console.context import ConsoleContext
from console.routes import (
    audit,
    auth,
    callbacks,
    conversations,
    figures,
    handoffs,
    search,
    takeover,
    tickets,
    users,
)

AREAS = (auth, handoffs, conversations, search, tickets, callbacks, audit, figures, users,
         takeover)


def register_all(app: Sanic, ctx: ConsoleContext) -> None:
    for area in AREAS:
        area.register(app, ctx)
