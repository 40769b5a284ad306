"""The console's agent features as a real process against a real Redis: claiming a hand-off
(live for others), the printable transcript, ticket edits and filters, the callbacks page
(claim, outcome, reschedule), who hung up first, the figures page, login rate limiting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis
import requests

from bot.callbacks.model import CallbackStatus
from bot.callbacks.policy import callback_policy_from_config
from bot.callbacks.scheduler import CallbackScheduler
from bot.clock import ManualClock
from bot.config import hotline_config
from bot.handoffs import EVENTS_STREAM, HandoffQueue
from bot.outcomes import ConversationOutcomes
from bot.tickets.model import Ticket
from bot.wiring import attach_scheduler, build_ticket_service
from tests.support.console import PASSWORDS, add_user, console_process, csrf_of, login
from tests.support.processes import RedisServer
from tests.test_tickets_fixtures import complaint

DB = 4
SHANGHAI = ZoneInfo("Asia/Shanghai")
PHONE = "13812345678"
OPENING = {"event": "bot", "text": "您好,欢迎致电", "timestamp": 100.0,
           "metadata": {"utter_action": "utter_opening"}}
CLOSING = {"event": "bot", "text": "感谢您的来电,再见!", "timestamp": 110.0,
           "metadata": {"utter_action": "utter_closing"}}


@pytest.fixture(scope="module")
def console(redis_server: RedisServer, test_output_dir) -> Iterator[tuple[str, redis.Redis]]:  # type: ignore[no-untyped-def]
    url = f"redis://127.0.0.1:{redis_server.port}/{DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    add_user(url, "agent1", "agent", PASSWORDS["agent1"])
    add_user(url, "agent2", "agent", "agent-pass-2")
    add_user(url, "super1", "supervisor", PASSWORDS["super1"])
    with console_process(url, test_output_dir / "logs" / "console-agents.log") as base:
        yield base, client
    client.close()


def yesterday(hour: int) -> datetime:
    day = datetime.now(SHANGHAI).date() - timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def scheduler_at(client: redis.Redis, moment: datetime) -> tuple[CallbackScheduler, object]:
    tickets = build_ticket_service(redis_client=client, plan_callbacks=False,
                                   clock=ManualClock(moment))
    scheduler = attach_scheduler(tickets, redis_client=client,
                                 policy=callback_policy_from_config(hotline_config()))
    return scheduler, tickets


def file_ticket(client: redis.Redis, key: str, phone: str, moment: datetime) -> Ticket:
    _, tickets = scheduler_at(client, moment)
    ticket = tickets.create_ticket(complaint(phone=phone), key).ticket  # type: ignore[attr-defined]
    assert ticket is not None
    return ticket


def test_claiming_a_handoff_one_agent_wins_and_the_feed_tells_the_others(console) -> None:  # type: ignore[no-untyped-def]
    base, client = console
    HandoffQueue(client).hand_off("claim-me", "angry", "webchat", caller_phone=PHONE)
    first, second = login(base, "agent1"), login(base, "agent2", "agent-pass-2")
    page = first.get(f"{base}/handoffs", timeout=10).text
    assert 'action="/handoffs/claim-me/claim"' in page
    since = first.get(f"{base}/api/handoffs", timeout=10).json()["since"]
    assert first.post(f"{base}/handoffs/claim-me/claim", data={}, timeout=10).status_code == 403
    won = first.post(f"{base}/handoffs/claim-me/claim", data={"csrf": csrf_of(page)},
                     allow_redirects=False, timeout=10)
    assert won.status_code == 302 and won.headers["Location"] == "/conversations/claim-me"
    other_page = second.get(f"{base}/handoffs", timeout=10).text
    assert "claim-me" not in other_page
    lost = second.post(f"{base}/handoffs/claim-me/claim", data={"csrf": csrf_of(other_page)},
                       timeout=10)
    assert lost.status_code == 409 and "该转人工已由 agent1 接手" in lost.text
    missing = second.post(f"{base}/handoffs/nobody/claim", data={"csrf": csrf_of(other_page)},
                          timeout=10)
    assert missing.status_code == 404

    with second.get(f"{base}/api/handoffs/stream", params={"since": since}, stream=True,
                    timeout=(5, 20)) as feed:
        kind = ""
        for line in feed.iter_lines(decode_unicode=True):
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind == "claimed":
                event = json.loads(line[6:])
                break
    assert event["conversation_id"] == "claim-me" and event["claimed_by"] == "agent1"
    assert PHONE not in json.dumps(event)
    assert client.xlen(EVENTS_STREAM) == 2


def test_print_page_is_masked_audited_and_styled_for_print(console) -> None:  # type: ignore[no-untyped-def]
    base, client = console
    events = [OPENING, {"event": "user", "text": f"电话{PHONE}", "timestamp": 105.0}, CLOSING]
    client.set("hotline:tracker:print-me", json.dumps({"events": events}, ensure_ascii=False))
    client.delete("hotline:audit")
    agent = login(base, "agent1")
    assert 'href="/conversations/print-me/print"' in agent.get(
        f"{base}/conversations/print-me", timeout=10).text
    page = agent.get(f"{base}/conversations/print-me/print", timeout=10)
    assert page.status_code == 200 and 'href="/static/print.css"' in page.text
    assert "@media print" in agent.get(f"{base}/static/print.css", timeout=10).text
    assert "电话*******5678" in page.text and PHONE not in page.text and "<nav>" not in page.text
    assert agent.get(f"{base}/conversations/nothing-here/print", timeout=10).status_code == 404
    actions = [f[b"action"] for _, f in client.xrange("hotline:audit")]
    assert actions == [b"view", b"print"]


def test_ticket_owner_severity_notes_and_list_filters(console) -> None:  # type: ignore[no-untyped-def]
    base, client = console
    now = datetime.now(SHANGHAI)
    late = file_ticket(client, "agents:late", "13700000001", now - timedelta(days=10))
    fresh = file_ticket(client, "agents:fresh", "13700000002", now)
    agent = login(base, "agent1")
    detail = agent.get(f"{base}/tickets/{fresh.number}", timeout=10).text
    token = csrf_of(detail)
    assert "第 1/3 级" in detail and "承诺客户" in detail
    owner = agent.post(f"{base}/tickets/{fresh.number}/owner",
                       data={"csrf": token, "owner": "李四"}, timeout=10)
    assert 'id="owner">李四<' in owner.text
    severity = agent.post(f"{base}/tickets/{fresh.number}/severity",
                          data={"csrf": token, "severity": "urgent", "note": "媒体"}, timeout=10)
    assert 'id="severity">紧急<' in severity.text
    assert "严重度:一般 → 紧急(媒体)" in severity.text
    note = agent.post(f"{base}/tickets/{fresh.number}/notes",
                      data={"csrf": token, "text": "<b>已联系</b>"}, timeout=10)
    assert "&lt;b&gt;已联系&lt;/b&gt;" in note.text and "<b>已联系" not in note.text
    for path, data in [("severity", {"severity": "catastrophic"}), ("owner", {"owner": " "}),
                       ("notes", {"text": ""}), ("notes", {"text": "长" * 2001})]:
        bad = agent.post(f"{base}/tickets/{fresh.number}/{path}", data={"csrf": token, **data},
                         timeout=10)
        assert bad.status_code == 400 and 'id="error"' in bad.text, (path, data)
    assert agent.post(f"{base}/tickets/T000/owner", data={"csrf": token, "owner": "x"},
                      timeout=10).status_code == 404

    def listed(**params: str) -> set[str]:
        text = agent.get(f"{base}/tickets", params=params, timeout=10).text
        return {n for n in (late.number, fresh.number) if f">{n}<" in text}

    assert listed() == {late.number, fresh.number}
    assert listed(severity="urgent") == {fresh.number}
    assert listed(due="overdue") == {late.number}
    assert late.number not in listed(due="today")
    assert listed(phone="13700000001") == {late.number}
    assert listed(number=fresh.number, severity="normal") == set()
    page = agent.get(f"{base}/tickets", params={"due": "overdue"}, timeout=10).text
    assert f'class="ticket overdue" data-ticket="{late.number}"' in page and "已超时" in page


def test_callbacks_page_claim_outcome_and_reschedule(console) -> None:  # type: ignore[no-untyped-def]
    base, client = console
    ticket = file_ticket(client, "agents:cb", "13600000001", yesterday(10))
    scheduler, _ = scheduler_at(client, yesterday(10))
    overdue = scheduler.schedule(ticket.number, "13600000001", yesterday(11), key="o1")
    moved = scheduler.schedule(ticket.number, "13600000001", yesterday(12), key="o2")
    agent, other = login(base, "agent1"), login(base, "agent2", "agent-pass-2")
    page = agent.get(f"{base}/callbacks", timeout=10).text
    assert f'class="callback overdue" data-callback="{overdue.id}"' in page
    assert "*******0001" in page and "13600000001" not in page
    token = csrf_of(page)

    claimed = agent.post(f"{base}/callbacks/{overdue.id}/claim", data={"csrf": token},
                         allow_redirects=False, timeout=10)
    assert claimed.status_code == 302
    seen = other.get(f"{base}/api/callbacks", timeout=10).json()
    [entry] = [e for e in seen["overdue"] if e["id"] == overdue.id]
    assert entry["holder"] == "agent1" and entry["status"] == "claimed"
    assert entry["phone"] == "*******0001" and entry["attempts"] == 0
    taken = other.post(f"{base}/callbacks/{overdue.id}/claim",
                       data={"csrf": csrf_of(other.get(f"{base}/callbacks", timeout=10).text)},
                       timeout=10)
    assert taken.status_code == 409 and "agent1" in taken.text

    bad = agent.post(f"{base}/callbacks/{overdue.id}/outcome",
                     data={"csrf": token, "outcome": "vanished"}, timeout=10)
    assert bad.status_code == 400 and "无效的回访结果" in bad.text
    done = agent.post(f"{base}/callbacks/{overdue.id}/outcome",
                      data={"csrf": token, "outcome": "reached_unresolved", "note": "明天再跟进"},
                      timeout=10)
    assert done.status_code == 200 and f'data-callback="{overdue.id}"' not in done.text
    stored = scheduler.get(overdue.id)
    assert stored.status is CallbackStatus.DONE and stored.last_outcome_actor == "agent:agent1"
    log = agent.get(f"{base}/callbacks/{overdue.id}", timeout=10).text
    for event in ("坐席认领", "已拨出", "记录结果", "已联系,未解决"):
        assert event in log
    assert "agent_claimed" not in log and "agent:agent1" not in log and "· agent1<" in log

    tomorrow = datetime.now(SHANGHAI).date() + timedelta(days=1)
    for when, message in [(yesterday(15), "改期时间必须在将来"),
                          (f"{tomorrow}T22:30", "改期时间必须在营业时间内"),
                          ("not a time", "无效的取值")]:
        refused = agent.post(f"{base}/callbacks/{moved.id}/reschedule",
                             data={"csrf": token, "due_at": str(when)[:16]}, timeout=10)
        assert refused.status_code == 400 and message in refused.text, when
    ok = agent.post(f"{base}/callbacks/{moved.id}/reschedule",
                    data={"csrf": token, "due_at": f"{tomorrow}T15:00"}, timeout=10)
    assert ok.status_code == 200
    after = scheduler.get(moved.id)
    assert after.due_at == datetime(tomorrow.year, tomorrow.month, tomorrow.day, 15,
                                    tzinfo=SHANGHAI)
    last = scheduler.queue.events(moved.id)[-1]
    assert (last["event"], last["actor"]) == ("rescheduled", "agent1")
    assert agent.post(f"{base}/callbacks/nope/claim", data={"csrf": token},
                      timeout=10).status_code == 404


def test_who_hung_up_first_is_shown_and_an_early_bot_hangup_fails_the_audit(console) -> None:  # type: ignore[no-untyped-def]
    base, client = console
    sid = "CA" + "1" * 32
    events = [OPENING, {"event": "user", "text": "好的", "timestamp": 105.0}, CLOSING]
    client.set(f"hotline:tracker:{sid}", json.dumps({"events": events}, ensure_ascii=False))
    client.hset(f"hotline:call:{sid}", mapping={
        "hung_up_by": "bot", "end_reason": "goodbye", "bot_hangup_at": "112.0"})
    client.set("hotline:tracker:CA-caller", json.dumps({"events": events}, ensure_ascii=False))
    client.hset("hotline:call:CA-caller", mapping={"hung_up_by": "caller"})
    supervisor = login(base, "super1")
    page = supervisor.get(f"{base}/conversations/{sid}", timeout=10).text
    assert 'id="hung-up-by">机器人<' in page and "机器人先挂断" in page
    assert 'id="hung-up-by">来电方<' in supervisor.get(
        f"{base}/conversations/CA-caller", timeout=10).text
    report = supervisor.get(f"{base}/api/audit", timeout=30).json()
    failed = {r["conversation_id"]: r for r in report["failed"]}
    assert failed[sid]["hung_up_by"] == "bot"
    assert [f["kind"] for f in failed[sid]["findings"]] == ["bot_hung_up_first"]
    assert "CA-caller" not in failed
    assert "机器人" in supervisor.get(f"{base}/audit", timeout=30).text


def test_figures_page_draws_svg_charts_for_supervisors_only(console) -> None:  # type: ignore[no-untyped-def]
    base, client = console
    ConversationOutcomes(client).record_end("fig-1", "goodbye", "webchat", served=True,
                                            handed_off=False)
    ConversationOutcomes(client).record_end("fig-2", "caller_hangup", "phone", served=False,
                                            handed_off=True)
    agent, supervisor = login(base, "agent1"), login(base, "super1")
    assert agent.get(f"{base}/figures", timeout=10).status_code == 403
    assert agent.get(f"{base}/api/figures", timeout=10).status_code == 403
    page = supervisor.get(f"{base}/figures", params={"days": "30"}, timeout=10)
    assert page.status_code == 200 and '<svg id="chart-conversations"' in page.text
    assert page.text.count("<svg") == 5 and "<script" not in page.text.split("<h1>")[1]
    data = supervisor.get(f"{base}/api/figures", params={"days": "7"}, timeout=10).json()
    assert data["period"]["days"] == 7 and data["conversations"]["total"] >= 2
    assert data["containment"]["contained"] >= 1
    for bad in ("8", "abc", "-7", "7" * 50):
        assert supervisor.get(f"{base}/api/figures", params={"days": bad},
                              timeout=10).status_code == 400
        assert supervisor.get(f"{base}/figures", params={"days": bad},
                              timeout=10).status_code == 400


def _attempt(base: str, name: str, password: str) -> requests.Response:
    session = requests.Session()
    token = csrf_of(session.get(f"{base}/login", timeout=10).text)
    return session.post(f"{base}/login", data={"csrf": token, "name": name,
                                               "password": password}, timeout=10)


def test_logins_are_rate_limited_in_redis_across_console_processes(  # runs last: blocks 127.0.0.1
    console, redis_server: RedisServer, test_output_dir  # type: ignore[no-untyped-def]
) -> None:
    base, client = console
    for _ in range(4):
        assert _attempt(base, "agent2", "wrong-password").status_code == 401
    assert _attempt(base, "agent2", "agent-pass-2").status_code == 200  # success clears
    for _ in range(5):
        assert _attempt(base, "agent2", "wrong-password").status_code == 401
    blocked = _attempt(base, "agent2", "agent-pass-2")
    assert blocked.status_code == 429 and "登录失败次数过多" in blocked.text
    assert "console_session" not in blocked.cookies
    url = f"redis://127.0.0.1:{redis_server.port}/{DB}"
    with console_process(url, test_output_dir / "logs" / "console-agents-2.log") as replica:
        assert _attempt(replica, "agent2", "agent-pass-2").status_code == 429
        # the address is blocked too, whatever the name
        assert _attempt(replica, "agent1", PASSWORDS["agent1"]).status_code == 429
    keys = list(client.scan_iter(match="hotline:console:login_failures:*"))
    assert len(keys) == 2 and all(0 < client.ttl(k) <= 900 for k in keys)
    client.delete(*keys)
    assert _attempt(base, "agent1", PASSWORDS["agent1"]).status_code == 200
