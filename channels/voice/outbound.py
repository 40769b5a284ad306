"""The outbound callback call: the script that asks whether now is convenient, reply
handling, outcome.

When the customer answers, they hear the callback opening (domain.yml
`utter_callback_opening`: `您好,我是…,您现在方便通话吗?`) and reply by voice or keypad:

- yes (NLU `affirm`, key 1), or anything else said: transfer to a person with
  the ticket; that person records the outcome (reached_resolved or
  reached_unresolved) in the agent tools. If no one takes the transfer, or the
  customer hangs up waiting: `reached_unresolved`;
- no (NLU `deny`, key 2): `refused`, `utter_callback_not_convenient`, goodbye;
- a `wrong_number_phrases` phrase: `wrong_number`, `utter_callback_wrong_number`, goodbye;
- silence after `reprompts` repeats of the question: `no_answer`, `utter_callback_no_reply`,
  hang-up;
- an answering machine (AnsweredBy=machine_*): `no_answer`, hang-up;
- status busy / no-answer / canceled: `no_answer`; failed (no such number): `wrong_number`;
- answered, then hung up without a reply: `refused`.

Outcomes go to the callback scheduler (channels.voice.outcomes), the call
record and the `hotline:callbacks:outcomes` stream; the first one recorded for
a call stands.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Optional
from urllib.parse import urlencode

from bot.config.telephony import CallbackScript
from channels.voice.dialogue import Dialogue
from channels.voice.handoff import CALLER_GONE, CONNECTED, render_handoff, result_of
from channels.voice.messages import Control, Spoken
from channels.voice.outcomes import OutcomeSink, SchedulerOutcomes
from channels.voice.state import CallState
from channels.voice.text import compact, sanitize_digits, sanitize_speech
from channels.voice.twiml import render_end, render_hangup, render_prompt
from channels.voice.webhook import (
    TERMINAL_STATUSES,
    VoiceWebhook,
    WebhookRequest,
    WebhookResponse,
    twiml,
)

logger = logging.getLogger(__name__)

REACHED = "reached_unresolved"
REFUSED = "refused"
NO_ANSWER = "no_answer"
WRONG_NUMBER = "wrong_number"
# What the callback call says: domain.yml responses (channels/lines.py).
OPENING = "utter_callback_opening"
CONNECTING = "utter_callback_connecting"
NOT_CONVENIENT = "utter_callback_not_convenient"
WRONG_NUMBER_LINE = "utter_callback_wrong_number"
NO_REPLY = "utter_callback_no_reply"
AGENTS_BUSY = "utter_callback_agents_busy"
STATUS_OUTCOMES = {"busy": NO_ANSWER, "no-answer": NO_ANSWER, "canceled": NO_ANSWER,
                   "failed": WRONG_NUMBER}


def callback_query(callback_id: str, ticket_id: str = "", conversation_id: str = "",
                   turn: int = 0, attempt: int = 0) -> str:
    """Query of the callback webhooks: callback id, ticket, conversation, attempt, turn."""
    params = {"cb": callback_id, "tk": ticket_id, "cv": conversation_id,
              "at": str(attempt) if attempt else "", "t": str(turn) if turn else ""}
    return urlencode({k: v for k, v in params.items() if v})


def status_callback_query(callback_id: str, ticket_id: str = "", attempt: int = 0) -> str:
    params = {"kind": "callback", "cb": callback_id, "tk": ticket_id,
              "at": str(attempt) if attempt else ""}
    return urlencode({k: v for k, v in params.items() if v})


def attempt_of(query: Mapping[str, str]) -> Optional[int]:
    try:
        return int(query.get("at", "")) or None
    except ValueError:
        return None


def classify_reply(
    params: Mapping[str, str], intent: Optional[str], script: CallbackScript
) -> str:
    """affirm | deny | wrong_number | silence | other."""
    digits = sanitize_digits(params.get("Digits")).rstrip("#")
    if digits:
        if digits in script.affirm_digits:
            return "affirm"
        if digits in script.deny_digits:
            return "deny"
        return "other"
    speech, _ = sanitize_speech(params.get("SpeechResult"), 200)
    if not speech:
        return "silence"
    text = compact(speech)
    if any(compact(phrase) in text for phrase in script.wrong_number_phrases):
        return "wrong_number"
    if intent in script.deny_intents:
        return "deny"
    if intent in script.affirm_intents:
        return "affirm"
    return "other"


class CallbackCalls:
    """Webhook handlers of outbound callback calls."""

    def __init__(self, hooks: VoiceWebhook, outcomes: Optional[OutcomeSink] = None) -> None:
        self.hooks = hooks
        self.cfg = hooks.cfg
        self.script = hooks.cfg.callback
        self.outcomes: OutcomeSink = outcomes or SchedulerOutcomes()
        hooks.callback_status = self.status

    def _url(self, path: str, query: Mapping[str, str], turn: int = 0) -> str:
        q = callback_query(query.get("cb", ""), query.get("tk", ""), query.get("cv", ""),
                           turn, attempt_of(query) or 0)
        return f"{self.hooks.urls.base}/{path}?{q}"

    def _line(self, response: str) -> list[Spoken]:
        text = self.hooks.lines.text(response, **self.cfg.company_values)
        return [Spoken(text)] if text else []

    def _ask(self, query: Mapping[str, str], turn: int, lines: list[Spoken]) -> str:
        action = self._url("outbound/reply", query, turn)
        return render_prompt(lines, action, self.cfg, menu_digits=1)

    async def _outcome(self, req: WebhookRequest, outcome: str) -> None:
        sid = req.params["CallSid"]
        recorded = await self.hooks.store.record_callback_outcome(
            sid, req.query.get("cb", ""), outcome, req.query.get("tk", "")
        )
        if recorded:
            logger.info("voice callback %s (%s): %s", req.query.get("cb", "?"), sid, outcome)
            await self.outcomes(req.query.get("cb", ""), outcome, attempt_of(req.query))

    def _goodbye(self, line: str, reason: str) -> str:
        control = Control("end", reason)
        return render_end(self._line(line), control, CallState(), self.cfg, self.hooks.urls)

    async def answered(self, req: WebhookRequest) -> WebhookResponse:
        refused = self.hooks.guard(req)
        if refused is not None:
            return refused
        params = req.params
        sid = params["CallSid"]
        await self.hooks.store.start_call(
            sid, params, callback_id=req.query.get("cb", ""), ticket_id=req.query.get("tk", "")
        )
        await self.hooks.store.update(sid, answered=1)
        answered_by = (params.get("AnsweredBy") or "").lower()
        if answered_by.startswith("machine") or answered_by == "fax":
            await self._outcome(req, NO_ANSWER)
            return twiml(render_hangup())
        return twiml(self._ask(req.query, 1, self._line(OPENING)))

    async def reply(self, req: WebhookRequest, dialogue: Dialogue) -> WebhookResponse:
        refused = self.hooks.guard(req)
        if refused is not None:
            return refused
        return await self.hooks.once(req, lambda: self._reply(req, dialogue))

    async def _reply(self, req: WebhookRequest, dialogue: Dialogue) -> str:
        params = req.params
        intent: Optional[str] = None
        speech, _ = sanitize_speech(params.get("SpeechResult"), 200)
        if speech and not params.get("Digits"):
            try:
                intent = await dialogue.intent_of(speech)
            except Exception:  # noqa: BLE001 - without NLU the reply counts as "other"
                logger.warning("voice callback: NLU unavailable", exc_info=True)
        reply = classify_reply(params, intent, self.script)
        turn = CallState.from_query(req.query).turn or 1
        if reply == "silence":
            if turn <= self.script.reprompts:
                return self._ask(req.query, turn + 1, self._line(OPENING))
            await self._outcome(req, NO_ANSWER)
            control = Control("end", "no_reply", {"hangup_after_s": self.cfg.hangup_after_s})
            return render_end(self._line(NO_REPLY), control, CallState(), self.cfg,
                              self.hooks.urls)
        if reply == "deny":
            await self._outcome(req, REFUSED)
            return self._goodbye(NOT_CONVENIENT, "goodbye")
        if reply == "wrong_number":
            await self._outcome(req, WRONG_NUMBER)
            return self._goodbye(WRONG_NUMBER_LINE, "goodbye")
        # Reached: a person takes over and records the outcome, unless no one can (below).
        await self.hooks.store.update(req.params["CallSid"], callback_transfer=1)
        return self._transfer(req)

    def _transfer(self, req: WebhookRequest) -> str:
        conversation = req.query.get("cv") or req.params["CallSid"]
        control = Control("handoff", "callback", {"ticket_id": req.query.get("tk", "")})
        # The transfer's end brings the customer back to this script, not to the dialogue.
        action = self._url("outbound/handoff", req.query)
        return render_handoff(self._line(CONNECTING), control, conversation,
                              action, self.cfg, self.hooks.urls)

    async def handoff_return(self, req: WebhookRequest) -> WebhookResponse:
        refused = self.hooks.guard(req)
        if refused is not None:
            return refused
        result = result_of(req.params)
        await self.hooks.store.update(req.params["CallSid"], handoff_result=result or "unknown")
        if result in CONNECTED:  # the agent talked to the customer and records the outcome
            return twiml(render_hangup())
        await self._outcome(req, REACHED)
        if result in CALLER_GONE or req.params.get("CallStatus") in TERMINAL_STATUSES:
            return twiml(render_hangup())
        return twiml(self._goodbye(AGENTS_BUSY, "goodbye"))

    async def status(self, req: WebhookRequest) -> Optional[str]:
        """The outcome a callback call's final status implies, if none was recorded."""
        call = await self.hooks.store.call(req.params["CallSid"])
        if call.get("callback_outcome") or call.get("handoff_result") in CONNECTED:
            return None
        status = (req.params.get("CallStatus") or "").lower()
        outcome = STATUS_OUTCOMES.get(status)
        if outcome is None and status == "completed":
            if call.get("callback_transfer"):
                outcome = REACHED  # said yes, then hung up before an agent answered
            else:
                outcome = REFUSED if call.get("answered") else NO_ANSWER
        if outcome:
            await self._outcome(req, outcome)
        return outcome
