"""Templates of the callbacks, figures and printable-transcript pages (Jinja2, autoescaped),
added to the console's template environment (bot/console/templates.py)."""

from __future__ import annotations

from bot.console.templates import ENV
from bot.tickets.model import Severity

OUTCOME_LABELS = {
    "reached_resolved": "已联系,已解决",
    "reached_unresolved": "已联系,未解决",
    "no_answer": "无人接听",
    "wrong_number": "号码错误",
    "refused": "客户拒绝",
}
STATUS_LABELS = {"pending": "待回访", "claimed": "处理中", "placed": "已拨出,待记录结果"}

CALLBACK_ROWS = """{% for e in entries %}
<tr class="callback{% if e.overdue %} overdue{% endif %}" data-callback="{{ e.id }}">
<td><a href="/callbacks/{{ e.id|urlencode }}">{{ e.id }}</a></td>
<td><a href="/tickets/{{ e.ticket|urlencode }}">{{ e.ticket }}</a></td>
<td>{{ e.phone }}</td><td>{{ e.due_at }}{% if e.overdue %} 已超时{% endif %}</td>
<td>{{ e.attempts }}/{{ e.max_attempts }}</td><td>{{ status_labels.get(e.status, e.status) }}</td>
<td class="holder">{{ e.holder or '' }}</td><td>
{% if not e.holder %}<form method="post" action="/callbacks/{{ e.id|urlencode }}/claim">
<input type="hidden" name="csrf" value="{{ csrf }}"><button class="claim">认领</button></form>
{% elif e.holder == user.name %}
<form method="post" action="/callbacks/{{ e.id|urlencode }}/outcome" class="outcome">
<input type="hidden" name="csrf" value="{{ csrf }}"><select name="outcome">
{% for code in outcome_codes %}<option value="{{ code }}">{{ outcome_labels.get(code, code) }}
</option>{% endfor %}</select><input name="note" placeholder="备注" maxlength="200">
<button class="record">记录结果</button></form>
<form method="post" action="/callbacks/{{ e.id|urlencode }}/release">
<input type="hidden" name="csrf" value="{{ csrf }}"><button>放弃</button></form>{% endif %}
{% if not e.holder or e.holder == user.name %}
<form method="post" action="/callbacks/{{ e.id|urlencode }}/reschedule" class="reschedule">
<input type="hidden" name="csrf" value="{{ csrf }}">
<input type="datetime-local" name="due_at" required><button>改期</button></form>{% endif %}
</td></tr>{% endfor %}"""

CALLBACKS = """{% extends "base" %}{% block body %}
<p>营业时间 {{ hours }};免打扰时段内不能改期。认领后 {{ hold_minutes }} 分钟内有效。</p>
<h2>已超时 ({{ overdue|length }})</h2>
<table id="overdue"><tr><th>回访</th><th>工单</th><th>电话</th><th>应回访时间</th><th>次数</th>
<th>状态</th><th>认领人</th><th>操作</th></tr>
{% with entries=overdue %}{% include "callback_rows" %}{% endwith %}</table>
<h2>今日待回访 ({{ due|length }})</h2>
<table id="due"><tr><th>回访</th><th>工单</th><th>电话</th><th>应回访时间</th><th>次数</th>
<th>状态</th><th>认领人</th><th>操作</th></tr>
{% with entries=due %}{% include "callback_rows" %}{% endwith %}</table>{% endblock %}"""

CALLBACK = """{% extends "base" %}{% block body %}
<p>工单 <a href="/tickets/{{ c.ticket|urlencode }}">{{ c.ticket }}</a> · 电话 {{ c.phone }}
· 应回访 <span class="{% if c.overdue %}overdue{% endif %}">{{ c.due_at }}</span>
· 状态 <b id="cb-status">{{ c.status }}</b> · 次数 {{ c.attempts }}/{{ c.max_attempts }}
· 认领人 <span id="cb-holder">{{ c.holder or '—' }}</span>
{% if c.last_outcome %}· 最近结果 {{ outcome_labels.get(c.last_outcome, c.last_outcome) }}
{% endif %}</p>
<h2>记录</h2><table id="events"><tr><th>时间</th><th>事件</th><th>操作人</th><th>详情</th></tr>
{% for e in events %}<tr><td>{{ e.at }}</td><td>{{ e.event }}</td>
<td>{{ e.actor or e.worker or '' }}</td><td>{{ e.detail }}</td></tr>{% endfor %}</table>
<p><a href="/callbacks">返回回访列表</a></p>{% endblock %}"""

