"""The webhook protocol, independent of the web framework.

Every request: size limit (413), provider signature (403), CallSid (400).
Requests that run a dialogue turn are answered once: a provider's retry of the
same request (same URL with its turn number, same parameters) gets the stored
TwiML again. Any failure inside a turn becomes a spoken apology and another
chance to speak, and after `max_technical_errors` in a row a transfer to a
person: the caller never hears a server error.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from channels.lines import DomainLines, Lines
from channels.voice.config import VoiceConfig
from channels.voice.dialogue import CHANNEL_NAME, Dialogue
from channels.voice.handoff import CALLER_GONE, CONNECTED, render_handoff, result_of
from channels.voice.inbound import HANGUP, classify
from channels.voice.messages import Control, Spoken, VoicePlan, plan_messages
from channels.voice.security import SignatureCheck
from channels.voice.state import MENU, CallState
from channels.voice.store import CallStore
from channels.voice.text import masked
from channels.voice.twiml import (
    Urls,
    render_empty,
    render_end,
    render_hangup,
    render_listen,
    render_text,
)

logger = logging.getLogger(__name__)

TERMINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


@dataclass(frozen=True)
class WebhookRequest:
    """One provider request: `path` is the part after the channel's base URL."""

    path: str
    query: Mapping[str, str]
    form: Mapping[str, Sequence[str]]
    urls: Sequence[str]
    signature: str = ""
    body_size: int = 0

    @property
    def params(self) -> dict[str, str]:
        return {k: str(v[0]) if v else "" for k, v in self.form.items()}

    def digest(self) -> str:
        parts = [self.path, *sorted(f"{k}={v}" for k, v in self.query.items())]
        parts += sorted(f"{k}={'|'.join(v)}" for k, v in self.form.items())
        return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    body: str
    content_type: str = "text/xml; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)


def twiml(body: str) -> WebhookResponse:
    return WebhookResponse(200, body)


def refusal(status: int, reason: str) -> WebhookResponse:
    return WebhookResponse(status, reason, content_type="text/plain; charset=utf-8")


def has_input(params: Mapping[str, str]) -> bool:
    return bool((params.get("SpeechResult") or "").strip() or (params.get("Digits") or "").strip())


TECHNICAL_ERROR = "utter_technical_error"
RECORDING_NOTICE = "utter_recording_notice"


