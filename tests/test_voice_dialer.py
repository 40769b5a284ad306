"""Outbound callbacks: the dialer against a fake provider API, and the callback script.

The fake provider is a real HTTP server speaking the provider's REST shape
(`POST /2010-04-01/Accounts/{sid}/Calls.json`, basic auth); the dialer uses the
real provider client pointed at it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qs, parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
import redis

from bot.callbacks.dialer import CallbackDialer
from bot.callbacks.model import Callback, CallbackStatus
from bot.callbacks.policy import callback_policy_from_config
from bot.callbacks.queue import RedisCallbackQueue
from bot.callbacks.scheduler import CallbackScheduler
from bot.clock import ManualClock
from bot.config import hotline_config
from channels.lines import DomainLines
from channels.voice.config import VoiceConfig
from channels.voice.dialer import TwilioCallbackDialer, e164
from channels.voice.outbound import CallbackCalls
from channels.voice.outcomes import SchedulerOutcomes
from channels.voice.store import OUTCOMES_STREAM
from tests.support.processes import RedisServer
from tests.test_voice_webhook import ENV, TOKEN, URLS, Call, ScriptedDialogue, hooks_for

ACCOUNT = "AC" + "a" * 32
SHANGHAI = ZoneInfo("Asia/Shanghai")


class FakeProvider:
    """Records call-creation requests and answers like the provider's REST API."""

    def __init__(self, token: str = TOKEN) -> None:
        self.calls: list[dict[str, Any]] = []
        self.token = token
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v if len(v) > 1 else v[0]
                        for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                auth = base64.b64decode(
                    self.headers.get("Authorization", "Basic ").split()[-1]).decode()
                if not self.path.endswith(f"/Accounts/{ACCOUNT}/Calls.json") or \
                        auth != f"{ACCOUNT}:{provider.token}":
                    self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
                    return
                sid = f"CA{len(provider.calls):032d}"
                provider.calls.append({"path": self.path, "form": form, "sid": sid})
                self._reply(201, {"sid": sid, "status": "queued", "to": form.get("To"),
                                  "from": form.get("From"), "account_sid": ACCOUNT})

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> FakeProvider:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def provider() -> Iterator[FakeProvider]:
    with FakeProvider() as fake:
        yield fake


@pytest.fixture()
def redis_url(redis_client: redis.Redis[bytes], redis_server: RedisServer) -> str:
    return f"redis://127.0.0.1:{redis_server.port}/1"


@pytest.fixture(scope="module")
def cfg() -> VoiceConfig:
    return VoiceConfig.load({}, env=ENV)


def dialer_for(provider: FakeProvider, redis_url: str) -> TwilioCallbackDialer:
    return TwilioCallbackDialer(ACCOUNT, TOKEN, "+864008001234", URLS.base,
                                api_base_url=provider.url,
                                redis_client=redis.Redis.from_url(redis_url))


def a_callback(callback_id: str = "T-1-first", phone: str = "13912345678") -> Callback:
    now = datetime(2024, 5, 6, 10, 0, tzinfo=SHANGHAI)
    return Callback(id=callback_id, ticket_number="T-1", phone=phone, kind="complaint",
                    reason="first response", due_at=now, created_at=now,
                    status=CallbackStatus.CLAIMED, attempts=0, max_attempts=3)


def test_numbers_are_dialled_in_e164() -> None:
    assert e164("13912345678") == "+8613912345678"
    assert e164("021-6123 4567") == "+862161234567"
    assert e164("+86 139 1234 5678") == "+8613912345678"
    assert e164("008613912345678") == "+8613912345678"


def test_dialer_places_the_call_through_the_provider_api(
    provider: FakeProvider, redis_url: str
) -> None:
    dialer = dialer_for(provider, redis_url)
    assert isinstance(dialer, CallbackDialer)
    assert dialer.place(a_callback()) is None  # the outcome comes later
    assert len(provider.calls) == 1
    form = provider.calls[0]["form"]
    assert (form["To"], form["From"]) == ("+8613912345678", "+864008001234")
    assert form["MachineDetection"] == "Enable"
    url = urlsplit(form["Url"])
    assert url.path == "/webhooks/phone/outbound"
    assert dict(parse_qsl(url.query)) == {"cb": "T-1-first", "tk": "T-1", "at": "1"}
    status = urlsplit(form["StatusCallback"])
    assert status.path == "/webhooks/phone/status"
    assert dict(parse_qsl(status.query)) == {"kind": "callback", "cb": "T-1-first",
                                             "tk": "T-1", "at": "1"}
    assert set(form["StatusCallbackEvent"]) >= {"answered", "completed"}


