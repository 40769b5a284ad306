"""Outbound callback calls: a `CallbackDialer` (bot.callbacks.dialer) that phones the customer.

Enable it in hotline.yml `callbacks.dialer: channels.voice.dialer:TwilioCallbackDialer`
(or `python -m bot.callbacks.worker --dialer channels.voice.dialer:TwilioCallbackDialer`).

`place(callback)` creates the call through the provider's REST API
(`Calls.create`) with this channel's `outbound` webhook as its TwiML URL, so the
customer hears the callback script (channels.voice.outbound), and a status
callback that turns busy / no answer / failure into an outcome. It returns at
once (None): the outcome is recorded later, by the channel in the Rasa server,
through `CallbackScheduler.record_outcome` (see channels.voice.outcomes).

Idempotent on `callback.attempt_key`: the key is claimed in Redis before the
call is created (released again if the provider refuses), so a worker that
dies after placing never makes the customer's phone ring twice.

Configuration (environment, except the caller ID and country code):

- `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN` — REST credentials;
- `TWILIO_FROM_NUMBER` — caller ID, default hotline.yml `telephony.callback.caller_id`
  (the company hotline, so the customer sees who calls back);
- `TWILIO_API_BASE_URL` — default `https://api.twilio.com`; tests point it at a fake provider;
- `PUBLIC_BASE_URL` — where the provider reaches this server's webhooks.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

from twilio.rest import Client

from bot.config import ConfigError, hotline_config, settings
from bot.redis_client import KEY_PREFIX, RedisClient, build_redis, text
from channels.voice.outbound import callback_query, status_callback_query
from channels.voice.store import CALL_KEY
from channels.voice.text import masked

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.twilio.com"
PLACED_TTL_S = 30 * 24 * 3600


def e164(phone: str, country_code: str = "86") -> str:
    """A stored phone number (digits, as tickets keep them) in E.164 for the provider."""
    phone = phone.strip()
    if phone.startswith("+"):
        return "+" + re.sub(r"\D", "", phone)
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith(country_code) and len(digits) > 11:
        return "+" + digits
    return f"+{country_code}{digits.lstrip('0')}"


@dataclass(frozen=True)
class CallbackCall:
    """A callback to place, as the dialer understands it."""

    callback_id: str
    phone: str
    ticket_id: str = ""
    conversation_id: str = ""
    attempt: int = 1

    @property
    def attempt_key(self) -> str:
        return f"{self.callback_id}:{self.attempt}"

    @classmethod
    def of(cls, callback: Any) -> CallbackCall:
        """From a `bot.callbacks.Callback`, or a mapping with the same field names."""

        def field(*names: str) -> Any:
            for name in names:
                if isinstance(callback, Mapping):
                    value = callback.get(name)
                else:
                    value = getattr(callback, name, None)
                if value:
                    return value
            return ""

        return cls(
            callback_id=str(field("id", "callback_id")),
            phone=str(field("phone")),
            ticket_id=str(field("ticket_number", "ticket_id")),
            conversation_id=str(field("conversation_id")),
            attempt=int(field("next_attempt", "attempt") or 1),
        )


@dataclass(frozen=True)
class PlacedCall:
    callback_id: str
    call_sid: str
    status: str


class TwilioCallbackDialer:
    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        webhook_base_url: str,
        api_base_url: str = DEFAULT_API_BASE_URL,
        redis_client: Optional[RedisClient] = None,
        prefix: str = KEY_PREFIX,
        machine_detection: bool = True,
        ring_timeout_s: int = 30,
        country_code: str = "86",
    ) -> None:
        if not (account_sid and auth_token and from_number):
            raise ConfigError(
                "callback dialer needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and a from number"
            )
        self.client = Client(account_sid, auth_token)
        self.client.api.base_url = api_base_url.rstrip("/")
        self.from_number = from_number
        self.webhook_base_url = webhook_base_url.rstrip("/")
        self.machine_detection = machine_detection
        self.ring_timeout_s = ring_timeout_s
        self.country_code = country_code
        self.redis = redis_client or build_redis()
        self.prefix = prefix

    @classmethod
    def from_context(cls, context: Any) -> TwilioCallbackDialer:
        """The factory bot.callbacks.dialer.load_dialer calls (with a DialerContext)."""
        return cls.from_env(redis_client=context.redis, prefix=context.prefix)

    @classmethod
    def from_env(
        cls,
        env: Optional[Mapping[str, str]] = None,
        redis_client: Optional[RedisClient] = None,
        prefix: str = KEY_PREFIX,
    ) -> TwilioCallbackDialer:
        env = os.environ if env is None else env
        deploy = settings(env)
        script = hotline_config().telephony.callback
        return cls(
            account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
            auth_token=deploy.twilio_auth_token,
            from_number=env.get("TWILIO_FROM_NUMBER") or script.caller_id,
            webhook_base_url=f"{deploy.public_base_url.rstrip('/')}/webhooks/phone",
            api_base_url=env.get("TWILIO_API_BASE_URL") or DEFAULT_API_BASE_URL,
            redis_client=redis_client or build_redis(deploy.redis_url),
            prefix=prefix,
            machine_detection=script.machine_detection,
            country_code=script.country_code,
        )

    def place(self, callback: Any) -> None:
        """CallbackDialer.place: start the call; the outcome is recorded later."""
        self.dial(callback)
        return None

    def dial(self, callback: Any) -> Optional[PlacedCall]:
        """Place the call once per attempt; None if this attempt was placed already.

        Raises on a provider error (the scheduler retries later)."""
        call = CallbackCall.of(callback)
        if not call.phone:
            raise ValueError(f"callback {call.callback_id!r} has no phone number")
        key = f"{self.prefix}:callback_call:{call.attempt_key}"
        if not self.redis.set(key, "placing", nx=True, ex=PLACED_TTL_S):
            logger.info("callback %s: attempt placed already (%s)", call.attempt_key,
                        text(self.redis.get(key)))
            return None
        try:
            created = self._create(call)
        except Exception:
            self.redis.delete(key)
            raise
        self.redis.set(key, str(created.sid), ex=PLACED_TTL_S)
        logger.info("callback %s: call %s to %s placed", call.attempt_key, created.sid,
                    masked(call.phone))
        return PlacedCall(call.callback_id, str(created.sid), str(created.status or "queued"))

    def _create(self, call: CallbackCall) -> Any:
        query = callback_query(call.callback_id, call.ticket_id, call.conversation_id,
                               attempt=call.attempt)
        status_query = status_callback_query(call.callback_id, call.ticket_id, call.attempt)
        options: dict[str, Any] = {}
        if self.machine_detection:
            options["machine_detection"] = "Enable"
        return self.client.calls.create(
            to=e164(call.phone, self.country_code),
            from_=self.from_number,
            url=f"{self.webhook_base_url}/outbound?{query}",
            method="POST",
            status_callback=f"{self.webhook_base_url}/status?{status_query}",
            status_callback_method="POST",
            status_callback_event=["initiated", "ringing", "answered", "completed"],
            timeout=self.ring_timeout_s,
            **options,
        )

    def outcome(self, call_sid: str) -> Optional[str]:
        """The outcome the channel recorded for a call, once known."""
        value = self.redis.hget(CALL_KEY.format(sid=call_sid), "callback_outcome")
        return text(value) or None
