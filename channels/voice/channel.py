"""The telephony input channel, registered in credentials.yml by its module path.

```yaml
channels.voice.channel.HotlineVoiceInput:
  auth_token: ${TWILIO_AUTH_TOKEN}   # unquoted: Rasa expands ${VAR} only in plain scalars
```

Routes under `/webhooks/phone/` (point the phone number's voice webhook at
`voice` and its status callback at `status`; the others are named in the TwiML
this channel returns):

| route                  | provider request                                   |
|------------------------|----------------------------------------------------|
| `POST voice`           | incoming call, and every Gather result             |
| `POST status`          | call status changes (completed → `/hangup`)        |
| `POST hangup`          | after a closing pause: we hang up                  |
| `POST handoff`         | the transfer to a person ended                     |
| `POST whisper`         | an agent answered a `<Dial><Number>` transfer      |
| `POST outbound`        | a callback call was answered                       |
| `POST outbound/reply`  | the customer's reply to the callback question      |
| `POST outbound/handoff`| the callback's transfer to a person ended          |
| `GET  /`               | health                                             |
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.lines import DomainLines, agent_responses
from channels.voice.config import VoiceConfig
from channels.voice.dialogue import CHANNEL_NAME, RasaDialogue
from channels.voice.outbound import CallbackCalls
from channels.voice.store import CallStore
from channels.voice.twiml import Urls, render_empty
from channels.voice.webhook import VoiceWebhook, WebhookRequest, WebhookResponse, refusal

logger = logging.getLogger(__name__)


class HotlineVoiceInput(InputChannel):
    """Twilio voice webhooks in front of the hotline dialogue."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> InputChannel:
        return cls(VoiceConfig.load(credentials or {}), credentials or {})

    def __init__(self, cfg: VoiceConfig, credentials: Optional[dict[str, Any]] = None) -> None:
        creds = credentials or {}
        base = str(creds.get("webhook_base_url") or "").rstrip("/")
        self.cfg = cfg
        self.urls = Urls(base or f"{cfg.public_base_url.rstrip('/')}/webhooks/{self.name()}")
        self.store = CallStore(cfg.redis_url, cfg.record_ttl_days, cfg.dedupe_ttl_s)
        self.agent: Any = None  # the running Rasa agent, seen on every request
        lines = DomainLines(CHANNEL_NAME, cfg.company_values,
                            responses_of=lambda: agent_responses(self.agent))
        self.hooks = VoiceWebhook(cfg, self.store, self.urls, lines)
        self.callbacks = CallbackCalls(self.hooks)  # also handles callback calls' status

    def _request(self, request: Request, path: str) -> WebhookRequest:
        try:
            form = {k: list(v) for k, v in (request.form or {}).items()}
        except Exception:  # noqa: BLE001 - a malformed body is just an empty form
            form = {}
        query = {k: v[0] for k, v in (request.args or {}).items() if v}
        qs = request.query_string
        public = f"{self.urls.base}/{path}" + (f"?{qs}" if qs else "")
        return WebhookRequest(
            path=path,
            query=query,
            form=form,
            urls=(public, request.url),
            signature=request.headers.get("X-Twilio-Signature", ""),
            body_size=len(request.body or b""),
        )

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        voice = Blueprint("hotline_voice_webhook", __name__)
        hooks, callbacks = self.hooks, self.callbacks

        def dialogue(request: Request) -> RasaDialogue:
            return RasaDialogue(on_new_message, getattr(request.app.ctx, "agent", None))

        async def answer(request: Request, path: str, run: Callable[..., Awaitable[Any]],
                         *args: Any) -> HTTPResponse:
            self.agent = getattr(request.app.ctx, "agent", None)
            try:
                if len(request.body or b"") > self.cfg.max_body_bytes:
                    result: WebhookResponse = refusal(413, "request too large")
                else:
                    result = await run(self._request(request, path), *args)
            except Exception:  # noqa: BLE001 - never a 500 to the provider
                logger.exception("voice: /%s failed", path)
                result = WebhookResponse(200, render_empty())
            return response.text(result.body, status=result.status,
                                 content_type=result.content_type)

        @voice.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @voice.route("/voice", methods=["POST"])
        async def incoming(request: Request) -> HTTPResponse:
            return await answer(request, "voice", hooks.voice, dialogue(request))

        @voice.route("/status", methods=["POST"])
        async def status(request: Request) -> HTTPResponse:
            return await answer(request, "status", hooks.status, dialogue(request))

        @voice.route("/hangup", methods=["POST"])
        async def hangup(request: Request) -> HTTPResponse:
            return await answer(request, "hangup", hooks.hangup)

        @voice.route("/handoff", methods=["POST"])
        async def handoff(request: Request) -> HTTPResponse:
            return await answer(request, "handoff", hooks.handoff_return, dialogue(request))

        @voice.route("/whisper", methods=["POST"])
        async def whisper(request: Request) -> HTTPResponse:
            return await answer(request, "whisper", hooks.whisper)

        @voice.route("/outbound", methods=["POST"])
        async def outbound(request: Request) -> HTTPResponse:
            return await answer(request, "outbound", callbacks.answered)

        @voice.route("/outbound/reply", methods=["POST"])
        async def outbound_reply(request: Request) -> HTTPResponse:
            return await answer(request, "outbound/reply", callbacks.reply, dialogue(request))

        @voice.route("/outbound/handoff", methods=["POST"])
        async def outbound_handoff(request: Request) -> HTTPResponse:
            return await answer(request, "outbound/handoff", callbacks.handoff_return)

        return voice
