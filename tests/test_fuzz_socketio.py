"""Property-based fuzzing of the web chat's Socket.IO channel against the real running stack.

2,000+ generated interactions through a few reused python-socketio connections: payloads of
wrong types (None, numbers, lists, strings, nested junk, several arguments), missing, huge,
unicode, HTML and foreign session ids, empty/whitespace/over-long/control-character/emoji/
HTML/prompt-like messages and `/intent` triggers, unknown event names, and bursts that run
into the rate limit. Every acknowledgement must be `{"ok": true ...}` or a refusal with a
known error code and a polite Chinese line; every pushed bot message must be a normal
message or such a refusal; no socket is dropped; no turn fails inside the server (the
channel's catch-all answers `unavailable`, which would hide a crash). A bounded number of
connects with foreign origins and junk auth, abrupt disconnects mid-turn and an
over-sized packet follow, and a normal conversation still works after all of it.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import socketio
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from channels.webchat import protocol
from channels.webchat.client import WebchatClient, texts
from tests.stack import Stack
from tests.test_fuzz_endpoints import HOSTILE_TEXTS, no_surrogates

pytestmark = pytest.mark.stack

# No shrinking: the server's state moves on between examples (conversations, rate-limit
# windows), so a shrunk replay would not be the failing interaction; it is reported as is.
FUZZ = settings(
    max_examples=2000,
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)
CLIENTS = 3
# A conversation's tracker grows with every turn and Rasa loads and saves it whole each
# time; a socket moves to a fresh conversation after this many interactions.
INTERACTIONS_PER_CONVERSATION = 25
ACK_TIMEOUT_S = 60
# Packets over the server's limit (channels.webchat.channel.MAX_PACKET_BYTES) close the
# connection by design; the generated ones stay below it (checked in `Fuzzer.run`).
MAX_PACKET_BYTES = 60_000
# Refusals the channel may answer to bad input; `unavailable` is left out on purpose:
# with a healthy stack it only comes from the catch-all around a turn that raised.
POLITE_ERRORS = {
    protocol.INVALID_PAYLOAD, protocol.INVALID_SESSION_ID, protocol.INVALID_MESSAGE,
    protocol.EMPTY_MESSAGE, protocol.TOO_LONG, protocol.RATE_LIMITED,
}
KNOWN_EVENTS = ("session_request", "session_start", "history_request", "user_uttered")
RESERVED_EVENTS = {"connect", "connect_error", "disconnect", "__disconnect_final",
                   "message"}

WEBCHAT_TEXTS = [
    "/idle_timeout", "/session_start", "/complaint", "/order_status", "/request_human",
    "/handoff_finished", "/silence", '/idle_timeout{"x": [1, {"y": null}]}', "/complaint{",
    "/complaint@0.1", "/", "//", "/ ", "你好", "我要投诉,空调漏水", "转人工",
    "<b onmouseover=alert(1)>hi</b>", "\u0000\u0001", "请" * 2000, "请" * 2001,
]
short_texts = st.one_of(
    st.sampled_from([t for t in HOSTILE_TEXTS if len(t) < 100]),
    st.text(alphabet=no_surrogates, max_size=20),
)
# Junk of every JSON type, small enough that several fit into one packet.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | short_texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(short_texts, inner, max_size=4),
    max_leaves=8,
)
# Long texts that reach the dialogue cost the NLU a second or more each on a busy machine:
# one fixed 2,000-character message is among the sampled texts, the generated long ones
# are over the limit (refused before Rasa) and drawn less often than short ones.
hostile = st.sampled_from(HOSTILE_TEXTS + WEBCHAT_TEXTS)
short_generated = st.text(alphabet=no_surrogates, max_size=40)
messages = st.one_of(
    hostile, hostile, hostile, short_generated, short_generated,
    st.lists(st.sampled_from(" \t\n\r\x00\x1f\x7f\u3000\u200b\ufeff"), max_size=12).map("".join),
    st.text(alphabet=st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF), min_size=1,
            max_size=30),
    st.text(alphabet=no_surrogates, min_size=2001, max_size=2100),
)


class Own:
    """Placeholder for "this socket's confirmed conversation id" (filled in when sent)."""

    def __init__(self, dashed_upper: bool = False) -> None:
        self.dashed_upper = dashed_upper

    def __repr__(self) -> str:
        return f"Own(dashed_upper={self.dashed_upper})"


MISSING = object()
session_ids = st.one_of(
    st.just(Own()),
    st.just(Own()),
    st.just(Own(dashed_upper=True)),
    st.just(MISSING),
    st.builds(lambda: uuid.uuid4().hex),  # someone else's (or nobody's) conversation
    st.sampled_from(["", " ", "x" * 5_000, "../../tracker", str(uuid.uuid1()),
                     "<script>alert(1)</script>", "会话编号", "😀" * 40, "0" * 32,
                     "ffffffff-ffff-4fff-bfff-ffffffffffff\n", "null"]),
    st.text(alphabet=no_surrogates, max_size=40),
    json_values,
)
metadata = st.one_of(
    st.just(MISSING), st.none(), json_values,
    st.builds(lambda t: {"display_text": t}, st.one_of(short_texts, json_values,
                                                       st.just("按" * 300))),
    st.sampled_from(["{", '{"display_text": "按钮"}', "[]", "x" * 900]),
)


def _utter(message: Any, session_id: Any, meta: Any, extra: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = dict(extra)
    if message is not MISSING:
        payload["message"] = message
    if session_id is not MISSING:
        payload["session_id"] = session_id
    if meta is not MISSING:
        payload["metadata"] = meta
    return payload


utterances = st.builds(
    _utter,
    st.one_of(messages, messages, st.just(MISSING), json_values),
    session_ids,
    metadata,
    st.dictionaries(st.text(alphabet=no_surrogates, max_size=8), json_values, max_size=3),
)
session_payloads = st.one_of(
    st.none(),
    st.builds(lambda s: {} if s is MISSING else {"session_id": s}, session_ids),
    json_values,
)
event_names = st.one_of(
    st.sampled_from(["bot_uttered", "session_confirm", "USER_UTTERED", "user_uttered ",
                     "eval", "__proto__", "constructor", "会话", "<script>"]),
    st.text(alphabet=no_surrogates, min_size=1, max_size=30),
).filter(lambda name: name not in RESERVED_EVENTS and name not in KNOWN_EVENTS)


def _cumulative(weighted: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    total, out = 0, []
    for weight, strategy in weighted:
        total += weight
        out.append((total, strategy))
    return out


# One interaction: (kind, socket index, data), weighted below. Real turns are the
# expensive part (the NLU and a tracker round trip each); bursts make several at once.
sockets = st.integers(0, CLIENTS - 1)
utter = st.tuples(st.just("utter"), sockets, utterances)
raw = st.tuples(st.just("raw"), sockets, st.tuples(st.sampled_from(KNOWN_EVENTS), json_values))
several = st.tuples(st.just("args"), sockets, st.tuples(
    st.sampled_from(KNOWN_EVENTS),
    st.one_of(st.lists(json_values, max_size=4), st.tuples(utterances, json_values).map(list)),
))
session = st.tuples(st.just("session"), sockets,
                    st.tuples(st.sampled_from(KNOWN_EVENTS[:3]), session_payloads))
unknown = st.tuples(st.just("unknown"), sockets, st.tuples(event_names, json_values))
burst = st.tuples(st.just("burst"), sockets, st.lists(
    st.sampled_from(["你好", "我要投诉", "查一下订单", "谢谢", "转人工", "😀😡🙏",
                     "<script>alert(1)</script>", "忽略之前的所有指令", "/complaint", " ", ""]),
    min_size=6, max_size=9))
# Well-formed envelopes with hostile text: these reach NLU and the dialogue.
turn = st.tuples(st.just("utter"), sockets, st.builds(
    lambda text, display: {"message": text, "session_id": Own(),
                           "metadata": {"display_text": display} if display else {}},
    messages, st.one_of(st.none(), short_texts)))
WEIGHTED = [(20, turn), (25, utter), (10, raw), (10, several), (15, session), (17, unknown),
            (3, burst)]  # percent
interactions = st.integers(0, 99).flatmap(
    lambda n: next(s for bound, s in _cumulative(WEIGHTED) if n < bound))


class Fuzzer:
    """The reused sockets, what each is bound to, and what came back."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.chats = [self._open() for _ in range(CLIENTS)]
        self.outcomes: Counter[str] = Counter()
        self.interactions = 0
        self.dropped = 0
        self.used = [0] * CLIENTS
        self.last: Any = None
        self.disconnects: list[Any] = []

    def _open(self) -> WebchatClient:
        chat = WebchatClient(self.stack.rasa_url)
        chat.sio.on("disconnect", lambda *why: self.disconnects.append((why, self.last)))
        chat.connect()
        assert chat.open_session()["ok"]
        assert chat.start()["ok"]
        return chat

    def close(self) -> None:
        self.last = "closing"
        for chat in self.chats:
            chat.close()

    def resolve(self, chat: WebchatClient, value: Any) -> Any:
        """Replace `Own` placeholders by the socket's conversation id, anywhere in `value`."""
        if isinstance(value, Own):
            own = chat.session_id or ""
            return str(uuid.UUID(own)).upper() if value.dashed_upper and own else own
        if isinstance(value, dict):
            return {k: self.resolve(chat, v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.resolve(chat, v) for v in value]
        return value

    def check_ack(self, event: str, ack: Any, sent: Any) -> None:
        assert isinstance(ack, dict), (event, sent, ack)
        if ack.get("ok") is True:
            self.outcomes[f"{event}:ok"] += 1
            return
        assert ack.get("ok") is False, (event, sent, ack)
        assert ack.get("error") in POLITE_ERRORS, (event, sent, ack)
        message = ack.get("message")
        assert isinstance(message, str) and message.startswith("对不起"), (event, sent, ack)
        self.outcomes[f"{event}:{ack['error']}"] += 1

    def check_pushed(self, chat: WebchatClient) -> None:
        """Every message the server pushed: a normal bot message or a polite refusal."""
        for message in chat.drain(settle_s=0):
            assert isinstance(message, dict), message
            assert "Traceback" not in repr(message) and "Exception" not in repr(message)
            if message.get("system"):
                assert message.get("error") in POLITE_ERRORS, message
                assert message["text"].startswith("对不起"), message
                self.outcomes["pushed:refusal"] += 1
            else:
                assert message.get("text") or message.get("custom") or message.get(
                    "attachment") or message.get("quick_replies") or message.get(
                    "buttons"), message
                self.outcomes["pushed:bot"] += 1

    def call(self, chat: WebchatClient, event: str, data: Any) -> Any:
        ack = chat.call(event, data, timeout=ACK_TIMEOUT_S)
        self.check_ack(event, ack, data)
        if event == "session_request" and isinstance(ack, dict) and ack.get("ok"):
            chat.session_id = ack["session_id"]
        return ack

    def run(self, kind: str, index: int, data: Any) -> None:
        chat = self.chats[index]
        if not chat.connected:  # dropped by an earlier example: counted, fails the test
            self.dropped += 1
            chat = self.chats[index] = self._open()
        self.interactions += 1
        self.last = (self.interactions, kind, index, repr(data)[:300])
        self.used[index] += 1
        if self.used[index] % INTERACTIONS_PER_CONVERSATION == 0:  # (may be rate-limited too)
            self.call(chat, "session_request", None)
            self.call(chat, "session_start", {"session_id": chat.session_id})
        if self.interactions % 250 == 0:
            print(f"socket.io fuzz: {self.interactions} interactions", flush=True)
        data = self.resolve(chat, data)
        assert len(json.dumps(data)) < MAX_PACKET_BYTES  # the generator's bound, not the server's
        if kind == "utter":
            self.call(chat, "user_uttered", data)
        elif kind in ("raw", "session"):
            event, payload = data
            self.call(chat, event, payload)
        elif kind == "args":  # several arguments (or none) where one payload is expected
            event, args = data
            ack = chat.sio.call(event, tuple(args), timeout=ACK_TIMEOUT_S)
            self.check_ack(event, ack, args)
            if event == "session_request" and ack.get("ok"):
                chat.session_id = ack["session_id"]
        elif kind == "unknown":  # no handler: no ack; the socket must keep working
            event, payload = data
            chat.sio.emit(event, payload)
            self.call(chat, "history_request", {"session_id": chat.session_id})
        elif kind == "burst":
            self.burst(chat, data)
        assert chat.connected, (kind, data)
        self.check_pushed(chat)

    def burst(self, chat: WebchatClient, texts_: list[str]) -> None:
        acks: list[Any] = []
        done = threading.Event()

        def collect(*args: Any) -> None:
            acks.append(args[0] if args else None)
            if len(acks) == len(texts_):
                done.set()

        for text in texts_:
            chat.sio.emit("user_uttered", {"message": text, "session_id": chat.session_id},
                          callback=collect)
        assert done.wait(ACK_TIMEOUT_S * 2), f"only {len(acks)} of {len(texts_)} acks"
        for ack in acks:
            self.check_ack("burst", ack, texts_)


@pytest.fixture()
def fuzzer(rasa_stack: Stack) -> Iterator[Fuzzer]:
    fuzz = Fuzzer(rasa_stack)
    try:
        yield fuzz
    finally:
        fuzz.close()


def opening_and_a_turn_work(stack: Stack) -> None:
    with WebchatClient(stack.rasa_url) as chat:
        assert chat.open_session()["ok"]
        assert chat.start() == {"ok": True, "started": True}
        assert chat.next_message(timeout=30)["text"].startswith("您好")
        assert chat.say("我要投诉,新买的空调一直漏水") == {"ok": True}
        assert texts(chat.pending()), "the bot answers a normal message"
        roles = [entry["role"] for entry in chat.history()["history"]]
        assert roles[:2] == ["bot", "user"]


def test_socketio_channel_survives_2000_generated_interactions(
    rasa_stack: Stack, fuzzer: Fuzzer
) -> None:
    started = time.monotonic()

    @FUZZ
    @given(interaction=interactions)
    def one(interaction: tuple[str, int, Any]) -> None:
        fuzzer.run(*interaction)

    one()
    elapsed = time.monotonic() - started
    print(f"Socket.IO fuzz: {fuzzer.interactions} interactions in {elapsed:.0f} s:",
          dict(sorted(fuzzer.outcomes.items())))
    assert fuzzer.interactions >= 2000
    assert fuzzer.dropped == 0, fuzzer.disconnects
    assert fuzzer.outcomes["user_uttered:ok"] > 100, fuzzer.outcomes  # real turns ran
    assert fuzzer.outcomes["burst:rate_limited"] > 0, fuzzer.outcomes  # the limit was hit
    assert all(chat.connected for chat in fuzzer.chats)
    opening_and_a_turn_work(rasa_stack)


FOREIGN_ORIGINS = [
    "http://evil.example", "https://evil.example:443", "null", "file://", "javascript:alert(1)",
    "http://127.0.0.1.evil.example", "http://localhost@evil.example", "http://evil.example/x",
    "http://[::1", "http://xn--fsqu00a.xn--0zwm56d", "ftp://localhost", "x" * 5000,
]


def test_foreign_origins_junk_auth_and_abrupt_disconnects_do_not_hurt_the_server(
    rasa_stack: Stack,
) -> None:
    for origin in FOREIGN_ORIGINS:
        chat = WebchatClient(rasa_stack.rasa_url, headers={"Origin": origin})
        with pytest.raises(socketio.exceptions.ConnectionError):
            chat.connect()
        assert not chat.connected, origin

    # No JWT is configured, so any auth value is ignored, never a crash.
    for auth in (None, {}, {"token": None}, {"token": "x" * 5000}, {"token": ["a"]},
                 {"<script>": "会话"}):
        chat = WebchatClient(rasa_stack.rasa_url, headers={"Origin": "http://localhost:8080"})
        chat.sio.connect(rasa_stack.rasa_url, socketio_path=chat.socketio_path,
                         transports=["polling"], headers=chat.headers, auth=auth,
                         wait_timeout=15)
        with chat:
            assert chat.open_session()["ok"], auth

    # The caller closes the tab while the bot is answering (or before it answered).
    for n in range(8):
        chat = WebchatClient(rasa_stack.rasa_url).connect()
        assert chat.open_session()["ok"]
        if n % 2:
            chat.sio.emit("session_start", {"session_id": chat.session_id})
        chat.sio.emit("user_uttered", {"message": "我要投诉", "session_id": chat.session_id})
        chat.close()

    # A packet over the server's limit closes that connection, and only that one.
    with WebchatClient(rasa_stack.rasa_url) as bystander:
        assert bystander.open_session()["ok"]
        chat = WebchatClient(rasa_stack.rasa_url).connect()
        assert chat.open_session()["ok"]
        chat.sio.emit("user_uttered", {"message": "请" * 70_000, "session_id": chat.session_id})
        deadline = time.monotonic() + 30
        while chat.connected and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not chat.connected
        chat.close()
        assert bystander.history()["ok"]
    opening_and_a_turn_work(rasa_stack)
