"""Refusals and system notes written for agents (Chinese), from the domain's codes."""

from __future__ import annotations

import re

from bot.callbacks.agents import CallbackHeld
from bot.callbacks.scheduler import CallbackNotFound, CallbackStateError
from bot.tickets.errors import (
    InvalidTransition,
    StoreUnavailable,
    TicketError,
    TicketNotFound,
    ValidationFailed,
)
from console.labels import Labels
from console.timefmt import TimeFormat

FIELD_ERRORS = {
    "time_in_past": "改期时间必须在将来",
    "time_too_far": "改期时间太远",
    "outside_business_hours": "改期时间必须在营业时间内",
    "quiet_hours": "改期时间在免打扰时段内",
    "invalid_outcome": "无效的回访结果",
    "required": "请填写必填项",
    "too_long": "内容太长",
    "invalid": "无效的取值",
    "invalid_satisfaction": "满意度须为 1 到 5 分",
    "invalid_phone": "电话号码格式不正确",
    "invalid_severity": "无效的严重度",
}
_BELOW = re.compile(r"satisfaction (\d+) below (\d+)")


def error_message(exc: Exception, labels: Labels | None = None) -> str:
    if isinstance(exc, ValidationFailed):
        return ";".join(FIELD_ERRORS.get(e.code, e.code) for e in exc.errors) or "输入有误"
    if isinstance(exc, CallbackHeld):
        return f"该回访已由 {exc.holder} 认领,或正在由系统拨打"
    if isinstance(exc, CallbackNotFound):
        return "没有这个回访"
    if isinstance(exc, CallbackStateError):
        return "该回访当前不能执行此操作(未认领或已结束)"
    if isinstance(exc, InvalidTransition):
        below = _BELOW.search(str(exc))
        if below:
            return f"客户满意度 {below.group(1)} 分,低于 {below.group(2)} 分,暂不能关闭工单"
        if "top tier" in str(exc):
            return "已是最高处理层级,不能再升级"
        if labels is not None and exc.from_status != "?":
            return (f"工单当前为「{labels.of('ticket_status', exc.from_status)}」,"
                    f"不能改为「{labels.of('ticket_status', exc.to_status)}」")
        return "当前状态下不能执行此操作"
    if isinstance(exc, TicketNotFound):
        return "没有这个工单"
    if isinstance(exc, StoreUnavailable):
        return "工单系统暂时无法连接,请稍后再试"
    if isinstance(exc, TicketError):
        return "操作失败,请稍后再试"
    if isinstance(exc, ValueError):
        return "输入有误"
    return "操作失败"


_OWNER = re.compile(r"^owner: (.*) -> (.*)$")
_SEVERITY = re.compile(r"^severity: (\w+) -> (\w+)(?: \((.*)\))?$")
_SATISFACTION = re.compile(r"^satisfaction (\d)$")
_CALLBACK = re.compile(r"^callback (\S+?):(\d+): (\w+)$")
_DEADLINE = re.compile(r"^deadline (\S+) passed at tier (\w+)$")
_ESCALATED = re.compile(r"^escalated from tier (\w+)$")


def note_text(text: str, labels: Labels, fmt: TimeFormat) -> str:
    """A note or history remark as people read it: the ones the system writes (owner,
    severity, satisfaction, callback result, escalation) in words; agents' notes as typed."""
    if text == "created":
        return "创建工单"
    found = _OWNER.match(text)
    if found:
        return f"负责人:{labels.actor(found.group(1))} → {labels.actor(found.group(2))}"
    found = _SEVERITY.match(text)
    if found:
        old, new, why = found.groups()
        words = f"严重度:{labels.of('severity', old)} → {labels.of('severity', new)}"
        return f"{words}({why})" if why else words
    found = _SATISFACTION.match(text)
    if found:
        return f"客户满意度评价 {found.group(1)} 分"
    found = _CALLBACK.match(text)
    if found:
        return f"第 {found.group(2)} 次回访:{labels.of('callback_outcome', found.group(3))}"
    found = _DEADLINE.match(text)
    if found:
        return (f"期限 {fmt.when(found.group(1))} 已过,"
                f"由「{labels.of('tier', found.group(2))}」自动升级")
    found = _ESCALATED.match(text)
    if found:
        return f"由「{labels.of('tier', found.group(1))}」升级"
    return text
