"""Finding things in the console (a real console process on a real Redis, over HTTP): one
search by the caller's last 4 digits, a ticket number, a conversation id, a date range,
channel, status and category, with pagination; the queue sorted by priority and waiting
time; the figures page agreeing with its drill-down; labels and company time in exports."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import redis
import requests

from bot.clock import company_timezone
from bot.tickets.model import TicketRequest
from bot.wiring import build_ticket_service
from tests.support.console import PASSWORDS, add_user, console_process, login
from tests.support.console_data import (
    CALL_PHONE,
    PHONE_CALL,
    WAITING,
    WEB,
    WEB_PHONE,
    Seeded,
    seed,
)

DB = 7
TICKET_ROW = re.compile(r'class="hit" data-ticket="(T\d+)"')
CONVERSATION_ROW = re.compile(r'class="hit" data-conversation="([^"]+)"')


@pytest.fixture(scope="module")
def site(redis_server, test_output_dir) -> Iterator[tuple[str, Seeded, redis.Redis]]:  # type: ignore[no-untyped-def]
    url = f"redis://127.0.0.1:{redis_server.port}/{DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    add_user(url, "agent1", "agent", PASSWORDS["agent1"])
    add_user(url, "super1", "supervisor", PASSWORDS["super1"])
    seeded = seed(client)
    with console_process(url, test_output_dir / "logs" / "console-find.log") as base:
        yield base, seeded, client
    client.close()


def found(session: requests.Session, base: str, **params: str) -> tuple[list[str], list[str]]:
    page = session.get(f"{base}/search", params=params, timeout=10)
    assert page.status_code == 200
    return TICKET_ROW.findall(page.text), CONVERSATION_ROW.findall(page.text)


def test_one_search_finds_tickets_and_calls(site) -> None:  # type: ignore[no-untyped-def]
    base, seeded, _ = site
    agent = login(base, "agent1")
    t = seeded.tickets
    # the caller's last 4 digits: the web chat, its ticket, and another caller ending 5678
    tickets, conversations = found(agent, base, q=WEB_PHONE[-4:])
    assert tickets == [t["complaint"]]
    assert set(conversations) == {WEB, WAITING[0]}
    assert found(agent, base, q=WEB_PHONE) == ([t["complaint"]], conversations)
    # the phone call's number is known from its call record and its ticket
    tickets, conversations = found(agent, base, q=CALL_PHONE[-4:])
    assert tickets == [t["attitude"]] and conversations == [PHONE_CALL]
    # a ticket number (as typed, lower case with spaces) finds the ticket and its call
    spoken = " ".join([t["attitude"][:5].lower(), t["attitude"][5:]])
    assert found(agent, base, q=spoken) == ([t["attitude"]], [PHONE_CALL])
    # a conversation id, whole or in part
    assert found(agent, base, q=WEB)[1] == [WEB]
    assert found(agent, base, q=WEB[:8])[1] == [WEB]
    # channel, status, category
    tickets, conversations = found(agent, base, channel="phone")
    assert set(tickets) == {t["attitude"], t["late"]}
    assert set(conversations) == {PHONE_CALL, WAITING[2]}
    assert found(agent, base, status="incomplete") == ([t["attitude"]], [])
    tickets, conversations = found(agent, base, status="handed_off")
    assert tickets == [] and set(conversations) == {WEB, PHONE_CALL}
    assert found(agent, base, category="staff_attitude") == ([t["attitude"]], [PHONE_CALL])
    assert set(found(agent, base, status="open")[1]) == set(WAITING)  # still with a person
    # date range (company days)
    today = datetime.now(company_timezone()).date()
    tickets, _ = found(agent, base, **{"from": str(today - timedelta(days=4)),
                                      "to": str(today - timedelta(days=2))})
    assert tickets == [t["late"]]
    assert found(agent, base, **{"from": str(today + timedelta(days=1))}) == ([], [])
    # hostile or empty input finds nothing and breaks nothing
    for query in ({"q": "<script>"}, {"from": "2026-13-45"}, {"channel": "fax"}, {}):
        answer = agent.get(f"{base}/search", params=query, timeout=10)
        assert answer.status_code == 200 and "<script>" not in answer.text


def test_search_results_and_ticket_lists_are_paginated(site) -> None:  # type: ignore[no-untyped-def]
    base, _, client = site
    tickets = build_ticket_service(redis_client=client, plan_callbacks=False)
    for n in range(23):
        tickets.create_ticket(TicketRequest(
            conversation_id=f"bulk-{n}", channel="rest", category="inquiry", surname="赵",
            phone=f"1590000{n:04d}", description="咨询发票"), f"bulk:{n}")
    agent = login(base, "agent1")
    first, _ = found(agent, base, channel="rest")
    second, _ = found(agent, base, channel="rest", tp="2")
    assert len(first) == 20 and len(second) == 3 and not set(first) & set(second)
    page = agent.get(f"{base}/search", params={"channel": "rest"}, timeout=10).text
    assert "共 23 条" in page and 'href="/search?channel=rest&amp;tp=2"' in page
    listed = agent.get(f"{base}/tickets", params={"page": "2"}, timeout=10).text
    assert "下一页" not in listed and "上一页" in listed


def test_the_queue_is_sorted_by_priority_then_waiting_time(site) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = site
    agent = login(base, "agent1")
    order = [h["conversation_id"] for h in
             agent.get(f"{base}/api/handoffs", timeout=10).json()["handoffs"]]
    # priority ones first, longest waiting first (the call waited ~40 minutes), then the rest
    assert order == [PHONE_CALL, WAITING[0], WAITING[2], WAITING[1]]
    page = agent.get(f"{base}/handoffs", timeout=10).text
    assert [m for m in re.findall(r'tr class="handoff[^"]*" data-conversation="([^"]+)"', page)
            ] == order
    live = agent.get(f"{base}/handoffs/live", timeout=10)
    assert live.status_code == 200 and "<html" not in live.text and WAITING[1] in live.text
    claimed = agent.get(f"{base}/handoffs", params={"view": "claimed"}, timeout=10).text
    assert WEB in claimed and "已由" not in claimed and "agent1(我)" in claimed


def test_every_figure_on_the_page_agrees_with_its_records(site) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = site
    supervisor = login(base, "super1")
    figures = supervisor.get(f"{base}/api/figures", params={"days": "7"}, timeout=10).json()
    page = supervisor.get(f"{base}/figures", params={"days": "7"}, timeout=10).text

    def records(figure: str, part: str = "") -> int:
        answer = supervisor.get(f"{base}/api/figures/records", timeout=10,
                                params={"days": "7", "figure": figure, "part": part})
        assert answer.status_code == 200
        return answer.json()["count"]

    total = figures["complaints"]["total"]
    assert total == records("complaints") >= 4
    assert figures["complaints"]["incomplete"] == records("complaints", "incomplete") == 1
    assert figures["handoffs"]["total"] == records("handoffs")
    assert figures["conversations"]["total"] == records("conversations")
    assert figures["containment"]["contained"] == records("containment")
    assert figures["first_contact"]["resolved"] == records("first_contact")
    assert figures["callbacks"]["on_time"] == records("callbacks", "on_time")
    assert figures["callbacks"]["late"] == records("callbacks", "late")
    assert figures["satisfaction"]["rated"] == records("satisfaction")
    kpi = re.search(r'id="kpi-complaints">.*?class="value">(\d+)<', page, re.S)
    assert kpi and int(kpi.group(1)) == figures["complaints"]["total"]
    drill = supervisor.get(f"{base}/figures/records", timeout=10,
                           params={"days": "7", "figure": "complaints"}).text
    assert f'id="record-count">{total}<' in drill
    assert drill.count('class="record"') == min(total, 20)  # one page
    attitude = supervisor.get(f"{base}/figures/records", timeout=10, params={
        "days": "7", "figure": "complaints", "part": "staff_attitude"}).text
    assert 'id="record-count">1<' in attitude and "服务态度" in attitude and "信息不全" in attitude
    for bad in ({"figure": "nope"}, {"figure": "callbacks", "part": "nope"}, {"days": "9"}):
        assert supervisor.get(f"{base}/figures/records", params={"days": "7", **bad},
                              timeout=10).status_code == 400
    assert login(base, "agent1").get(f"{base}/figures/records", params={
        "days": "7", "figure": "complaints"}, timeout=10).status_code == 403


def test_exports_use_the_same_labels_and_company_time(site) -> None:  # type: ignore[no-untyped-def]
    base, seeded, _ = site
    agent = login(base, "agent1")
    export = agent.get(f"{base}/tickets/export.csv", timeout=10)
    assert export.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["工单号", "创建时间", "渠道", "类别", "状态"]
    complaint = next(r for r in rows if r[0] == seeded.tickets["complaint"])
    assert complaint[2:5] == ["在线客服", "商品质量问题", "待处理"]
    assert re.fullmatch(r"\d{1,2}月\d{1,2}日 \d{2}:\d{2}", complaint[1])
    assert "open" not in export.text and WEB_PHONE not in export.text
    data = agent.get(f"{base}/api/conversations/{WEB}", timeout=10).json()
    assert {t["speaker_label"] for t in data["turns"]} == {"客户", "机器人", "人工客服"}
    assert all(re.fullmatch(r"\d{1,2}月\d{1,2}日 \d{2}:\d{2}", t["time_text"])
               for t in data["turns"])
    assert data["handoff"]["reason_label"] == "客户要求人工"
    queue = agent.get(f"{base}/api/handoffs", timeout=10).json()["handoffs"]
    assert {h["reason_label"] for h in queue} >= {"客户情绪激动", "多次未能理解"}


def test_pages_forbid_inline_scripts_and_framing(site) -> None:  # type: ignore[no-untyped-def]
    base, seeded, _ = site
    agent = login(base, "agent1")
    for path in ["/handoffs", f"/conversations/{WEB}", "/search?q=<img src=x>",
                 f"/tickets/{seeded.tickets['complaint']}", "/login"]:
        answer = agent.get(base + path, timeout=10)
        policy = answer.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert "<script>" not in answer.text and "onclick" not in answer.text, path
        assert "<img src=x>" not in answer.text
    assert agent.get(f"{base}/static/console.css", timeout=10).status_code == 200
