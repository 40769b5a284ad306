"""The chat page and the widget, served by the Rasa server itself (no CDN).

- `GET {prefix}/`          a full-page chat (also a demo of the one-tag embedding)
- `GET {prefix}/widget.js` the widget; embed with one `<script>` tag
- `GET {prefix}/widget.css` its style sheet (loaded by widget.js)
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.webchat.config import WebchatConfig

STATIC_DIR = Path(__file__).resolve().parent / "static"

ASSETS = {
    "widget.js": "application/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
}
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; object-src 'none'"
)
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}


def render_page(config: WebchatConfig, prefix: str) -> str:
    """index.html with the configured title and hotline number filled in (HTML-escaped)."""
    template = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    values = {
        "{{title}}": config.title,
        "{{company_name}}": config.company_name,
        "{{hotline_number}}": config.hotline_number,
        "{{prefix}}": prefix,
    }
    for placeholder, value in values.items():
        template = template.replace(placeholder, html.escape(value, quote=True))
    return template


def _asset_handler(name: str) -> Callable[[Request], object]:
    async def serve(_: Request) -> HTTPResponse:
        body = (STATIC_DIR / name).read_bytes()
        return response.raw(body, content_type=ASSETS[name], headers=dict(COMMON_HEADERS))

    return serve


def add_static_routes(app: Sanic, config: WebchatConfig, prefix: str = "/webchat") -> None:
    """Register the page and assets on the app (outside the channel's /webhooks prefix)."""
    prefix = "/" + prefix.strip("/")

    async def page(_: Request) -> HTTPResponse:
        headers = {**COMMON_HEADERS, "Content-Security-Policy": PAGE_CSP}
        return response.html(render_page(config, prefix), headers=headers)

    app.add_route(page, f"{prefix}/", methods=["GET"], name="webchat_page")
    for index, name in enumerate(sorted(ASSETS)):
        app.add_route(
            _asset_handler(name), f"{prefix}/{name}", methods=["GET"], name=f"webchat_asset_{index}"
        )