def test_dialer_is_idempotent_on_the_attempt_key(provider: FakeProvider, redis_url: str) -> None:
    dialer = dialer_for(provider, redis_url)
    first = dialer.dial(a_callback())
    assert first is not None
    assert dialer.dial(a_callback()) is None  # a worker retrying the same attempt
    assert len(provider.calls) == 1
    retry = replace(a_callback(), attempts=1)  # the next attempt is a new call
    assert dialer.dial(retry) is not None and len(provider.calls) == 2


def test_dialer_reports_provider_errors_and_can_retry(
    provider: FakeProvider, redis_url: str
) -> None:
    wrong = TwilioCallbackDialer(ACCOUNT, "wrong-token", "+864008001234", URLS.base,
                                 api_base_url=provider.url,
                                 redis_client=redis.Redis.from_url(redis_url))
    with pytest.raises(Exception, match="401|Authenticate"):
        wrong.place(a_callback("T-2-first"))
    dialer_for(provider, redis_url).place(a_callback("T-2-first"))  # the key was released
    assert len(provider.calls) == 1
    with pytest.raises(ValueError):
        dialer_for(provider, redis_url).place(a_callback("T-3-first", phone=""))


class CallbackDialogue(ScriptedDialogue):
    def __init__(self, intent: Optional[str]) -> None:
        super().__init__()
        self.intent = intent

    async def intent_of(self, text: str) -> Optional[str]:
        return self.intent


class Outcomes:
    def __init__(self) -> None:
        self.recorded: list[tuple[str, str, Optional[int]]] = []

    async def __call__(self, callback_id: str, outcome: str, attempt: Optional[int]) -> None:
        self.recorded.append((callback_id, outcome, attempt))


def callback_call(
    cfg: VoiceConfig, redis_url: str, provider: FakeProvider, callback_id: str = "T-9-first",
    outcomes: Optional[Any] = None,
) -> tuple[Call, CallbackCalls, str, Any]:
    placed = dialer_for(provider, redis_url).dial(a_callback(callback_id))
    assert placed is not None
    hooks = hooks_for(cfg, redis_url)
    sink = outcomes or Outcomes()
    return Call(hooks, sid=placed.call_sid), CallbackCalls(hooks, sink), \
        provider.calls[-1]["form"]["Url"], sink


def outbound(call: Call, url: str, **extra: str) -> Any:
    params = {"Direction": "outbound-api", "From": "+864008001234", "To": "+8613912345678",
              **extra}
    return call.request(url, params)


def action_of(body: str) -> str:
    gather = ET.fromstring(body).find("Gather")
    assert gather is not None, body
    return gather.get("action", "")


def test_callback_reached_goes_to_a_person_with_the_ticket(
    cfg: VoiceConfig, redis_url: str, provider: FakeProvider
) -> None:
    async def scenario() -> None:
        call, calls, url, outcomes = callback_call(cfg, redis_url, provider)
        answered = await calls.answered(outbound(call, url, AnsweredBy="human"))
        gather = ET.fromstring(answered.body).find("Gather")
        assert gather is not None
        line = "".join(gather.find("Say").itertext())  # type: ignore[union-attr]
        assert line.startswith("您好,我是优品商城的客服代表小优,您现在方便通话吗?")
        reply = await calls.reply(outbound(call, action_of(answered.body),
                                           SpeechResult="方便,你说吧", Confidence="0.9"),
                                  CallbackDialogue("affirm"))
        root = ET.fromstring(reply.body)
        assert [v.tag for v in root] == ["Say", "Enqueue"]
        action = root[1].get("action", "")
        assert urlsplit(action).path.endswith("/outbound/handoff")
        assert outcomes.recorded == []  # the agent records how it went
        bridged = await calls.handoff_return(outbound(call, action, QueueResult="bridged"))
        assert [v.tag for v in ET.fromstring(bridged.body)] == ["Hangup"]
        await call.hooks.status(outbound(call, f"{URLS.base}/status?kind=callback&cb=T-9-first",
                                         CallStatus="completed"), ScriptedDialogue())
        assert outcomes.recorded == []
        await call.hooks.store.close()

    asyncio.run(scenario())


def test_callback_reached_but_no_agent(cfg: VoiceConfig, redis_url: str,
                                       provider: FakeProvider) -> None:
    async def scenario() -> None:
        call, calls, url, outcomes = callback_call(cfg, redis_url, provider)
        answered = await calls.answered(outbound(call, url))
        reply = await calls.reply(outbound(call, action_of(answered.body), Digits="1"),
                                  CallbackDialogue(None))
        action = ET.fromstring(reply.body)[1].get("action", "")
        busy = await calls.handoff_return(outbound(call, action, QueueResult="error"))
        root = ET.fromstring(busy.body)
        assert [v.tag for v in root] == ["Say", "Pause", "Redirect"]
        assert "".join(root[0].itertext()) == DomainLines("phone").text(
            "utter_callback_agents_busy")
        assert outcomes.recorded == [("T-9-first", "reached_unresolved", 1)]
        await call.hooks.store.close()

    asyncio.run(scenario())


