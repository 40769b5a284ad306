"""One mapping of codes to the words people read (hotline.yml `console.labels`), complete for
every code the project writes, and one way of writing times (company time zone, `12月2日
12:41`). Pure: no Redis, no processes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.callbacks.model import CallbackStatus
from bot.config import PROJECT_ROOT, hotline_config
from bot.tickets.model import Channel, Severity, TicketStatus
from console.chat import CHANNEL_EVENTS
from console.config import console_config
from console.labels import FALLBACK, labels
from console.timefmt import TimeFormat, duration, instant
from console.users import ROLES

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _labelled(kind: str, codes: set[str]) -> None:
    table = labels().table(kind)
    missing = sorted(c for c in codes if c not in table)
    assert missing == [], f"hotline.yml console.labels.{kind} lacks {missing}"
    assert all(table[c] and not table[c].isascii() for c in codes), (kind, table)


def handoff_reasons() -> set[str]:
    """What action_handoff records: the intent the rules hand off on (nlu_fallback is
    written repeated_nomatch), and the outage path's reason (rasa_extensions/service_down.py)."""
    reasons = set()
    for path in (PROJECT_ROOT / "data").rglob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for flow in (data.get("rules") or []) + (data.get("stories") or []):
            intent = None
            for step in flow.get("steps") or []:
                if "intent" in step:
                    intent = step["intent"]
                elif step.get("action") == "action_handoff" and intent:
                    reasons.add("repeated_nomatch" if intent == "nlu_fallback" else intent)
    source = (PROJECT_ROOT / "rasa_extensions" / "service_down.py").read_text(encoding="utf-8")
    reasons.update(re.findall(r'^HANDOFF_REASON = "(\w+)"', source, re.M))
    return reasons | {"request_human"}  # action_handoff's default


def callback_events() -> set[str]:
    """Every event name the callback queue writes into a callback's log (in Python and in
    its Lua scripts)."""
    folder = PROJECT_ROOT / "bot" / "callbacks"
    source = "\n".join(p.read_text(encoding="utf-8")
                       for p in [folder / "queue.py", *sorted((folder / "lua").glob("*.lua"))])
    return set(re.findall(r'_event\(\s*"(\w+)"', source)) | set(
        re.findall(r"event = '(\w+)'", source))


def test_every_code_the_project_writes_has_a_label() -> None:
    config = hotline_config()
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    _labelled("ticket_status", {s.value for s in TicketStatus})
    _labelled("severity", {s.value for s in Severity})
    _labelled("tier", set(config.sla.escalation_tiers))
    _labelled("channel", {c.value for c in Channel})
    _labelled("role", set(ROLES))
    _labelled("callback_status", {s.value for s in CallbackStatus})
    _labelled("callback_outcome", set(config.callbacks.outcome_codes))
    _labelled("callback_event", callback_events())
    _labelled("callback_kind", {"complaint", "follow_up"})
    _labelled("handoff_reason", handoff_reasons())
    _labelled("audit_finding", {"missing_opening", "missing_closing", "forbidden_phrase",
                                "bot_hung_up_first"})
    _labelled("hung_up_by", {"caller", "bot", "none"})
    events = set(console_config().channel_events) | set(CHANNEL_EVENTS)
    _labelled("event", events | {"handoff", "end", "takeover", "handback", "ticket_created",
                                 "satisfaction", "session_started", "menu"})
    _labelled("intent", set(domain["intents"]) | {"nlu_fallback"})
    _labelled("entity", set(domain["entities"]))
    from actions.closing import END_REASONS

    _labelled("end_reason", set(END_REASONS.values()) | {"goodbye"})
    assert labels().table("category") == config.complaint_categories  # one source


def test_an_unknown_code_reads_as_a_word_never_as_itself() -> None:
    assert labels().of("ticket_status", "made_up") == FALLBACK
    assert labels().of("handoff_reason", "made_up") == "其他原因"  # the kind's `unknown`
    assert labels().of("ticket_status", "") == ""
    assert labels().actor("agent:wang") == "wang" and labels().actor("assistant") == "智能客服"
    assert labels().actor("system:escalation") == "系统自动升级"
    with pytest.raises(KeyError):
        labels().of("no_such_kind", "x")


def test_times_are_written_in_company_time_in_one_format() -> None:
    now = datetime(2026, 12, 2, 6, 0, tzinfo=timezone.utc)
    fmt = TimeFormat(SHANGHAI, now=lambda: now)
    assert fmt.when("2026-12-02T04:41:13+00:00") == "12月2日 12:41"  # a tracker's UTC
    assert fmt.when("2026-12-02T12:41:13.691949+08:00") == "12月2日 12:41"  # a ticket's
    epoch = datetime(2026, 12, 2, 4, 41, 13, tzinfo=timezone.utc).timestamp()
    assert fmt.when(epoch) == "12月2日 12:41"  # Rasa's event timestamps
    assert fmt.when("2025-06-01T00:00:00+00:00") == "2025年6月1日 08:00"  # another year
    assert fmt.when("2026-12-02T04:41:13") == "12月2日 12:41"  # naive = UTC
    assert fmt.when(None) == fmt.when("") == fmt.when("not a time") == ""
    assert fmt.clock("2026-12-02T04:41:13+00:00") == "12:41"
    assert fmt.day("2026-12-02T17:00:00+00:00") == "12月3日"  # after midnight in Shanghai
    assert instant(str(epoch)) == datetime.fromtimestamp(epoch, timezone.utc)
    assert [duration(s) for s in (0, 45, 120, 192, 3600, 7500, 90000)] == [
        "0 秒", "45 秒", "2 分钟", "3 分 12 秒", "1 小时", "2 小时 5 分", "1 天 1 小时"]
    new_york = TimeFormat(ZoneInfo("America/New_York"), now=lambda: now)
    assert new_york.when("2026-12-02T04:41:13+00:00") == "12月1日 23:41"
    assert duration(timedelta(minutes=3).total_seconds()) == "3 分钟"


def test_the_company_time_zone_comes_from_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert console_config().tz == SHANGHAI  # the shipped default
    raw = yaml.safe_load((PROJECT_ROOT / "hotline.yml").read_text(encoding="utf-8"))
    raw["business_hours"]["timezone"] = "Asia/Urumqi"
    path = tmp_path / "hotline.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("HOTLINE_CONFIG", str(path))
    assert console_config().tz == ZoneInfo("Asia/Urumqi")
