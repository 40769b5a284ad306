"""Find a ticket or a conversation in one search (console.search).

| Route | What |
|---|---|
| `GET /search` | tickets and conversations, paginated (`tp`, `cp`) |

Arguments: `q` (last 4 digits or whole number, ticket number, conversation id), `from`/`to`
(company days), `channel`, `status`, `category`.
"""

from __future__ import annotations

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.tickets.model import Channel, TicketStatus
from console.context import ConsoleContext
from console.pager import paginate
from console.search import CONVERSATION_RESULTS, Results, Search, parse_query
from console.users import User

CHANNELS = tuple(c.value for c in Channel)


def register(app: Sanic, ctx: ConsoleContext) -> None:
    access, labels, config = ctx.access, ctx.config.labels, ctx.config
    search = Search(ctx.client, config.tz)

    @app.get("/search")
    @access.guarded()
    async def search_page(request: Request, user: User) -> HTTPResponse:
        query = parse_query({k: request.args.get(k, "") for k in
                             ("q", "from", "to", "channel", "status", "category")},
                            channels=CHANNELS, statuses=[s.value for s in TicketStatus],
                            categories=labels.table("category"))
        results = search.run(query) if not query.empty else Results([], [])
        args = query.args()
        tickets = paginate(results.tickets, request.args.get("tp"), config.page_size, "tp")
        conversations = paginate(results.conversations, request.args.get("cp"),
                                 config.page_size, "cp")
        return access.page(
            request, "search.html", title="查找", query=query, args=args,
            tickets=tickets, conversations=conversations, channels=CHANNELS,
            statuses=[s.value for s in TicketStatus], results=CONVERSATION_RESULTS,
            categories=labels.table("category"))
