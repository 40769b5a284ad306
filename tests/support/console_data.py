"""A day at the hotline, written into a real Redis by the real services: conversations
(web chat and phone, with hand-offs, a ticket, a survey score, silence, a take-over and a
forbidden phrase), waiting and taken hand-offs, tickets (one an incomplete staff-attitude
complaint), callbacks (one overdue) and ended-conversation outcomes. For the console's
browser walk and search tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis

from bot.callbacks.policy import callback_policy_from_config
from bot.clock import ManualClock, company_timezone
from bot.config import hotline_config
from bot.handoffs import HandoffQueue
from bot.outcomes import ConversationOutcomes
from bot.tickets.model import TicketRequest
from bot.wiring import attach_scheduler, build_ticket_service

WEB = "7f3a9c2e-5d41-4b8e-9a06-1c2d3e4f5a6b"  # a web chat session id
PHONE_CALL = "CA8f14e45fceea167a5a36dedd4bea2543"  # a phone call's CallSid
FLAGGED = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"  # an agent said a forbidden phrase
WAITING = ("c0ffee00-1111-4aaa-8bbb-000000000001", "c0ffee00-2222-4aaa-8bbb-000000000002",
           "CA00112233445566778899aabbccddeeff")
WEB_PHONE, CALL_PHONE, ANGRY_PHONE = "13812345678", "13987654321", "13700001234"


@dataclass(frozen=True)
class Seeded:
    tickets: dict[str, str]  # role in the story -> ticket number
    callbacks: dict[str, str]  # role -> callback id
    conversations: dict[str, str]


def _bot(text: str, at: float, action: str = "", **extra: Any) -> dict[str, Any]:
    return {"event": "bot", "text": text, "timestamp": at,
            "metadata": {"utter_action": action} if action else {}, **extra}


def _user(text: str, at: float, intent: str, confidence: float, channel: str,
          entities: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"event": "user", "text": text, "timestamp": at, "input_channel": channel,
            "parse_data": {"intent": {"name": intent, "confidence": confidence},
                           "entities": entities or [], "text": text}, **extra}


def _control(event: str, at: float, **data: Any) -> dict[str, Any]:
    return {"event": "bot", "text": None, "timestamp": at,
            "data": {"custom": {"hotline": {"event": event, **data}}}, "metadata": {}}


def _action(name: str, at: float) -> dict[str, Any]:
    return {"event": "action", "name": name, "timestamp": at}


def _slot(name: str, value: Any, at: float) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value, "timestamp": at}


def _tracker(client: redis.Redis[bytes], cid: str, events: list[dict[str, Any]]) -> None:
    client.set(f"hotline:tracker:{cid}",
               json.dumps({"sender_id": cid, "events": events}, ensure_ascii=False))


def seed(client: redis.Redis[bytes]) -> Seeded:
    tz = company_timezone()
    now = datetime.now(tz)
    start = now - timedelta(minutes=50)
    t0 = start.timestamp()
    clock = ManualClock(start)
    tickets = build_ticket_service(redis_client=client, plan_callbacks=False, clock=clock)
    scheduler = attach_scheduler(tickets, redis_client=client,
                                 policy=callback_policy_from_config(hotline_config()))
    handoffs = HandoffQueue(client, clock)
    outcomes = ConversationOutcomes(client, clock)

    # 1. A web chat complaint: a ticket, a hand-off, a take-over and a survey score.
    complaint = tickets.create_ticket(TicketRequest(
        conversation_id=WEB, channel="webchat", category="product_fault", surname="王",
        title="先生", phone=WEB_PHONE, description=f"冰箱买了两天就不制冷了,电话{WEB_PHONE}",
        order_number="SO20261128001", complaint_target="冰箱"), f"seed:{WEB}").ticket
    assert complaint is not None
    web = [
        _action("action_session_start", t0), {"event": "session_started", "timestamp": t0},
        _slot("channel", "webchat", t0),
        _bot("您好,欢迎光临优品商城客户服务热线,我是客服代表小优,请问有什么可以帮您?", t0 + 1,
             "utter_opening"),
        _user("我买的冰箱两天就不制冷了,太气人了", t0 + 20, "complaint", 0.91, "webchat",
              [{"entity": "product", "value": "冰箱"}]),
        _action("complaint_form", t0 + 21),
        _bot("非常抱歉给您带来不便。请问您贵姓?", t0 + 22, "utter_ask_surname"),
        _user("姓王", t0 + 35, "inform", 0.97, "webchat", [{"entity": "surname", "value": "王"}]),
        _bot("王先生,请留一个方便联系您的电话。", t0 + 36, "utter_ask_phone_number"),
        _user(f"{WEB_PHONE}", t0 + 50, "inform", 0.99, "webchat",
              [{"entity": "phone_number", "value": WEB_PHONE}]),
        _slot("ticket_id", complaint.number, t0 + 52),
        _bot(f"已为您登记,工单号 {complaint.number},我们会在 2 小时内给您回电。", t0 + 53,
             "utter_ticket_created"),
        _user("我要找人工", t0 + 70, "request_human", 0.95, "webchat"),
        _action("action_handoff", t0 + 71),
        _bot("好的,正在为您转接人工客服,请稍等。", t0 + 72, "utter_handoff"),
        _control("handoff", t0 + 72, reason="request_human", priority=False,
                 ticket_id=complaint.number),
        _slot("handed_off", True, t0 + 72),
        {"event": "pause", "timestamp": t0 + 120},
        _control("takeover", t0 + 120, agent="agent1"),
        {**_bot("王先生您好,我是人工客服,已为您加急处理,师傅明天上午上门。", t0 + 140),
         "metadata": {"agent": "agent1"}},
        _user("好的,谢谢", t0 + 160, "thank", 0.88, "webchat"),
        {"event": "resume", "timestamp": t0 + 170}, _control("handback", t0 + 170, agent="agent1"),
        _bot("请您对本次服务做个评价,1 分到 5 分,5 分为非常满意。", t0 + 171, "utter_ask_rating",
             data={"quick_replies": [{"title": "5 非常满意", "payload": "/inform"},
                                     {"title": "1 很不满意", "payload": "/inform"}]}),
        _user("/inform", t0 + 180, "inform", 1.0, "webchat",
              metadata={"display_text": "5 非常满意"}),
        _slot("satisfaction", 5.0, t0 + 181),
        _bot("很高兴为您服务,再见!", t0 + 182, "utter_closing"),
        _control("end", t0 + 182, reason="goodbye"),
    ]
    _tracker(client, WEB, web)
    handoffs.hand_off(WEB, "request_human", "webchat", caller_phone=WEB_PHONE,
                      ticket_id=complaint.number)
    clock.set(start + timedelta(minutes=2))
    handoffs.claim(WEB, "agent1")
    clock.set(start + timedelta(minutes=3))
    outcomes.record_end(WEB, "goodbye", "webchat", served=True, handed_off=True)
    outcomes.record_satisfaction(WEB, 5)

    # 2. A phone call: silence, anger, a priority hand-off; the caller hung up first.
    t1 = t0 + 600
    call = [
        _action("action_session_start", t1), {"event": "session_started", "timestamp": t1},
        _slot("channel", "phone", t1),
        _bot("您好,欢迎致电优品商城客户服务热线,我是客服代表小优。", t1 + 1, "utter_opening"),
        _user("/silence", t1 + 8, "silence", 1.0, "phone"),
        _bot("您好,请问有什么可以帮您?", t1 + 9, "utter_silence_repeat"),
        _user("你们送货员态度太差了,骂人!", t1 + 20, "angry", 0.93, "phone"),
        _bot("请您别着急,慢慢讲,我们会尽力帮您解决。", t1 + 21, "utter_calm_down"),
        _user("我要投诉他,马上给我找人", t1 + 35, "angry", 0.96, "phone"),
        _bot("非常抱歉,马上为您转接人工客服。", t1 + 36, "utter_handoff_priority"),
        _control("handoff", t1 + 36, reason="angry", priority=True),
        _slot("handed_off", True, t1 + 36),
        _user("/hangup", t1 + 60, "hangup", 1.0, "phone"),
    ]
    _tracker(client, PHONE_CALL, call)
    client.hset(f"hotline:call:{PHONE_CALL}", mapping={
        "direction": "inbound", "caller": "*******4321", "hung_up_by": "caller",
        "end_reason": "caller_hangup", "started_at": f"{t1:.3f}"})
    clock.set(start + timedelta(minutes=10, seconds=36))
    handoffs.hand_off(PHONE_CALL, "angry", "phone", caller_phone=CALL_PHONE, priority=True)
    clock.set(start + timedelta(minutes=11))
    outcomes.record_end(PHONE_CALL, "caller_hangup", "phone", served=False, handed_off=True)
    # The same call's staff-attitude complaint, left incomplete when the caller hung up.
    attitude = tickets.create_ticket(TicketRequest(
        conversation_id=PHONE_CALL, channel="phone", category="staff_attitude",
        description="送货员态度差,骂人", phone=CALL_PHONE, incomplete=True, latest_intent="angry"),
        f"seed:{PHONE_CALL}").ticket
    assert attitude is not None

    # 3. A web chat in which an agent used a forbidden phrase (fails the script audit).
    t2 = t0 + 900
    phrase = hotline_config().forbidden_phrases[0]
    _tracker(client, FLAGGED, [
        _bot("您好,欢迎光临优品商城客户服务热线,请问有什么可以帮您?", t2, "utter_opening"),
        _user("我的订单到哪了", t2 + 10, "order_status", 0.89, "webchat"),
        {**_bot(f"{phrase}!", t2 + 30), "metadata": {"agent": "agent2"}},
        _bot("很高兴为您服务,再见!", t2 + 40, "utter_closing"),
    ])
    clock.set(start + timedelta(minutes=16))
    outcomes.record_end(FLAGGED, "goodbye", "webchat", served=True, handed_off=False)
    for n in range(3):  # three contained conversations
        cid = f"5e1f0000-0000-4000-8000-00000000000{n}"
        _tracker(client, cid, [_bot("您好,欢迎光临", t2 + 100 * n, "utter_opening"),
                               _bot("很高兴为您服务,再见!", t2 + 100 * n + 30, "utter_closing")])
        outcomes.record_end(cid, "goodbye", "webchat", served=True, handed_off=False)
        outcomes.record_satisfaction(cid, 4 + n % 2)

    # 4. Waiting hand-offs: a priority one, one waiting long, a fresh one.
    for n, (cid, reason, channel, phone, ago) in enumerate([
        (WAITING[0], "complaint", "webchat", "13600005678", timedelta(minutes=6)),
        (WAITING[1], "repeated_nomatch", "webchat", "", timedelta(seconds=40)),
        (WAITING[2], "angry", "phone", ANGRY_PHONE, timedelta(minutes=1, seconds=30)),
    ]):
        clock.set(now - ago)
        _tracker(client, cid, [_bot("您好,欢迎光临", clock.now().timestamp() - 30, "utter_opening"),
                               _user("转人工", clock.now().timestamp() - 2, "request_human", 0.9,
                                     channel),
                               _control("handoff", clock.now().timestamp(), reason=reason,
                                        priority=n != 1),
                               _slot("handed_off", True, clock.now().timestamp())])
        handoffs.hand_off(cid, reason, channel, caller_phone=phone or None, priority=n != 1)

    # 5. Tickets at other stages, and callbacks (one overdue, one due later today).
    clock.set(now - timedelta(days=3))
    late = tickets.create_ticket(TicketRequest(
        conversation_id="seed-late", channel="phone", category="delivery_delay", surname="李",
        title="女士", phone="13500008888", description="洗衣机下单一周还没送到",
        order_number="SO20261125007"), "seed:late").ticket
    clock.set(now - timedelta(hours=5))
    resolved = tickets.create_ticket(TicketRequest(
        conversation_id="seed-resolved", channel="webchat", category="repair", surname="张",
        title="先生", phone="13300003333", description="空调保修期内维修"), "seed:res").ticket
    assert late is not None and resolved is not None
    tickets.change_status(resolved.number, "resolved", "agent1", "师傅已上门修好")
    clock.set(now - timedelta(hours=2))
    overdue = scheduler.schedule(late.number, "13500008888", now - timedelta(minutes=40),
                                 key="seed-overdue")
    later = now.replace(hour=20, minute=0, second=0, microsecond=0)
    due = scheduler.schedule(complaint.number, WEB_PHONE,
                             later if later > now else now + timedelta(minutes=30),
                             key="seed-today")
    return Seeded(
        tickets={"complaint": complaint.number, "attitude": attitude.number,
                 "late": late.number, "resolved": resolved.number},
        callbacks={"overdue": overdue.id, "due": due.id},
        conversations={"web": WEB, "call": PHONE_CALL, "flagged": FLAGGED},
    )
