"""Property-based fuzzing of the agent console (a real console process on a real Redis), as
a logged-in supervisor with a valid CSRF token: 2,000 generated requests per endpoint family
(page/API reads, ticket forms, callback and hand-off forms, raw bodies on every POST route):
random form and JSON bodies, wrong types, huge, unicode and HTML ids and paths, invalid
UTF-8 and bad percent-encoding. Never a 5xx, and the console stays up and logged in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import pytest
import redis
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.callbacks.policy import callback_policy_from_config
from bot.clock import ManualClock
from bot.config import hotline_config
from bot.handoffs import HandoffQueue
from bot.wiring import attach_scheduler, build_ticket_service
from tests.support.console import PASSWORDS, add_user, console_process, csrf_of, login
from tests.support.processes import RedisServer
from tests.test_tickets_fixtures import complaint

DB = 5
FUZZ = settings(
    max_examples=2000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)

no_surrogates = st.characters(blacklist_categories=("Cs",))
HOSTILE = [
    "", " ", "..", "../../etc/passwd", "%", "%ff%fe", "%00", "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>", "😀" * 50, "工单" * 300, "x" * 5000, "\u202e", "\r\nX: y",
    "{{7*7}}", "${jndi:ldap://x}", "'; DROP TABLE t; --", "null", "[]", "-1", "1e309", "NaN",
    "T20261123" + "9" * 60, "CAfuzz", "fuzz-conv",
]
LONG = ["长" * 400, "<b>" * 150, "a%2Fb/" * 80, "\u0000" * 300, "🔥" * 350, "9" * 1000]
texts = st.one_of(st.sampled_from(HOSTILE + LONG), st.text(alphabet=no_surrogates, max_size=40))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def console(redis_server: RedisServer, test_output_dir) -> Iterator[tuple[str, redis.Redis]]:  # type: ignore[no-untyped-def]
    url = f"redis://127.0.0.1:{redis_server.port}/{DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    add_user(url, "super1", "supervisor", PASSWORDS["super1"])
    events = [{"event": "bot", "text": "您好", "timestamp": 1.0,
               "metadata": {"utter_action": "utter_opening"}},
              {"event": "user", "text": "电话13812345678", "timestamp": 2.0}]
    client.set("hotline:tracker:fuzz-conv", json.dumps({"events": events}, ensure_ascii=False))
    client.hset("hotline:call:fuzz-conv", mapping={"hung_up_by": "bot", "bot_hangup_at": "x"})
    HandoffQueue(client).hand_off("fuzz-conv", "angry", "webchat", caller_phone="13812345678")
    past = datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=1)
    tickets = build_ticket_service(redis_client=client, plan_callbacks=False,
                                   clock=ManualClock(past))
    attach_scheduler(tickets, redis_client=client,
                     policy=callback_policy_from_config(hotline_config()))
    tickets.create_ticket(complaint(), "fuzz:1")  # plans its first callback (overdue)
    with console_process(url, test_output_dir / "logs" / "console-fuzz.log") as base:
        yield base, client
    client.close()


@pytest.fixture(scope="module")
def session(console) -> tuple[requests.Session, str, str, list[str]]:  # type: ignore[no-untyped-def]
    base, client = console
    agent = login(base, "super1")
    token = csrf_of(agent.get(f"{base}/handoffs", timeout=10).text)
    numbers = [n.decode() for n in client.zrange("hotline:tickets:created", 0, -1)]
    callbacks = [c.decode() for c in client.zrange("hotline:cb:due", 0, -1)]
    return agent, base, token, numbers + callbacks


def ids(known: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(known), texts)


def _path_id(value: str, raw: bool) -> str:
    return value if raw else quote(value, safe="")


def check(seen: dict[int, int], answer: requests.Response, what: object) -> None:
    seen[answer.status_code] = seen.get(answer.status_code, 0) + 1
    assert answer.status_code < 500, (what, answer.status_code, answer.text[:300])


def still_up(agent: requests.Session, base: str) -> None:
    assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
    assert agent.get(f"{base}/api/handoffs", timeout=10).status_code == 200  # still logged in


READS = ["/conversations/{}", "/conversations/{}/print", "/api/conversations/{}",
         "/tickets/{}", "/callbacks/{}"]
LISTS = ["/tickets", "/callbacks", "/api/callbacks", "/figures", "/api/figures", "/handoffs",
         "/api/handoffs", "/login", "/search", "/users", "/figures/records",
         "/api/figures/records", "/handoffs/live", "/tickets/export.csv", "/audit"]
QUERY_KEYS = ["status", "severity", "due", "phone", "number", "days", "next", "since", "x",
              "q", "from", "to", "channel", "category", "page", "tp", "cp", "view", "figure",
              "part", "day"]


def test_reads_never_answer_5xx(session) -> None:  # type: ignore[no-untyped-def]
    agent, base, _, known = session
    seen: dict[int, int] = {}

    @FUZZ
    @given(template=st.sampled_from(READS + LISTS), value=ids(known), raw=st.booleans(),
           query=st.dictionaries(st.sampled_from(QUERY_KEYS), texts, max_size=4))
    def one(template: str, value: str, raw: bool, query: dict[str, str]) -> None:
        path = template.format(_path_id(value, raw)) if "{}" in template else template
        url = f"{base}{path}?{urlencode(query)}" if query else f"{base}{path}"
        try:
            answer = agent.get(url, timeout=30, allow_redirects=False)
        except requests.exceptions.InvalidURL:
            return  # the client refuses to send it; nothing reached the server
        check(seen, answer, (url[:200],))

    one()
    print("console read statuses:", dict(sorted(seen.items())))
    assert sum(seen.values()) >= 2000 and seen.get(200, 0) > 0, seen
    still_up(agent, base)


TICKET_POSTS = ["/tickets/{}/status", "/tickets/{}/close", "/tickets/{}/owner",
                "/tickets/{}/severity", "/tickets/{}/notes"]
WORK_POSTS = ["/callbacks/{}/claim", "/callbacks/{}/release", "/callbacks/{}/outcome",
              "/callbacks/{}/reschedule", "/handoffs/{}/claim", "/conversations/{}/reveal",
              "/users/{}/delete"]
FIELDS = ["to", "note", "satisfaction", "owner", "severity", "text", "outcome", "due_at", "csrf",
          "x"]
VALUES = ["in_progress", "resolved", "urgent", "5", "0", "李四", "no_answer", "reached_resolved",
          "refused", "2030-01-01T10:00", "2026-13-40T25:61", "9999-12-31T23:59",
          "0001-01-01T00:00", "tomorrow"]


def test_forms_never_answer_5xx(session) -> None:  # type: ignore[no-untyped-def]
    """Ticket, callback and hand-off forms, mostly with the valid CSRF token, with both
    plausible values (so many requests change state) and hostile ones."""
    agent, base, token, known = session
    seen: dict[int, int] = {}
    forms = st.dictionaries(st.sampled_from(FIELDS), st.one_of(st.sampled_from(VALUES), texts),
                            max_size=4)

    @FUZZ
    @given(template=st.sampled_from(TICKET_POSTS + WORK_POSTS),
           value=ids(known + ["fuzz-conv"]), raw=st.booleans(), form=forms,
           signed=st.integers(0, 9))
    def one(template: str, value: str, raw: bool, form: dict[str, str], signed: int) -> None:
        if signed:  # 9 in 10 carry the session's token
            form = {**form, "csrf": token}
        url = base + template.format(_path_id(value, raw))
        try:
            answer = agent.post(url, data=form, timeout=30, allow_redirects=False)
        except requests.exceptions.InvalidURL:
            return
        check(seen, answer, (url[:200], form))

    one()
    print("console form statuses:", dict(sorted(seen.items())))
    assert sum(seen.values()) >= 2000 and seen.get(302, 0) > 0, seen
    still_up(agent, base)


RAW_POSTS = ["/login", "/tickets/{}/status", "/tickets/{}/notes", "/callbacks/{}/reschedule",
             "/callbacks/{}/outcome", "/handoffs/{}/claim", "/conversations/{}/reveal",
             "/figures", "/api/figures", "/callbacks", "/users"]
CONTENT_TYPES = ["application/x-www-form-urlencoded", "application/json", "text/plain",
                 "multipart/form-data; boundary=xyz", "multipart/form-data",
                 "application/x-www-form-urlencoded; charset=latin-1"]


def test_raw_bodies_never_answer_5xx(session) -> None:  # type: ignore[no-untyped-def]
    agent, base, token, known = session
    seen: dict[int, int] = {}
    bodies = st.one_of(
        st.binary(max_size=300),
        st.sampled_from([b"csrf=" + token.encode() + b"&note=\xff\xfe&text=\xed\xa0\x80",
                         b"csrf=" + token.encode() + b"&due_at=%ff%fe&outcome=%",
                         b"--xyz\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n"
                         + token.encode() + b"\r\n--xyz--\r\n", b"\x00" * 64, b"%%%", b"=&=&"]),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.dictionaries(st.sampled_from(FIELDS), texts, max_size=4).map(
            lambda form: urlencode({**form, "csrf": token}).encode()),
    )

    @FUZZ
    @given(template=st.sampled_from(RAW_POSTS), value=ids(known), body=bodies,
           content_type=st.sampled_from(CONTENT_TYPES))
    def one(template: str, value: str, body: bytes, content_type: str) -> None:
        url = base + template.format(quote(value, safe=""))
        answer = agent.post(url, data=body, headers={"Content-Type": content_type}, timeout=30,
                            allow_redirects=False)
        check(seen, answer, (url[:200], body[:100], content_type))

    one()
    print("console raw body statuses:", dict(sorted(seen.items())))
    assert sum(seen.values()) >= 2000, seen
    still_up(agent, base)