class VoiceWebhook:
    def __init__(
        self, cfg: VoiceConfig, store: CallStore, urls: Urls, lines: Optional[Lines] = None
    ) -> None:
        self.cfg = cfg
        self.store = store
        self.urls = urls
        # What the channel says itself: domain.yml responses (channels/lines.py).
        self.lines = lines or DomainLines(CHANNEL_NAME, cfg.company_values)
        self.signatures = SignatureCheck(cfg.auth_token, cfg.validate_signatures)
        # Set by the channel: what the end of an outbound callback call means.
        self.callback_status: Optional[Callable[[WebhookRequest], Awaitable[object]]] = None

    # --- guards --------------------------------------------------------------

    def guard(self, req: WebhookRequest, need_call: bool = True) -> Optional[WebhookResponse]:
        if req.body_size > self.cfg.max_body_bytes:
            return refusal(413, "request too large")
        if not self.signatures.valid(req.urls, req.form, req.signature):
            logger.warning("voice: invalid signature on /%s", req.path)
            return refusal(403, "invalid signature")
        if need_call and not req.params.get("CallSid", "").strip():
            return refusal(400, "missing CallSid")
        return None

    async def once(
        self, req: WebhookRequest, produce: Callable[[], Awaitable[str]]
    ) -> WebhookResponse:
        """Answer a turn-running request exactly once per delivery of it."""
        sid = req.params["CallSid"]
        digest = req.digest()
        claim = await self.store.claim(sid, digest)
        if claim.state == "done":
            logger.info("voice %s: duplicate delivery of /%s answered again", sid, req.path)
            return twiml(claim.twiml)
        if claim.state == "pending":
            stored = await self.store.wait_for(sid, digest, self.cfg.dedupe_wait_s)
            if stored is not None:
                return twiml(stored)
            # The first delivery is still running: apologise and listen again.
            return twiml(await self.technical_error(sid, CallState.from_query(req.query)))
        body = await produce()
        if claim.state == "new":
            await self.store.answer(sid, digest, body)
        return twiml(body)

    # --- inbound call turns ---------------------------------------------------

    def metadata(self, params: Mapping[str, str]) -> dict[str, Any]:
        direction = params.get("Direction") or "inbound"
        party = params.get("To") if direction.startswith("outbound") else params.get("From")
        return {
            "channel": "phone",
            "caller_phone": party or "",
            "call_sid": params.get("CallSid", ""),
            "direction": direction,
        }

    async def voice(self, req: WebhookRequest, dialogue: Dialogue) -> WebhookResponse:
        refused = self.guard(req)
        if refused is not None:
            return refused
        return await self.once(req, lambda: self._voice_turn(req, dialogue))

    async def _voice_turn(self, req: WebhookRequest, dialogue: Dialogue) -> str:
        params = req.params
        sid = params["CallSid"]
        state = CallState.from_query(req.query)
        started = time.monotonic()
        kind = "start"
        try:
            new_call = await self.store.start_call(sid, params)
            meta = self.metadata(params)
            if state.is_first_request or (new_call and not has_input(params)):
                messages = await dialogue.start(sid, meta)
                body = await self.render(sid, messages, state, dialogue, opening=True)
            else:
                inbound = classify(params, state, self.cfg)
                kind = inbound.kind
                messages = await dialogue.send(sid, inbound.text, {**meta, **inbound.metadata})
                body = await self.render(sid, messages, inbound.state, dialogue)
            await self.store.note_turn(sid, kind)
        except Exception:  # noqa: BLE001 - the caller must never get a server error
            logger.exception("voice %s: turn failed", sid)
            return await self.technical_error(sid, state)
        logger.info(
            "voice %s caller=%s turn=%d input=%s %.0f ms", sid, masked(params.get("From")),
            state.turn, kind, (time.monotonic() - started) * 1000,
        )
        return body

    async def render(
        self,
        sid: str,
        messages: Sequence[Mapping[str, Any]],
        state: CallState,
        dialogue: Dialogue,
        opening: bool = False,
    ) -> str:
        """TwiML for the dialogue's answer; `state` is the call state after the input."""
        notice = self.lines.text(RECORDING_NOTICE) if opening else ""
        plan = plan_messages(messages, self.cfg, opening_turn=opening, notice=notice)
        if not plan.spoken and plan.control is None:
            # Dead air is the worst answer on a phone (e.g. the action server is down
            # and the turn produced nothing): apologise and ask again, as on failures.
            logger.warning("voice %s: the dialogue said nothing", sid)
            return await self.technical_error(sid, state)
        ready = replace(state, errors=0)
        if plan.control is not None:
            return await self.render_control(sid, plan, ready)
        mode = await self.next_mode(sid, plan, dialogue)
        return render_listen(plan.spoken, ready.next_turn(mode), self.cfg, self.urls)

    async def render_control(self, sid: str, plan: VoicePlan, state: CallState) -> str:
        control = plan.control
        assert control is not None
        if control.event == "handoff":
            await self.store.update(
                sid, handoff_reason=control.reason, handoff_ticket=control.ticket_id,
                handoff_priority=int(control.priority), handoff_at=f"{time.time():.3f}",
                handoff_mode=self.cfg.handoff.mode,
            )
            action = self.urls.handoff(state.next_turn())
            return render_handoff(plan.spoken, control, sid, action, self.cfg, self.urls,
                                  state.loud)
        await self.store.update(sid, end_reason=control.reason or "end")
        return render_end(plan.spoken, control, state, self.cfg, self.urls)

    async def next_mode(self, sid: str, plan: VoicePlan, dialogue: Dialogue) -> str:
        """Are the next keys a menu choice or the digits of a number?"""
        entries = self.cfg.digit_entry
        if entries.slots:
            try:
                slot = await dialogue.requested_slot(sid)
            except Exception:  # noqa: BLE001 - a tracker read must not fail the turn
                logger.warning("voice %s: requested_slot unavailable", sid, exc_info=True)
                slot = None
            if slot and slot in entries.slots:
                return f"slot:{slot}"
        if plan.last_response and plan.last_response in entries.responses:
            return f"response:{plan.last_response}"
        if plan.last_text and any(word in plan.last_text for word in entries.keywords):
            return "keyword"
        return MENU

    async def technical_error(self, sid: str, state: CallState) -> str:
        errors = state.errors + 1
        failing = replace(state, errors=errors)
        apology = self.lines.text(TECHNICAL_ERROR)
        spoken = [Spoken(apology)] if apology else []
        if errors > self.cfg.max_technical_errors:
            control = Control("handoff", "technical_error", {"priority": True})
            plan = VoicePlan(tuple(spoken), control)
            return await self.render_control(sid, plan, failing)
        return render_listen(spoken, failing.next_turn(state.mode), self.cfg, self.urls)

    # --- the end of a transfer to a person --------------------------------

    async def handoff_return(self, req: WebhookRequest, dialogue: Dialogue) -> WebhookResponse:
        refused = self.guard(req)
        if refused is not None:
            return refused
        return await self.once(req, lambda: self._handoff_turn(req, dialogue))

    async def _handoff_turn(self, req: WebhookRequest, dialogue: Dialogue) -> str:
        params = req.params
        sid = params["CallSid"]
        state = CallState.from_query(req.query)
        result = result_of(params)
        await self.store.update(sid, handoff_result=result or "unknown")
        if result in CALLER_GONE or params.get("CallStatus") in TERMINAL_STATUSES:
            return render_hangup()
        handoff = self.cfg.handoff
        payload = handoff.finished_payload if result in CONNECTED else handoff.failed_payload
        try:
            meta = {**self.metadata(params), "handoff_result": result}
            messages = await dialogue.send(sid, payload, meta)
            return await self.render(sid, messages, state, dialogue)
        except Exception:  # noqa: BLE001
            logger.exception("voice %s: hand-off return failed", sid)
            return await self.technical_error(sid, state)

    async def whisper(self, req: WebhookRequest) -> WebhookResponse:
        """Said to the agent who answers a `<Dial><Number>` transfer."""
        refused = self.guard(req, need_call=False)
        if refused is not None:
            return refused
        fields = {k: v for k, v in req.query.items() if k.isidentifier()}
        template = self.cfg.handoff.whisper
        text = template.format_map(_Blank(fields)) if template else ""
        return twiml(render_text([text], self.cfg))

    # --- hang-ups and call status ---------------------------------------------

    async def hangup(self, req: WebhookRequest) -> WebhookResponse:
        """Reached after the closing pause only if the caller is still on the line."""
        refused = self.guard(req)
        if refused is not None:
            return refused
        await self.store.mark_bot_hangup(req.params["CallSid"], req.query.get("reason", "end"))
        return twiml(render_hangup())

    async def status(self, req: WebhookRequest, dialogue: Dialogue) -> WebhookResponse:
        """Call status callback: at the end of a call, record it and close the conversation
        once (`/hangup`), unless the dialogue had ended it already."""
        refused = self.guard(req)
        if refused is not None:
            return refused
        params = req.params
        sid = params["CallSid"]
        status = (params.get("CallStatus") or "").lower()
        if status not in TERMINAL_STATUSES:
            await self.store.update(sid, status=status)
            return twiml(render_empty())
        hung_up_by = await self.store.finish_call(sid, status, params.get("CallDuration", ""))
        if hung_up_by is None:
            return twiml(render_empty())
        logger.info("voice %s: call %s after %ss, hung up by %s", sid, status,
                    params.get("CallDuration", "?"), hung_up_by)
        if req.query.get("kind") == "callback":
            if self.callback_status is not None:
                await self.callback_status(req)
            return twiml(render_empty())
        if (await self.store.call(sid)).get("end_reason"):
            # The dialogue closed the conversation itself (an end control was spoken):
            # nothing is left open, and a /hangup would overwrite why it ended.
            return twiml(render_empty())
        meta = {**self.metadata(params), "call_status": status, "hung_up_by": hung_up_by,
                "duration_s": params.get("CallDuration", "")}
        try:
            await dialogue.send(sid, HANGUP, meta)
        except Exception:  # noqa: BLE001 - the line is gone; log and answer the provider
            logger.exception("voice %s: /hangup turn failed", sid)
        return twiml(render_empty())


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""
