"""Script-audit findings written for supervisors (the audit's details are for machines)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from console.labels import Labels

_EARLY = re.compile(r"^([\d.]+)s after the closing line \(([\w-]+): ([\d.]+)s\)$")


def describe(finding: Mapping[str, Any], labels: Labels) -> str:
    """One sentence: what is wrong, with the line or the phrase concerned."""
    kind, detail = str(finding.get("kind") or ""), str(finding.get("detail") or "")
    if kind == "forbidden_phrase":
        return f"使用了服务禁语「{detail}」"
    if kind == "missing_opening":
        return f"第一句不是标准开场白:「{detail}」" if detail else "缺少标准开场白"
    if kind == "missing_closing":
        return f"最后一句不是标准结束语:「{detail}」" if detail else "缺少标准结束语"
    if kind == "bot_hung_up_first":
        if detail == "no closing line":
            return "机器人未说结束语就先挂断了电话"
        early = _EARLY.match(detail)
        if early:
            waited, _, required = early.groups()
            return (f"机器人在结束语后 {float(waited):g} 秒就挂断了电话"
                    f"(应至少等待 {float(required):g} 秒,让客户先挂断)")
        return "机器人先挂断了电话"
    return labels.of("audit_finding", kind)


def labelled(findings: dict[str, Any], labels: Labels) -> dict[str, Any]:
    """The audit result with `kind_label` and `text` on each finding (pages and exports)."""
    for finding in findings.get("findings") or []:
        finding["kind_label"] = labels.of("audit_finding", finding.get("kind"))
        finding["text"] = describe(finding, labels)
    if findings.get("hung_up_by"):
        findings["hung_up_by_label"] = labels.of("hung_up_by", findings["hung_up_by"])
    return findings
