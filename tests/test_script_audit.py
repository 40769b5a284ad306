"""The script audit (bot/script_audit.py) on hand-written tracker events."""

from __future__ import annotations

from bot.script_audit import audit_transcript

OPENING = {"event": "bot", "text": "您好,欢迎光临……", "metadata": {"utter_action": "utter_opening"}}
CLOSING = {"event": "bot", "text": "很高兴为您服务,再见!",
           "metadata": {"utter_action": "utter_closing"}}
USER = {"event": "user", "text": "我的洗衣机坏了", "parse_data": {"intent": {"name": "complaint"}}}


def kinds(events):  # type: ignore[no-untyped-def]
    return [f.kind for f in audit_transcript("c1", events).findings]


def test_a_scripted_conversation_passes() -> None:
    assert kinds([{"event": "session_started"}, OPENING, USER, CLOSING]) == []


def test_missing_opening_and_closing_are_flagged() -> None:
    other = {"event": "bot", "text": "请问还有其他可以帮您的吗?",
             "metadata": {"utter_action": "utter_anything_else"}}
    assert kinds([USER, other]) == ["missing_opening", "missing_closing"]


def test_a_handed_off_session_needs_no_closing_line() -> None:
    handed = {"event": "slot", "name": "handed_off", "value": True}
    assert kinds([OPENING, USER, handed]) == []


def test_text_matches_domain_templates_when_metadata_is_missing() -> None:
    domain = {"responses": {"utter_opening": [{"text": "您好,欢迎光临{company_name}在线客服"}],
                            "utter_closing": [{"text": "很高兴为您服务,再见!"}]}}
    events = [{"event": "bot", "text": "您好,欢迎光临某某公司在线客服"}, USER,
              {"event": "bot", "text": "很高兴为您服务,再见!"}]
    assert audit_transcript("c1", events, domain=domain).passed


def test_forbidden_phrase_in_an_agent_turn_is_found_despite_spacing() -> None:
    agent = {"event": "bot", "text": "喂 , 说话 呀!", "metadata": {"agent": "王五"}}
    result = audit_transcript("c1", [OPENING, USER, agent, CLOSING])
    assert [(f.kind, f.detail, f.turn) for f in result.findings] == [
        ("forbidden_phrase", "喂,说话呀", 2)
    ]
    assert not result.to_dict()["passed"]


def test_each_session_is_audited() -> None:
    events = [OPENING, USER, CLOSING, {"event": "session_started"}, USER,
              {"event": "bot", "text": "好的", "metadata": {"utter_action": "utter_ok"}}]
    assert [(f.kind, f.session) for f in audit_transcript("c1", events).findings] == [
        ("missing_opening", 1), ("missing_closing", 1)
    ]


def test_rasa_order_opening_before_session_started_is_one_session() -> None:
    events = [{"event": "slot", "name": "session_started_metadata", "value": {}},
              {"event": "action", "name": "action_session_start"}, OPENING,
              {"event": "session_started"}, USER, CLOSING,
              {"event": "action", "name": "action_session_start"}, OPENING,
              {"event": "session_started"}, USER, CLOSING]
    assert kinds(events) == []


# -- nothing after a closing line ---------------------------------------------------------
ASK_SURNAME = {"event": "bot", "text": "请问您贵姓?",
               "metadata": {"utter_action": "utter_ask_surname"}}


def test_a_line_after_the_closing_line_is_flagged_once_per_line() -> None:
    """Issue 14: the complaint form survived `再见` and asked its question again."""
    goodbye = {"event": "user", "text": "算了算了,不说了,再见",
               "parse_data": {"intent": {"name": "goodbye"}}}
    events = [OPENING, USER, ASK_SURNAME, goodbye, CLOSING, ASK_SURNAME]
    result = audit_transcript("c1", events)
    assert [(f.kind, f.detail, f.turn) for f in result.findings] == [
        ("spoke_after_closing", "请问您贵姓?", 5)
    ]


def test_a_line_after_the_closing_line_in_a_later_turn_of_the_session_is_flagged() -> None:
    events = [OPENING, USER, CLOSING, USER, ASK_SURNAME,
              {"event": "bot", "text": "您好,请问有什么可以帮助您?",
               "metadata": {"utter_action": "utter_greet_short"}}]
    assert kinds(events) == ["spoke_after_closing", "spoke_after_closing"]


