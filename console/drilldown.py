"""The records behind one figure of the figures page (bot.figures.Selection, the same
selection the figure was counted from), as rows for the drill-down page and its JSON."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.figures import CallbackTiming, ComplaintRecord, EndedConversation, Selection
from console.labels import Labels
from console.timefmt import TimeFormat

FIGURES = ("conversations", "containment", "first_contact", "handoffs", "complaints",
           "callbacks", "satisfaction")


def _conversation(c: EndedConversation, labels: Labels, fmt: TimeFormat) -> dict[str, Any]:
    result = "handed_off" if c.handed_off else "contained" if c.served else "unserved"
    return {"conversation_id": c.conversation_id, "channel": labels.of("channel", c.channel),
            "at": fmt.when(c.ended_at), "result": labels.of("conversation_result", result),
            "result_code": result,
            "satisfaction": c.satisfaction if c.satisfaction is not None else ""}


def _ticket(t: ComplaintRecord, labels: Labels, fmt: TimeFormat) -> dict[str, Any]:
    return {"number": t.number, "category": labels.of("category", t.category),
            "status": labels.of("ticket_status", t.status), "status_code": t.status,
            "at": fmt.when(t.created_at), "conversation_id": t.conversation_id,
            "satisfaction": t.satisfaction if t.satisfaction is not None else ""}


def _callback(c: CallbackTiming, verdict: str, fmt: TimeFormat) -> dict[str, Any]:
    return {"callback_id": c.callback_id, "ticket": c.callback_id.split("-")[0],
            "due": fmt.when(c.due_at), "first_call": fmt.when(c.first_attempt_at) or "未拨打",
            "verdict": verdict}


def records_of(
    chosen: Selection, figure: str, part: str, day: str, labels: Labels, fmt: TimeFormat,
    tz: ZoneInfo,
) -> dict[str, Any] | None:
    """{title, kind, rows} for `figure` (and `part` of it), None for an unknown part."""
    def conversations(items: list[EndedConversation], title: str) -> dict[str, Any]:
        return {"title": title, "kind": "conversations",
                "rows": [_conversation(c, labels, fmt) for c in reversed(items)]}

    if figure == "conversations":
        items = chosen.conversations
        title = "结束的会话"
        if part:
            items = [c for c in items if c.channel == part]
            title += f" · {labels.of('channel', part)}"
        if day:
            items = [c for c in items if c.ended_at.astimezone(tz).date().isoformat() == day]
            title += f" · {fmt.day(items[0].ended_at) if items else day}"
        return conversations(items, title)
    if figure in ("containment", "first_contact"):
        kept = chosen.contained if figure == "containment" else chosen.first_contact
        name = "机器人解决" if figure == "containment" else "一次解决"
        if part == "not":
            ids = {c.conversation_id for c in kept}
            return conversations([c for c in chosen.conversations
                                  if c.conversation_id not in ids], f"未{name}的会话")
        return conversations(kept, f"{name}的会话") if not part else None
    if figure == "handoffs":
        items = [h for h in chosen.handoffs if not part or h.reason == part]
        title = "转人工" + (f" · {labels.of('handoff_reason', part)}" if part else "")
        return {"title": title, "kind": "handoffs", "rows": [
            {"conversation_id": h.conversation_id, "reason": labels.of("handoff_reason", h.reason),
             "channel": labels.of("channel", h.channel), "at": fmt.when(h.created_at)}
            for h in reversed(items)]}
    if figure == "complaints":
        if part == "incomplete":
            items, title = [c for c in chosen.complaints if c.status == "incomplete"], \
                "投诉 · 信息不全"
        else:
            items = [c for c in chosen.complaints if not part or c.category == part]
            title = "投诉" + (f" · {labels.of('category', part)}" if part else "")
        return {"title": title, "kind": "tickets",
                "rows": [_ticket(c, labels, fmt) for c in reversed(items)]}
    if figure == "callbacks":
        groups = {"on_time": ("准时", chosen.callbacks_on_time),
                  "late": ("迟到或未回访", chosen.callbacks_late),
                  "waiting": ("尚未到判断时间", chosen.callbacks_waiting)}
        if part and part not in groups:
            return None
        rows = [_callback(c, verdict, fmt) for key, (verdict, items) in groups.items()
                if not part or key == part for c in items]
        title = "回访" + (f" · {groups[part][0]}" if part else "")
        return {"title": title, "kind": "callbacks", "rows": rows}
    if figure == "satisfaction":
        if part == "tickets":
            return {"title": "工单满意度评价", "kind": "tickets",
                    "rows": [_ticket(c, labels, fmt) for c in reversed(chosen.tickets_rated)]}
        if part and part not in {"1", "2", "3", "4", "5"}:
            return None
        items = [c for c in chosen.rated if not part or str(c.satisfaction) == part]
        return conversations(items, "满意度评价" + (f" · {part} 分" if part else ""))
    return None
