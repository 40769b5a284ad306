"""Scale-out: two Rasa replicas and two action servers behind nginx, one shared Redis.

The stack is the one `python bench/scaleout.py` starts (bench/stack.py): real nginx
(unprivileged, generated config), real Rasa and action server processes, a real
redis-server. The Redis lock store must keep each conversation's turns whole and in
order whichever replica takes them.
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from bench.stack import BenchStack
from bot.tracker_codec import decode_dialogue
from tests.support.provider import check_signed_order_call

pytestmark = pytest.mark.stack

ORDERS = ("DD20261101001", "DD20261102002", "DD20261015003", "DD20251120004")
HOLDING = "对不起,系统正在处理"


@pytest.fixture(scope="module")
def scaleout(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BenchStack]:
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        raise RuntimeError("nginx is not installed; run `make test` (scripts/setup.sh installs it)")
    stack = BenchStack(tmp_path_factory.mktemp("scaleout"), model=trained_model,
                       replicas=2, nginx=True)
    stack.start(timeout=400)
    try:
        yield stack
    finally:
        stack.stop()


@dataclass
class Sent:
    index: int
    text: str
    replica: int
    sent_at: float = 0.0
    done_at: float = 0.0
    status: int = 0
    texts: tuple[str, ...] = ()


def stored_events(stack: BenchStack, sender: str) -> list[dict[str, Any]]:
    client = redis.Redis.from_url(stack.redis_url)
    try:
        raw = client.get(f"hotline:tracker:{sender}")
    finally:
        client.close()
    assert raw is not None, "the tracker is in Redis"
    return list(decode_dialogue(raw)["events"])


def api_events(url: str, stack: BenchStack, sender: str) -> list[dict[str, Any]]:
    response = requests.get(f"{url}/conversations/{sender}/tracker",
                            params={"token": stack.token}, timeout=30)
    response.raise_for_status()
    return list(response.json()["events"])


def turns_of(events: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """Each user message with the bot texts of its own turn (up to the next listen)."""
    turns: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    for event in events:
        kind = event.get("event")
        if kind == "user":
            assert current is None, "a new message was taken before the last turn ended"
            current = []
            turns.append((event.get("text") or "", current))
        elif kind == "bot" and current is not None:
            current.append(event.get("text") or "")
        elif kind == "action" and event.get("name") == "action_listen" and current is not None:
            current = None
    assert current is None, "the last turn did not end with action_listen"
    return turns


def test_one_conversation_alternating_between_replicas_loses_duplicates_reorders_nothing(
    scaleout: BenchStack,
) -> None:
    sender = f"scaleout-{uuid.uuid4().hex[:10]}"
    messages = [
        Sent(i, f"第{i + 1}次问:帮我查一下订单{ORDERS[i % len(ORDERS)]}到哪了", replica=i % 2)
        for i in range(12)
    ]
    started = time.monotonic()

    def send(item: Sent) -> Sent:
        # Staggered by 25 ms but not waiting for answers: turns overlap on both replicas.
        time.sleep(item.index * 0.025)
        item.sent_at = time.monotonic() - started
        response = requests.post(
            f"{scaleout.replica_url(item.replica)}/webhooks/rest/webhook",
            json={"sender": sender, "message": item.text}, timeout=120)
        item.done_at = time.monotonic() - started
        item.status = response.status_code
        item.texts = tuple(m.get("text", "") for m in response.json() if m.get("text"))
        return item

    with ThreadPoolExecutor(max_workers=len(messages)) as pool:
        done = list(pool.map(send, messages))

    assert [m.status for m in done] == [200] * len(done)
    for item in done:
        assert item.texts, f"message {item.index} got no answer"
        assert not any(HOLDING in text for text in item.texts), item.texts
    overlapping = [(a.index, b.index) for a in done for b in done
                   if a.index < b.index and b.sent_at < a.done_at]
    assert overlapping, "the turns were meant to be in flight together"

    events = stored_events(scaleout, sender)
    turns = turns_of(events)
    # nothing lost, nothing duplicated
    assert sorted(text for text, _ in turns) == sorted(m.text for m in messages)
    position = {text: at for at, (text, _) in enumerate(turns)}
    by_text = {m.text: m for m in done}
    # each answer is the turn stored for its message (an opening line may come first)
    for text, bot_texts in turns:
        answer = list(by_text[text].texts)
        assert bot_texts and answer[-len(bot_texts):] == bot_texts, (text, answer, bot_texts)
    # what was answered before another message was sent comes before it in the tracker
    for a in done:
        for b in done:
            if a.done_at < b.sent_at:
                assert position[a.text] < position[b.text], (a.index, b.index)
    stamps = [event["timestamp"] for event in events if "timestamp" in event]
    assert stamps == sorted(stamps), "events are stored in the order they happened"
    # both replicas read the same conversation from the shared Redis
    for replica in (0, 1):
        seen = api_events(scaleout.replica_url(replica), scaleout, sender)
        assert [(e.get("event"), e.get("timestamp")) for e in seen] == [
            (e.get("event"), e.get("timestamp")) for e in events
        ]


def test_a_conversation_through_nginx_is_served_by_both_replicas_and_action_servers(
    scaleout: BenchStack,
) -> None:
    sender = f"scaleout-nginx-{uuid.uuid4().hex[:10]}"
    upstreams: set[str] = set()
    replies: list[str] = []
    for text in ("你好", f"帮我查一下订单{ORDERS[0]}到哪了", f"还有订单{ORDERS[1]}呢",
                 f"订单{ORDERS[2]}的退款到账了吗"):
        response = requests.post(f"{scaleout.url}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": text}, timeout=60)
        assert response.status_code == 200
        upstreams.add(response.headers["X-Hotline-Upstream"])
        replies.append(" ".join(m.get("text", "") for m in response.json()))
    assert upstreams == {f"127.0.0.1:{p}" for p in scaleout.rasa_ports}
    assert "已发货" in replies[1], replies
    user_texts = [e["text"] for e in stored_events(scaleout, sender) if e["event"] == "user"]
    assert user_texts[0] == "你好" and len(user_texts) == 4

    # custom actions went through nginx to both action servers
    log = (scaleout.work_dir / "nginx" / "access.log").read_text(encoding="utf-8")
    action_upstreams = set(re.findall(r'"POST /webhook HTTP/1\.1" 200 upstream=(\S+)', log))
    assert action_upstreams == {f"127.0.0.1:{p}" for p in scaleout.action_ports}, action_upstreams


def test_a_phone_call_through_nginx_passes_the_signature_check(scaleout: BenchStack) -> None:
    check_signed_order_call(scaleout.url, scaleout.twilio_token, ORDERS[0])
