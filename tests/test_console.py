"""The console (console/) as a real process against a real Redis: access, roles, CSRF,
transcripts with masked numbers, reveal + audit log, tickets, the script-audit page."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import redis
import requests

from bot.handoffs import HandoffQueue
from bot.wiring import build_ticket_service
from tests.support.console import PASSWORDS, add_user, console_process, csrf_of, login
from tests.support.processes import RedisServer
from tests.test_tickets_fixtures import complaint

DB = 3
CONV = "console-conv-1"
PHONE = "13812345678"
OPENING = {"event": "bot", "text": "您好,欢迎光临……", "timestamp": 1.0,
           "metadata": {"utter_action": "utter_opening"}}
EVENTS = [
    {"event": "action", "name": "action_session_start", "timestamp": 0.5},
    {"event": "session_started", "timestamp": 0.5},
    OPENING,
    {"event": "user", "text": f"我的电话是{PHONE},你们太气人了", "timestamp": 2.0,
     "parse_data": {"intent": {"name": "angry", "confidence": 0.93},
                    "entities": [{"entity": "phone_number", "value": PHONE}]}},
    {"event": "bot", "text": "请您别着急,慢慢讲,我们会尽力帮您解决。", "timestamp": 3.0,
     "metadata": {"utter_action": "utter_calm_down"}},
    {"event": "bot", "text": "喂,说话呀!", "timestamp": 4.0, "metadata": {"agent": "王五"}},
    {"event": "bot", "text": "很高兴为您服务,再见!", "timestamp": 5.0,
     "metadata": {"utter_action": "utter_closing"}},
]


@pytest.fixture(scope="module")
def console(redis_server: RedisServer, test_output_dir) -> Iterator[tuple[str, redis.Redis]]:  # type: ignore[no-untyped-def]
    url = f"redis://127.0.0.1:{redis_server.port}/{DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    add_user(url, "agent1", "agent", PASSWORDS["agent1"])
    add_user(url, "super1", "supervisor", PASSWORDS["super1"])
    client.set(f"hotline:tracker:{CONV}", json.dumps({"sender_id": CONV, "events": EVENTS}))
    clean = [OPENING, {"event": "bot", "text": "很高兴为您服务,再见!",
                       "metadata": {"utter_action": "utter_closing"}}]
    client.set("hotline:tracker:console-clean", json.dumps({"events": clean}))
    HandoffQueue(client).hand_off(CONV, "angry", "webchat", caller_phone=PHONE, priority=True)
    with console_process(url, test_output_dir / "logs" / "console.log") as base:
        yield base, client
    client.close()


PAGES = ["/", "/handoffs", "/tickets", "/tickets/T202611230001", f"/conversations/{CONV}",
         "/audit"]
APIS = ["/api/handoffs", "/api/handoffs/stream", f"/api/conversations/{CONV}", "/api/audit"]


def test_nothing_is_readable_without_login(console) -> None:  # type: ignore[no-untyped-def]
    base, _ = console
    for path in PAGES:
        response = requests.get(base + path, allow_redirects=False, timeout=10)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path
    for path in APIS:
        assert requests.get(base + path, timeout=10).status_code == 401, path
    for path in [f"/conversations/{CONV}/reveal", "/tickets/T1/close", "/logout"]:
        assert requests.post(base + path, data={}, timeout=10).status_code == 401, path


def test_wrong_password_and_forged_cookie_do_not_get_in(console) -> None:  # type: ignore[no-untyped-def]
    base, _ = console
    session = requests.Session()
    token = csrf_of(session.get(f"{base}/login", timeout=10).text)
    bad = session.post(f"{base}/login", data={"csrf": token, "name": "super1",
                                              "password": "wrong-password"}, timeout=10)
    assert bad.status_code == 401 and "用户名或密码错误" in bad.text
    good = login(base, "agent1")
    cookie = good.cookies["console_session"]
    payload, mac = cookie.rsplit(".", 1)
    forged = requests.get(f"{base}/api/handoffs", timeout=10,
                          cookies={"console_session": payload + "x." + mac})
    assert forged.status_code == 401


def test_login_and_every_form_need_the_csrf_token(console) -> None:  # type: ignore[no-untyped-def]
    base, _ = console
    session = requests.Session()
    session.get(f"{base}/login", timeout=10)
    no_token = session.post(f"{base}/login", data={"name": "super1",
                                                   "password": PASSWORDS["super1"]}, timeout=10)
    assert no_token.status_code == 403
    supervisor = login(base, "super1")
    reveal = supervisor.post(f"{base}/conversations/{CONV}/reveal", data={"csrf": "nope"},
                             timeout=10)
    assert reveal.status_code == 403 and PHONE not in reveal.text
    logout = supervisor.post(f"{base}/logout", data={}, timeout=10)
    assert logout.status_code == 403


def test_queue_shows_the_waiting_handoff_masked(console) -> None:  # type: ignore[no-untyped-def]
    base, _ = console
    agent = login(base, "agent1")
    data = agent.get(f"{base}/api/handoffs", timeout=10).json()
    [entry] = [h for h in data["handoffs"] if h["conversation_id"] == CONV]
    assert entry["reason"] == "angry" and entry["caller_masked"] == "*******5678"
    page = agent.get(f"{base}/handoffs", timeout=10).text
    assert CONV in page and "*******5678" in page and PHONE not in page


def test_transcript_is_masked_agent_cannot_reveal_supervisor_can_and_it_is_audited(
    console,  # type: ignore[no-untyped-def]
) -> None:
    base, client = console
    client.delete("hotline:audit")
    agent = login(base, "agent1")
    page = agent.get(f"{base}/conversations/{CONV}", timeout=10)
    assert page.status_code == 200
    assert "*******5678" in page.text and PHONE not in page.text
    assert "情绪激动" in page.text and "93%" in page.text  # the caller state, as a label
    assert "utter_calm_down" in page.text  # the response, in the reviewers' details
    assert 'id="reveal"' not in page.text
    denied = agent.post(f"{base}/conversations/{CONV}/reveal",
                        data={"csrf": csrf_of(page.text)}, timeout=10)
    assert denied.status_code == 403 and PHONE not in denied.text

    exported = agent.get(f"{base}/api/conversations/{CONV}", timeout=10)
    assert exported.status_code == 200 and PHONE not in exported.text
    turns = exported.json()["turns"]
    assert [t["speaker"] for t in turns] == ["bot", "caller", "bot", "agent", "bot"]
    assert turns[1]["entities"] == [{"entity": "phone_number", "value": "*******5678"}]

    supervisor = login(base, "super1")
    page = supervisor.get(f"{base}/conversations/{CONV}", timeout=10)
    assert 'id="reveal"' in page.text
    shown = supervisor.post(f"{base}/conversations/{CONV}/reveal",
                            data={"csrf": csrf_of(page.text)}, timeout=10)
    assert shown.status_code == 200 and PHONE in shown.text

    log = [{k.decode(): v.decode() for k, v in fields.items()}
           for _, fields in client.xrange("hotline:audit")]
    assert [(e["actor"], e["action"]) for e in log] == [
        ("agent1", "view"), ("agent1", "export"), ("super1", "view"), ("super1", "reveal")
    ]
    assert all(e["conversation_id"] == CONV for e in log)


def test_supervisor_audit_page_lists_the_failed_conversation(console) -> None:  # type: ignore[no-untyped-def]
    base, _ = console
    assert login(base, "agent1").get(f"{base}/audit", timeout=10).status_code == 403
    assert login(base, "agent1").get(f"{base}/api/audit", timeout=10).status_code == 403
    data = login(base, "super1").get(f"{base}/api/audit", timeout=10).json()
    failed = {r["conversation_id"]: r for r in data["failed"]}
    assert data["checked"] == 2 and set(failed) == {CONV}
    assert [(f["kind"], f["detail"]) for f in failed[CONV]["findings"]] == [
        ("forbidden_phrase", "喂,说话呀")
    ]
    page = login(base, "super1").get(f"{base}/audit", timeout=10).text
    assert CONV in page and "使用服务禁语" in page and "console-clean" not in page


def test_tickets_list_filter_detail_and_close(console) -> None:  # type: ignore[no-untyped-def]
    base, client = console
    service = build_ticket_service(redis_client=client, plan_callbacks=False)
    ticket = service.create_ticket(complaint(conversation_id=CONV), "console:1").ticket
    other = service.create_ticket(complaint(phone="13900001111"), "console:2").ticket
    agent = login(base, "agent1")
    listed = agent.get(f"{base}/tickets", timeout=10).text
    assert ticket.number in listed and other.number in listed and PHONE not in listed
    by_phone = agent.get(f"{base}/tickets", params={"phone": PHONE}, timeout=10).text
    assert ticket.number in by_phone and other.number not in by_phone
    by_number = agent.get(f"{base}/tickets", params={"number": other.number}, timeout=10).text
    assert other.number in by_number and ticket.number not in by_number
    closed = agent.get(f"{base}/tickets", params={"status": "closed"}, timeout=10).text
    assert ticket.number not in closed

    detail = agent.get(f"{base}/tickets/{ticket.number}", timeout=10)
    assert 'id="status">待处理<' in detail.text and 'id="close"' not in detail.text
    assert agent.post(f"{base}/tickets/{ticket.number}/status",
                      data={"to": "resolved"}, timeout=10).status_code == 403
    resolved = agent.post(f"{base}/tickets/{ticket.number}/status",
                          data={"csrf": csrf_of(detail.text), "to": "resolved", "note": "修好了"},
                          timeout=10)
    assert 'id="status">已解决<' in resolved.text and 'id="close"' in resolved.text
    done = agent.post(f"{base}/tickets/{ticket.number}/close",
                      data={"csrf": csrf_of(resolved.text), "satisfaction": "5"}, timeout=10)
    assert 'id="status">已关闭<' in done.text and "修好了" in done.text
    assert service.get_ticket(ticket.number).satisfaction == 5


def test_overdue_ticket_is_shown_in_red(console) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime, timedelta, timezone

    from bot.clock import ManualClock

    base, client = console
    past = datetime.now(timezone.utc) - timedelta(days=10)
    service = build_ticket_service(redis_client=client, plan_callbacks=False,
                                   clock=ManualClock(past))
    late = service.create_ticket(complaint(phone="13700002222"), "console:late").ticket
    page = login(base, "agent1").get(f"{base}/tickets/{late.number}", timeout=10).text
    assert 'class="overdue-text"' in page and "已超时" in page


def test_sessions_expire_and_passwords_are_stored_as_scrypt_hashes(console) -> None:  # type: ignore[no-untyped-def]
    from console.auth import Signer

    signer = Signer("some-secret", ttl_seconds=60)
    cookie = signer.issue("agent1", "agent", now=1000.0)
    assert signer.read(cookie, now=1059.0) is not None
    assert signer.read(cookie, now=1061.0) is None
    assert Signer("other-secret").read(cookie, now=1000.0) is None
    _, client = console
    stored = json.loads(client.get("hotline:console:user:agent1"))
    assert PASSWORDS["agent1"] not in json.dumps(stored)
    assert set(stored) >= {"salt", "hash", "n", "r", "p"} and stored["role"] == "agent"
