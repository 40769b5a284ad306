"""The REST channel with input checks: bad requests get a clear 4xx, never a 500.

Same URL and answer format as Rasa's `rest` channel (/webhooks/rest/webhook).
"""

from __future__ import annotations

import json
import logging
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.masking import mask_sensitive
from channels import service_down, speedups
from channels.payloads import allowed, as_caller_text, button_payloads, event_payloads
from channels.scripted import scripted_reply
from channels.sessions import reopen_if_closed
from channels.validation import InputRejected, clean_metadata, clean_sender, clean_text

logger = logging.getLogger(__name__)

service_down.install()  # action server down: holding line, hand-off, outbox
speedups.install()  # cheaper Rasa hot paths (profiled)

# Metadata a REST client may not set: the channel decides these itself.
RESERVED_METADATA = ("channel", "caller_phone")


def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputRejected(400, "body must be a JSON object") from exc
    if not isinstance(body, dict):
        raise InputRejected(400, "body must be a JSON object")
    return body


class HotlineRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        hook = Blueprint("hotline_rest", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = _json_body(request)
                sender = clean_sender(body.get("sender"))
                text = self._turn_text(request, body)
                metadata = clean_metadata(body.get("metadata"))
            except InputRejected as rejected:
                return response.json({"error": rejected.reason}, status=rejected.status)
            metadata = {k: v for k, v in metadata.items() if k not in RESERVED_METADATA}
            metadata["channel"] = "rest"
            collector = CollectingOutputChannel()
            try:
                await reopen_if_closed(getattr(request.app.ctx, "agent", None), sender)
                await on_new_message(UserMessage(
                    text, collector, sender, input_channel=self.name(), metadata=metadata
                ))
            except (CancelledError, Exception):  # noqa: BLE001 - never a 500 to a caller
                logger.exception("rest turn failed for %s: %s", sender, mask_sensitive(text))
                reply = await scripted_reply(
                    request.app, "utter_service_unavailable", sender, self.name()
                )
                extra = [{"recipient_id": sender, **reply}] if reply else []
                messages = collector.messages + extra
                return response.json(messages)
            return response.json(collector.messages)

        return hook

    @staticmethod
    def _turn_text(request: Request, body: dict[str, Any]) -> str:
        """The caller's `message` as text, or an allowed `payload` (channels/payloads.py)."""
        payload = body.get("payload")
        if payload is None:
            return as_caller_text(clean_text(body.get("message")))
        if not isinstance(payload, str) or not allowed(payload, _allowed_payloads(request)):
            raise InputRejected(422, "payload is not one the assistant offers")
        return payload.strip()


# Events a chat or telephony front end on REST reports itself (a hand-off's return
# comes from the agent console through the HTTP API, never from a caller's client).
REST_EVENTS = ("silence", "low_volume", "noisy_line", "dialect", "too_quiet_bot",
               "idle_timeout", "hangup")


_cached: tuple[int, frozenset[str]] = (0, frozenset())


def _allowed_payloads(request: Request) -> frozenset[str]:
    """The domain's buttons and the REST events, worked out once per loaded model."""
    global _cached
    agent = getattr(request.app.ctx, "agent", None)
    domain = getattr(agent, "domain", None)
    if domain is None:
        return event_payloads(REST_EVENTS)
    if _cached[0] != id(domain):
        _cached = (id(domain), button_payloads(domain.responses) | event_payloads(REST_EVENTS))
    return _cached[1]