def test_a_new_session_after_the_closing_line_is_not_speaking_after_it() -> None:
    events = [OPENING, USER, CLOSING, {"event": "restart"},
              {"event": "action", "name": "action_session_start"}, OPENING,
              {"event": "session_started"}, USER, CLOSING]
    assert kinds(events) == []


def test_nothing_may_be_said_after_the_caller_hung_up_but_no_closing_is_needed() -> None:
    hangup = {"event": "user", "text": "/hangup", "parse_data": {"intent": {"name": "hangup"}}}
    assert kinds([OPENING, USER, ASK_SURNAME, hangup]) == []
    assert kinds([OPENING, USER, ASK_SURNAME, hangup, ASK_SURNAME]) == ["spoke_after_hangup"]


def test_a_live_conversation_needs_its_closing_line_only_once_it_has_ended() -> None:
    open_events = [OPENING, USER, ASK_SURNAME]
    assert audit_transcript("c1", open_events, live=True).passed
    assert kinds(open_events) == ["missing_closing"]  # the console audits ended ones
    closed = {"event": "slot", "name": "session_closed", "value": True}
    assert [f.kind for f in audit_transcript("c1", open_events + [closed], live=True)
            .findings] == ["missing_closing"]
    over = {"status": "completed", "hung_up_by": "none"}
    assert [f.kind for f in audit_transcript("c1", open_events, live=True, call=over)
            .findings] == ["missing_closing"]
    later = open_events + [{"event": "action", "name": "action_session_start"}, OPENING, USER]
    assert [(f.kind, f.session) for f in audit_transcript("c1", later, live=True).findings] == [
        ("missing_closing", 0)
    ]


# -- no unfilled or blank values -----------------------------------------------------------
DOMAIN = {"responses": {
    "utter_ticket_created": [
        {"text": "{address_as},您的问题已登记,工单号是 {ticket_id}。"
                 "我们会在 {ticket_promised_time} 前给您回电答复。"},
        {"text": "{address_as},您的问题已登记,工单号是 {ticket_id}。我们会尽快给您回电答复。"},
    ],
    "utter_order_status": [{"text": "您的订单 {order_number} 当前状态:{order_status_text}。"}],
    "utter_closing": [{"text": "很高兴为您服务,再见!"}],
}}


def said(response: str, text: str) -> dict:
    return {"event": "bot", "text": text, "metadata": {"utter_action": response}}


def unfilled(*events: dict) -> list[tuple[str, str]]:
    result = audit_transcript("c1", [OPENING, USER, *events], domain=DOMAIN, live=True)
    return [(f.kind, f.detail) for f in result.findings]


def test_a_slot_left_in_the_text_is_flagged() -> None:
    text = "您的订单 {order_number} 当前状态:已发货。"
    assert unfilled(said("utter_order_status", text)) == [
        ("unfilled_value", f"{{order_number}} left in the text: {text}")
    ]


def test_a_placeholder_filled_with_a_blank_value_is_flagged() -> None:
    """Issue 14: `我们会在 前给您回电答复` — the promised time was empty."""
    text = "王先生,您的问题已登记,工单号是 T202611010001。我们会在  前给您回电答复。"
    assert unfilled(said("utter_ticket_created", text)) == [
        ("unfilled_value", f"utter_ticket_created: {{ticket_promised_time}} is blank: {text}")
    ]


def test_none_and_empty_values_are_blank_and_the_line_is_found_without_its_name() -> None:
    text = "None,您的问题已登记,工单号是 T202611010001。我们会尽快给您回电答复。"
    assert [k for k, _ in unfilled(said("utter_ticket_created", text))] == ["unfilled_value"]
    blank = "您的订单  当前状态:已发货。"
    repeated = {"event": "bot", "text": blank}  # no response name: every response is tried
    assert unfilled(repeated) == [
        ("unfilled_value", f"utter_order_status: {{order_number}} is blank: {blank}")
    ]


def test_filled_lines_and_the_variation_without_the_value_pass() -> None:
    assert unfilled(
        said("utter_ticket_created", "王先生,您的问题已登记,工单号是 T202611010001。"
             "我们会在 11月24日 18:00 前给您回电答复。"),
        said("utter_ticket_created",
             "王先生,您的问题已登记,工单号是 T202611010001。我们会尽快给您回电答复。"),
        said("utter_order_status", "您的订单 DD20261101001 当前状态:已发货,预计明天送达。"),
        said("utter_something_new", "一句域里没有的话"),
    ) == []
