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
