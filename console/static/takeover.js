// The take-over page: new turns appear every second (/api/takeover/<id>?after=<index>), the
// agent's lines are sent with fetch as form posts carrying the CSRF token. Everything from
// the server goes into the page with textContent, never as HTML.
(function () {
  'use strict';
  document.addEventListener('DOMContentLoaded', function () {
    const live = document.getElementById('live');
    if (!live) return;
    const api = '/api/takeover/' + encodeURIComponent(live.dataset.cid);
    let last = Number(live.dataset.last || -1);
    const initials = { caller: '客', bot: '机', agent: '人' };

    function el(tag, cls, text) {
      const node = document.createElement(tag);
      if (cls) node.className = cls;
      if (text !== undefined) node.textContent = text;
      return node;
    }

    function add(t) {
      const msg = el('div', 'msg ' + t.speaker);
      msg.dataset.index = t.index;
      msg.appendChild(el('div', 'who', initials[t.speaker] || ''));
      const body = el('div', 'body');
      const who = t.speaker === 'agent' ? t.speaker_label + ' ' + (t.agent || '') : t.speaker_label;
      body.appendChild(el('div', 'meta', who + ' · ' + (t.time_text || '')));
      body.appendChild(el('div', 'bubble text', t.text));
      msg.appendChild(body);
      live.appendChild(msg);
      last = Math.max(last, t.index);
      live.scrollTop = live.scrollHeight;
    }

    async function poll() {
      try {
        const r = await fetch(api + '?after=' + last, { headers: { Accept: 'application/json' } });
        if (r.ok) {
          const data = await r.json();
          data.turns.forEach(function (t) {
            if (!t.control) add(t);  // control notices are not lines anybody said
            last = Math.max(last, t.index);
          });
        }
      } catch (e) { /* try again */ }
      setTimeout(poll, 1000);
    }
    setTimeout(poll, 1000);
    live.scrollTop = live.scrollHeight;

    const form = document.getElementById('send-form');
    if (!form) return;
    form.addEventListener('submit', async function (e) {
      e.preventDefault();
      const error = document.getElementById('send-error');
      error.textContent = '';
      const r = await fetch(api + '/messages', { method: 'POST', body: new URLSearchParams(new FormData(form)) });
      let data = {};
      try { data = await r.json(); } catch (x) { /* not JSON */ }
      if (r.ok) document.getElementById('message').value = '';
      else error.textContent = data.message || ('发送失败(' + r.status + ')');
    });
  });
})();
