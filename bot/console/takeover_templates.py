"""The take-over page (registered into the console's Jinja2 environment, extends "base").

The page polls `/api/takeover/<id>?after=<last turn index>` every second for new turns
(the customer's messages appear while the bot is paused) and sends the agent's lines
with `fetch` as form posts carrying the CSRF token. Everything from the server is put in
the page with `textContent`, never as HTML.
"""

from __future__ import annotations

from bot.console.templates import ENV

TAKEOVER = """{% extends "base" %}{% block body %}
<p><a href="/conversations/{{ cid|urlencode }}">完整记录</a> · 渠道 {{ channel or '未知' }}</p>
<p id="takeover-state" data-status="{{ status }}">
{% if status == 'mine' %}您正在接管此会话,机器人已暂停。
{% elif status == 'other' %}该会话已由 {{ takeover.agent }} 接管。
{% elif status == 'handed_back' %}已由 {{ takeover.agent }} 交还机器人。
{% else %}机器人正在服务此会话。{% endif %}</p>
{% if status == 'other' and user.can_reveal %}
<form method="post" action="/takeover/{{ cid|urlencode }}/release">
<input type="hidden" name="csrf" value="{{ csrf }}">
<button id="release">代为交还机器人</button></form>
{% endif %}
{% if supported and status != 'mine' and status != 'other' %}
<form method="post" action="/takeover/{{ cid|urlencode }}/claim">
<input type="hidden" name="csrf" value="{{ csrf }}"><button id="claim">接管会话</button></form>
{% endif %}
<table id="live"><thead><tr><th>时间</th><th>说话方</th><th>内容</th></tr></thead><tbody>
{% for t in turns %}<tr class="turn {{ t.speaker }}" data-index="{{ t.index }}">
<td>{{ t.time }}</td>
<td>{% if t.speaker == 'caller' %}客户{% elif t.speaker == 'agent' %}人工客服 {{ t.agent }}
{% else %}机器人{% endif %}</td><td class="text">{{ t.text }}</td></tr>{% endfor %}
</tbody></table>
{% if status == 'mine' %}
<form id="send-form"><input type="hidden" name="csrf" value="{{ csrf }}">
<textarea id="message" name="text" rows="3" cols="60" maxlength="{{ max_chars }}"></textarea>
<button id="send">发送</button></form><p class="error" id="send-error"></p>
<form method="post" action="/takeover/{{ cid|urlencode }}/handback">
<input type="hidden" name="csrf" value="{{ csrf }}"><button id="handback">交还机器人</button></form>
{% endif %}
<script>
const cid={{ cid|tojson }};
const api='/api/takeover/'+encodeURIComponent(cid);
const tbody=document.querySelector('#live tbody');
let last={{ last|tojson }};
function cell(tr,text){const td=document.createElement('td');td.textContent=text;tr.appendChild(td);
  return td}
function speaker(t){
  return t.speaker==='caller'?'客户':t.speaker==='agent'?'人工客服 '+t.agent:'机器人'}
function add(t){const tr=document.createElement('tr');tr.className='turn '+t.speaker;
  tr.dataset.index=t.index;cell(tr,t.time);cell(tr,speaker(t));cell(tr,t.text).className='text';
  tbody.appendChild(tr);last=Math.max(last,t.index)}
async function poll(){try{
  const r=await fetch(api+'?after='+last,{headers:{Accept:'application/json'}});
  if(r.ok){const data=await r.json();data.turns.forEach(add)}}catch(e){}
  setTimeout(poll,1000)}
setTimeout(poll,1000);
const form=document.getElementById('send-form');
if(form){form.addEventListener('submit',async e=>{e.preventDefault();
  const error=document.getElementById('send-error');error.textContent='';
  const r=await fetch(api+'/messages',{method:'POST',body:new URLSearchParams(new FormData(form))});
  let data={};try{data=await r.json()}catch(x){}
  if(r.ok){document.getElementById('message').value=''}
  else{error.textContent=data.message||('发送失败('+r.status+')')}})}
</script>{% endblock %}"""


def register_templates() -> None:
    """Add the take-over page to the console's templates (idempotent)."""
    ENV.loader.mapping["takeover"] = TAKEOVER  # type: ignore[union-attr]
