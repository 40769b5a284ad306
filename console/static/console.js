// Shared by every console page: waiting times that count up live ([data-since]), the
// reviewers' switch that opens every "识别详情" panel, and confirmations before forms.
(function () {
  'use strict';

  function span(total) {
    const d = Math.floor(total / 86400), h = Math.floor(total % 86400 / 3600);
    const m = Math.floor(total % 3600 / 60), s = total % 60;
    if (d) return h ? d + ' 天 ' + h + ' 小时' : d + ' 天';
    if (h) return m ? h + ' 小时 ' + m + ' 分' : h + ' 小时';
    if (m) return s ? m + ' 分 ' + s + ' 秒' : m + ' 分钟';
    return s + ' 秒';
  }

  function tick() {
    document.querySelectorAll('[data-since]').forEach(function (el) {
      const start = Date.parse(el.dataset.since);
      if (isNaN(start)) return;
      const seconds = Math.max(0, Math.floor((Date.now() - start) / 1000));
      el.textContent = span(seconds);
      const warn = Number(el.dataset.warn || 0);
      const row = el.closest('tr');
      if (row && warn) {
        const late = seconds >= warn;
        row.classList.toggle('is-overdue', late);
        const badge = row.querySelector('.late-badge');
        if (badge) badge.classList.toggle('hidden', !late);
      }
    });
  }

  window.hotlineConsole = { tick: tick, span: span };

  document.addEventListener('DOMContentLoaded', function () {
    tick();
    setInterval(tick, 1000);
    const nlu = document.getElementById('show-nlu');
    if (nlu) {
      nlu.addEventListener('change', function () {
        document.querySelectorAll('.chat').forEach(function (c) { c.classList.toggle('show-nlu', nlu.checked); });
        document.querySelectorAll('details.nlu').forEach(function (d) { d.open = nlu.checked; });
      });
    }
    const print = document.getElementById('print-button');
    if (print) print.addEventListener('click', function () { window.print(); });
    document.querySelectorAll('form[data-confirm]').forEach(function (form) {
      form.addEventListener('submit', function (e) {
        if (!window.confirm(form.dataset.confirm)) e.preventDefault();
      });
    });
  });
})();