FIGURES = """{% extends "base" %}{% block body %}
<form method="get" action="/figures"><label>时间范围 <select name="days" id="days">
{% for d in periods %}<option value="{{ d }}" {% if d == f.period.days %}selected{% endif %}>
最近 {{ d }} 天</option>{% endfor %}</select></label><button>查看</button>
<a href="/api/figures?days={{ f.period.days }}">JSON</a></form>
<p>{{ f.period.start[:10] }} 至 {{ f.period.end[:16] }}</p>
<table id="summary"><tr><th>会话总数</th><th>自助解决率</th><th>转人工率</th><th>投诉</th>
<th>回访准时率</th><th>满意度</th></tr><tr>
<td>{{ f.conversations.total }}</td><td>{{ pct(f.containment.rate) }}</td>
<td>{{ pct(f.handoffs.rate) }}</td><td>{{ f.complaints.total }}</td>
<td>{{ pct(f.callbacks.rate) }}({{ f.callbacks.on_time }}/{{ f.callbacks.on_time
 + f.callbacks.late }})</td>
<td>{{ f.satisfaction.average if f.satisfaction.average is not none else '—' }}
({{ f.satisfaction.rated }} 人评价)</td></tr></table>
<h2>每日会话(按渠道)</h2>{{ charts.per_day|safe }}
<h2>转人工原因</h2>{{ charts.handoffs|safe }}
<h2>投诉类别</h2>{{ charts.complaints|safe }}
<h2>回访</h2>{{ charts.callbacks|safe }}
<p>准时 {{ f.callbacks.on_time }} · 迟到 {{ f.callbacks.late }}(其中未回访
{{ f.callbacks.not_called }})· 尚未到期判断 {{ f.callbacks.waiting }} · 宽限
{{ f.callbacks.grace_minutes|int }} 分钟</p>
<h2>满意度分布</h2>{{ charts.satisfaction|safe }}{% endblock %}"""

PRINT = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>会话记录 {{ cid }}</title>
<style>
body{font-family:serif;margin:2em;color:#000}h1{font-size:1.3em}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.2em .4em;
text-align:left;vertical-align:top;font-size:.9em}.caller td{background:#f3f3f3}
.meta{font-size:.85em;color:#333}.noprint{margin-bottom:1em}
@media print{.noprint{display:none}body{margin:0}tr{page-break-inside:avoid}
td,th{border-color:#000}.caller td{background:none}}
@page{size:A4;margin:15mm}
</style></head><body>
<p class="noprint"><button onclick="window.print()">打印</button>
<a href="/conversations/{{ cid|urlencode }}">返回</a></p>
<h1>会话记录 {{ cid }}</h1>
<p class="meta">打印人 {{ user.name }} · {{ printed_at }} · 号码已脱敏
{% if audit %} · 话术审核:{{ '通过' if audit.passed else '未通过' }}{% endif %}
{% if hung_up_by %} · 先挂断:{{ hangup_labels.get(hung_up_by, hung_up_by) }}{% endif %}</p>
{% if audit and not audit.passed %}<ul>{% for f in audit.findings %}
<li>{{ f.kind }} {{ f.detail }}</li>{% endfor %}</ul>{% endif %}
<table id="print-transcript"><thead><tr><th>时间</th><th>说话方</th><th>内容</th>
<th>意图</th></tr></thead><tbody>
{% for t in turns %}<tr class="{{ t.speaker }}"><td>{{ t.time }}</td><td>{{ t.speaker }}
{% if t.agent %}({{ t.agent }}){% endif %}</td><td>{{ t.text }}</td><td>{{ t.intent }}</td>
</tr>{% endfor %}</tbody></table></body></html>"""

HANGUP_LABELS = {"caller": "来电方", "bot": "机器人", "none": "未接通"}


def register_templates() -> None:
    ENV.loader.mapping.update({  # type: ignore[union-attr]
        "callbacks": CALLBACKS, "callback_rows": CALLBACK_ROWS, "callback": CALLBACK,
        "figures": FIGURES, "print": PRINT,
    })
    ENV.globals.update(hangup_labels=HANGUP_LABELS, severities=[s.value for s in Severity])