@pytest.mark.parametrize(("reply", "intent", "outcome"), [
    ({"Digits": "2"}, None, "refused"),
    ({"SpeechResult": "现在不方便", "Confidence": "0.9"}, "deny", "refused"),
    ({"SpeechResult": "你打错了吧", "Confidence": "0.9"}, "out_of_scope", "wrong_number"),
])
def test_callback_declined_ends_politely(
    cfg: VoiceConfig, redis_url: str, provider: FakeProvider, reply: dict[str, str],
    intent: Optional[str], outcome: str,
) -> None:
    async def scenario() -> None:
        call, calls, url, outcomes = callback_call(cfg, redis_url, provider)
        answered = await calls.answered(outbound(call, url))
        answer = await calls.reply(outbound(call, action_of(answered.body), **reply),
                                   CallbackDialogue(intent))
        root = ET.fromstring(answer.body)
        assert [v.tag for v in root] == ["Say", "Pause", "Redirect"]
        assert root[1].get("length") == str(cfg.goodbye_wait_s)
        assert outcomes.recorded == [("T-9-first", outcome, 1)]
        assert dialer_for(provider, redis_url).outcome(call.sid) == outcome
        entries = redis.Redis.from_url(redis_url, decode_responses=True).xrange(OUTCOMES_STREAM)
        assert entries[-1][1]["callback_id"] == "T-9-first" and entries[-1][1]["ticket_id"] == "T-1"
        await call.hooks.store.close()

    asyncio.run(scenario())


def test_callback_silence_machine_and_busy(
    cfg: VoiceConfig, redis_url: str, provider: FakeProvider
) -> None:
    async def scenario() -> None:
        call, calls, url, outcomes = callback_call(cfg, redis_url, provider, "T-9-a")
        answered = await calls.answered(outbound(call, url))
        again = await calls.reply(outbound(call, action_of(answered.body)), CallbackDialogue(None))
        done = await calls.reply(outbound(call, action_of(again.body)), CallbackDialogue(None))
        assert [v.tag for v in ET.fromstring(done.body)][-1] == "Redirect"
        assert outcomes.recorded == [("T-9-a", "no_answer", 1)]

        machine, machine_calls, url2, outcomes2 = callback_call(cfg, redis_url, provider, "T-9-b")
        beep = await machine_calls.answered(outbound(machine, url2, AnsweredBy="machine_start"))
        assert [v.tag for v in ET.fromstring(beep.body)] == ["Hangup"]
        assert outcomes2.recorded == [("T-9-b", "no_answer", 1)]

        busy, _, _, outcomes3 = callback_call(cfg, redis_url, provider, "T-9-c")
        status_url = provider.calls[-1]["form"]["StatusCallback"]
        await busy.hooks.status(outbound(busy, status_url, CallStatus="busy"), ScriptedDialogue())
        assert outcomes3.recorded == [("T-9-c", "no_answer", 1)]
        for hooks in (call.hooks, machine.hooks, busy.hooks):
            await hooks.store.close()

    asyncio.run(scenario())


def test_outcomes_reach_the_callback_scheduler(
    cfg: VoiceConfig, redis_url: str, provider: FakeProvider
) -> None:
    """The real scheduler places through this dialer and learns the outcome from the call."""
    client = redis.Redis.from_url(redis_url)
    policy = callback_policy_from_config(hotline_config())
    clock = ManualClock(datetime(2024, 5, 6, 10, 0, tzinfo=SHANGHAI))
    dialer = dialer_for(provider, redis_url)
    scheduler = CallbackScheduler(RedisCallbackQueue(client, policy.quiet.tz), policy=policy,
                                  clock=clock, dialer=dialer)
    planned = scheduler.schedule("T-77", "13912345678", clock.now(), kind="complaint",
                                 key="first")
    placements = scheduler.run_due("worker-1")
    assert [p.placed for p in placements] == [True] and len(provider.calls) == 1
    assert scheduler.get(planned.id).status is CallbackStatus.PLACED

    async def scenario() -> None:
        hooks = hooks_for(cfg, redis_url)
        calls = CallbackCalls(hooks, SchedulerOutcomes(lambda: scheduler))
        call = Call(hooks, sid=provider.calls[0]["sid"])
        answered = await calls.answered(outbound(call, provider.calls[0]["form"]["Url"]))
        await calls.reply(outbound(call, action_of(answered.body), Digits="2"),
                          CallbackDialogue(None))
        await hooks.store.close()

    asyncio.run(scenario())
    done = scheduler.get(planned.id)
    assert done is not None
    assert (done.status, done.last_outcome, done.last_outcome_actor) == (
        CallbackStatus.DONE, "refused", "phone")
