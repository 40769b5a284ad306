"""Refusals written for agents (Chinese), from the domain's error codes."""

from __future__ import annotations

from bot.callbacks.agents import CallbackHeld
from bot.callbacks.scheduler import CallbackNotFound, CallbackStateError
from bot.tickets.errors import ValidationFailed

FIELD_ERRORS = {
    "time_in_past": "改期时间必须在将来",
    "time_too_far": "改期时间太远",
    "outside_business_hours": "改期时间必须在营业时间内",
    "quiet_hours": "改期时间在免打扰时段内",
    "invalid_outcome": "无效的回访结果",
    "required": "请填写必填项",
    "too_long": "内容太长",
    "invalid": "无效的取值",
}


def error_message(exc: Exception) -> str:
    if isinstance(exc, ValidationFailed):
        return ";".join(FIELD_ERRORS.get(e.code, e.code) for e in exc.errors) or "输入有误"
    if isinstance(exc, CallbackHeld):
        return f"该回访已由 {exc.holder} 认领,或正在由系统拨打"
    if isinstance(exc, CallbackNotFound):
        return "没有这个回访"
    if isinstance(exc, CallbackStateError):
        return "该回访当前不能执行此操作(未认领或已结束)"
    return "操作失败"
