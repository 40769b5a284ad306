"""No line is sent with a missing value (rasa_extensions/nlg.py, bot/responses.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot.responses import can_be_said, placeholders
from rasa_extensions.nlg import CompleteResponseNLG

ROOT = Path(__file__).resolve().parent.parent


def generate(nlg: CompleteResponseNLG, domain: Domain, response: str, **values: object) -> str:
    tracker = DialogueStateTracker.from_events("t", [], domain.slots)
    message = asyncio.run(nlg.generate(response, tracker, "rest", **values))
    return "" if message is None else str(message["text"])


def test_placeholders_ignore_the_escaped_braces_of_payloads() -> None:
    assert placeholders("工单号是 {ticket_id},{{\"rating\":\"5\"}}") == ["ticket_id"]
    assert can_be_said({"text": "在 {t} 前"}, {"t": "12月3日"})
    assert not can_be_said({"text": "在 {t} 前"}, {"t": " "})
    assert not can_be_said({"text": "在 {t} 前"}, {})


def test_the_fullest_line_is_said_and_the_fallback_only_without_the_value() -> None:
    domain = Domain.load(str(ROOT / "domain.yml"))
    nlg = CompleteResponseNLG(domain=domain)
    with_time = {"address_as": "王先生", "ticket_id": "T202612020001",
                 "ticket_promised_time": "12月03日 18:00"}
    for _ in range(20):  # not a random pick between the two
        assert "12月03日 18:00 前给您回电" in generate(nlg, domain, "utter_ticket_created",
                                                      **with_time)
    without = generate(nlg, domain, "utter_ticket_created", address_as="王先生",
                       ticket_id="T202612020001", ticket_promised_time="")
    assert without == "王先生,您的问题已登记,工单号是 T202612020001。我们会尽快给您回电答复。"


def test_a_response_that_cannot_be_said_whole_is_not_sent() -> None:
    domain = Domain.load(str(ROOT / "domain.yml"))
    nlg = CompleteResponseNLG(domain=domain)
    assert generate(nlg, domain, "utter_corrected_surname") == ""  # no address_as known


def test_every_response_can_be_said_whole_from_its_slots_and_the_values_actions_pass() -> None:
    """Each `{value}` a response names is a slot of the domain or a value some action
    passes (by name, in actions/); a typo would leave a blank forever."""
    domain = Domain.load(str(ROOT / "domain.yml"))
    slots = {slot.name for slot in domain.slots}
    action_source = "\n".join(p.read_text(encoding="utf-8")
                              for p in (ROOT / "actions").glob("*.py"))
    for name, variants in domain.responses.items():
        for variant in variants:
            for value in placeholders(str(variant.get("text") or "")):
                assert value in slots or value in action_source, (name, value)
