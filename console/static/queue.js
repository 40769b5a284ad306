// The hand-off queue, live: the server's feed (/api/handoffs/stream, server-sent events)
// says when a hand-off arrives or is taken; the queue is then fetched again as rendered by
// the server (/handoffs/live: labels, masked numbers, sorted by priority and waiting time).
(function () {
  'use strict';
  document.addEventListener('DOMContentLoaded', function () {
    const box = document.getElementById('queue-live');
    if (!box) return;
    const dot = document.getElementById('live');
    let timer = null;

    async function refresh() {
      timer = null;
      try {
        const view = box.dataset.view === 'claimed' ? '?view=claimed' : '';
        const r = await fetch('/handoffs/live' + view, { credentials: 'same-origin' });
        if (!r.ok) return;
        box.innerHTML = await r.text();  // the server's autoescaped fragment
        window.hotlineConsole.tick();
      } catch (e) { /* the next event tries again */ }
    }

    function later() { if (!timer) timer = setTimeout(refresh, 150); }

    const source = new EventSource('/api/handoffs/stream?since=' +
                                   encodeURIComponent(box.dataset.since || '$'));
    source.addEventListener('open', function () { if (dot) dot.classList.add('on'); });
    source.addEventListener('error', function () { if (dot) dot.classList.remove('on'); });
    source.addEventListener('handoff', later);
    source.addEventListener('claimed', later);
  });
})();
