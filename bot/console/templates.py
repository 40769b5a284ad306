"""The console's pages (Jinja2, autoescaped)."""

from __future__ import annotations

from jinja2 import DictLoader, Environment, select_autoescape

BASE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ title }} · 热线控制台</title>
<style>
body{font-family:sans-serif;margin:0 1.5em}nav a{margin-right:1em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
.overdue{color:#c00;font-weight:bold}.marker{color:#c00}.agent{background:#fff6e0}
.caller{background:#eef6ff}.error{color:#c00}
</style></head><body>
{% if user %}<nav><a href="/handoffs">转人工队列</a><a href="/tickets">工单</a>
<a href="/callbacks">回访</a>
{% if user.can_reveal %}<a href="/audit">话术审核</a><a href="/figures">统计</a>{% endif %}
<span>{{ user.name }} ({{ user.role }})</span>
<form method="post" action="/logout" style="display:inline">
<input type="hidden" name="csrf" value="{{ csrf }}"><button>退出</button></form></nav>{% endif %}
<h1>{{ title }}</h1>
{% if error %}<p class="error" id="error">{{ error }}</p>{% endif %}
{% block body %}{% endblock %}</body></html>"""

LOGIN = """{% extends "base" %}{% block body %}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{{ csrf }}">
<input type="hidden" name="next" value="{{ next }}">
<label>用户名 <input name="name" id="name" autocomplete="username"></label>
<label>密码 <input name="password" id="password" type="password"></label>
<button id="login">登录</button></form>{% endblock %}"""

HANDOFFS = """{% extends "base" %}{% block body %}
<table id="handoffs"><thead><tr><th>会话</th><th>原因</th><th>渠道</th><th>来电</th>
<th>等待</th><th>工单</th><th></th></tr></thead><tbody>
{% for h in handoffs %}{% include "handoff_row" %}{% endfor %}</tbody></table>
<script>
const tbody = document.querySelector('#handoffs tbody');
function esc(s){const d=document.createElement('span');
  d.textContent=s==null?'':String(s);return d.innerHTML}
function waited(iso){const s=Math.max(0,(Date.now()-Date.parse(iso))/1000|0);
  return Math.floor(s/60)+' 分 '+(s%60)+' 秒'}
function row(h){const tr=document.createElement('tr');tr.className='handoff';
  tr.dataset.conversation=h.conversation_id;tr.dataset.created=h.created_at;
  const c=encodeURIComponent(h.conversation_id);
  tr.innerHTML='<td><a href="/conversations/'+c+'">'+esc(h.conversation_id)+'</a></td><td>'+
   esc(h.reason)+(h.priority?' ⚠':'')+'</td><td>'+esc(h.channel)+'</td><td>'+esc(h.caller_masked)+
   '</td><td class="wait"></td><td>'+(h.ticket_id?'<a href="/tickets/'+
   encodeURIComponent(h.ticket_id)+
   '">'+esc(h.ticket_id)+'</a>':'')+'</td><td><form method="post" action="/handoffs/'+c+
   '/claim"><input type="hidden" name="csrf" value="'+esc({{ csrf|tojson }})+
   '"><button class="claim">接手</button></form></td>';return tr}
function tick(){for(const tr of tbody.querySelectorAll('tr'))
  tr.querySelector('.wait').textContent=waited(tr.dataset.created)}
setInterval(tick,1000);tick();
const source=new EventSource('/api/handoffs/stream?since='+encodeURIComponent({{ since|tojson }}));
source.addEventListener('handoff',e=>{const h=JSON.parse(e.data);
  if(tbody.querySelector('tr[data-conversation="'+CSS.escape(h.conversation_id)+'"]'))return;
  tbody.appendChild(row(h));tick()});
source.addEventListener('claimed',e=>{const h=JSON.parse(e.data);  // taken by someone
  const tr=tbody.querySelector('tr[data-conversation="'+CSS.escape(h.conversation_id)+'"]');
  if(tr)tr.remove()});
</script>{% endblock %}"""

HANDOFF_ROW = """<tr class="handoff" data-conversation="{{ h.conversation_id }}"
 data-created="{{ h.created_at }}"><td><a href="/conversations/{{ h.conversation_id|urlencode }}">
{{ h.conversation_id }}</a></td><td>{{ h.reason }}{% if h.priority %} ⚠{% endif %}</td>
<td>{{ h.channel }}</td><td>{{ h.caller_masked }}</td><td class="wait"></td><td>
{% if h.ticket_id %}<a href="/tickets/{{ h.ticket_id }}">{{ h.ticket_id }}</a>{% endif %}
</td><td><form method="post" action="/handoffs/{{ h.conversation_id|urlencode }}/claim">
<input type="hidden" name="csrf" value="{{ csrf }}"><button class="claim">接手</button></form>
</td></tr>"""

TRANSCRIPT = """{% extends "base" %}{% block body %}
<p><a href="/api/conversations/{{ cid|urlencode }}">导出 JSON</a>
· <a id="print-link" href="/conversations/{{ cid|urlencode }}/print">打印</a>
· <a id="takeover-link" href="/takeover/{{ cid|urlencode }}">人工接管</a>
{% if user.can_reveal and not revealed %}
<form method="post" action="/conversations/{{ cid|urlencode }}/reveal" style="display:inline">
<input type="hidden" name="csrf" value="{{ csrf }}"><button id="reveal">显示完整号码</button></form>
{% endif %}{% if revealed %}<strong>号码已显示(已记录审计)</strong>{% endif %}</p>
{% if audit %}<p>话术审核:{% if audit.passed %}通过{% else %}<span class="error">未通过</span>
{% for f in audit.findings %} · {{ f.kind }} {{ f.detail }}{% endfor %}{% endif %}
{% if audit.hung_up_by %} · 先挂断:<span id="hung-up-by">{{ hangup_labels.get(audit.hung_up_by,
 audit.hung_up_by) }}</span>{% endif %}</p>{% endif %}
<table id="transcript"><thead><tr><th>时间</th><th>说话方</th><th>内容</th><th>意图</th>
<th>实体</th><th>动作</th></tr></thead><tbody>
{% for t in turns %}<tr class="turn {{ t.speaker }}"><td>{{ t.time }}</td><td>{{ t.speaker }}
{% if t.agent %}({{ t.agent }}){% endif %}</td><td class="text">{{ t.text }}
{% if t.marker %}<span class="marker">[{{ t.marker }}]</span>{% endif %}</td>
<td>{{ t.intent }}{% if t.get('confidence') is not none %}
{{ '%.2f'|format(t.confidence) }}{% endif %}</td>
<td>{% for e in t.entities or [] %}{{ e.entity }}={{ e.value }} {% endfor %}</td>
<td>{{ t.action }}</td></tr>{% endfor %}</tbody></table>{% endblock %}"""

TICKETS = """{% extends "base" %}{% block body %}
<form method="get" action="/tickets"><select name="status"><option value="">未处理</option>
{% for s in statuses %}<option {% if s == status %}selected{% endif %}>{{ s }}</option>{% endfor %}
</select><input name="phone" placeholder="电话" value="{{ phone }}">
<input name="number" placeholder="工单号" value="{{ number }}">
<select name="severity"><option value="">全部严重度</option>{% for s in severities %}
<option {% if s == severity %}selected{% endif %}>{{ s }}</option>{% endfor %}</select>
<select name="due"><option value="">全部期限</option>{% for k, label in due_filters.items() %}
<option value="{{ k }}" {% if k == due %}selected{% endif %}>{{ label }}</option>{% endfor %}
</select><button>筛选</button></form>
<table id="tickets"><tr><th>工单号</th><th>状态</th><th>严重度</th><th>类别</th><th>来电</th>
<th>期限</th><th>层级</th><th>负责人</th></tr>{% for t in tickets %}
<tr class="{% if t.overdue %}overdue{% endif %}">
<td><a href="/tickets/{{ t.number }}">{{ t.number }}</a></td>
<td>{{ t.status }}</td><td>{{ t.severity }}</td><td>{{ t.category }}</td><td>{{ t.phone }}</td>
<td>{{ t.due_text or t.due_at or '' }}{% if t.overdue %} 已超时{% endif %}</td>
<td>{{ t.tier_text or t.tier }}{% if t.escalations %} · 已升级 {{ t.escalations }} 次{% endif %}
</td><td>{{ t.owner }}</td></tr>
{% endfor %}</table>{% endblock %}"""

TICKET = """{% extends "base" %}{% block body %}
<p class="{% if t.overdue %}overdue{% endif %}">状态 <b id="status">{{ t.status }}</b> · 严重度
<span id="severity">{{ t.severity }}</span> · 层级 {{ t.tier_text or t.tier }}
{% if t.escalations %}(已自动升级 {{ t.escalations }} 次){% endif %} · 升级期限
{{ t.due_text or t.due_at or '—' }}{% if t.overdue %} 已超时{% endif %}
· 承诺客户 {{ t.promised_text or '—' }} · 负责人 <span id="owner">{{ t.owner }}</span></p>
<p>类别 {{ t.category }} · 来电 {{ t.phone }} · 会话
{% if t.conversation_id %}<a href="/conversations/{{ t.conversation_id|urlencode }}">
{{ t.conversation_id }}</a>{% endif %}
· 满意度 {{ t.satisfaction if t.satisfaction is not none else '—' }}</p>
<p>{{ t.description }}</p>
<h2>状态历史</h2><table id="history">
<tr><th>时间</th><th>操作人</th><th>从</th><th>到</th><th>备注</th></tr>
{% for h in t.history %}<tr><td>{{ h.at }}</td><td>{{ h.actor }}</td><td>{{ h.from or '' }}</td>
<td>{{ h.to }}</td><td>{{ h.note }}</td></tr>{% endfor %}</table>
<h2>备注</h2><ul id="notes">{% for n in t.notes %}
<li>{{ n.at }} {{ n.author }}:{{ n.text }}</li>{% endfor %}</ul>
<form method="post" action="/tickets/{{ t.number }}/notes"><input type="hidden" name="csrf"
 value="{{ csrf }}"><input name="text" id="note-text" placeholder="备注" maxlength="2000">
<button id="add-note">添加备注</button></form>
<form method="post" action="/tickets/{{ t.number }}/owner"><input type="hidden" name="csrf"
 value="{{ csrf }}"><input name="owner" id="owner-input" value="{{ t.owner }}" maxlength="200">
<button>更改负责人</button></form>
<form method="post" action="/tickets/{{ t.number }}/severity"><input type="hidden" name="csrf"
 value="{{ csrf }}"><select name="severity">{% for s in severities %}<option
 {% if s == t.severity %}selected{% endif %}>{{ s }}</option>{% endfor %}</select>
<input name="note" placeholder="原因" maxlength="200"><button>更改严重度</button></form>
{% if transitions %}<form method="post" action="/tickets/{{ t.number }}/status">
<input type="hidden" name="csrf" value="{{ csrf }}"><select name="to">
{% for s in transitions %}<option>{{ s }}</option>{% endfor %}</select>
<input name="note" placeholder="备注"><button>更改状态</button></form>{% endif %}
{% if t.status == 'resolved' %}<form method="post" action="/tickets/{{ t.number }}/close">
<input type="hidden" name="csrf" value="{{ csrf }}"><label>满意度 <select name="satisfaction">
{% for s in [5,4,3,2,1] %}<option>{{ s }}</option>{% endfor %}</select></label>
<input name="note" placeholder="备注"><button id="close">关闭工单</button></form>{% endif %}
{% endblock %}"""

AUDIT = """{% extends "base" %}{% block body %}
<p>检查了 {{ checked }} 个会话,{{ failed|length }} 个未通过。</p>
<table id="audit"><tr><th>会话</th><th>问题</th><th>先挂断</th></tr>{% for r in failed %}
<tr><td><a href="/conversations/{{ r.conversation_id|urlencode }}">{{ r.conversation_id }}</a></td>
<td>{% for f in r.findings %}{{ f.kind }}{% if f.detail %}:{{ f.detail }}{% endif %}<br>{% endfor %}
</td><td>{{ hangup_labels.get(r.hung_up_by, r.hung_up_by) if r.hung_up_by else '' }}</td></tr>
{% endfor %}</table>{% endblock %}"""

ENV = Environment(
    loader=DictLoader({
        "base": BASE, "login": LOGIN, "handoffs": HANDOFFS, "handoff_row": HANDOFF_ROW,
        "transcript": TRANSCRIPT, "tickets": TICKETS, "ticket": TICKET, "audit": AUDIT,
    }),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def render(name: str, **context: object) -> str:
    return ENV.get_template(name).render(**context)
