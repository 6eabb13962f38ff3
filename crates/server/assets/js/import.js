// Enhancements of the import pages: a button says it is working and cannot be
// pressed twice (uploads can take a while), and the progress page follows the
// job through the API instead of reloading the whole page.
(function () {
  'use strict';
  Rapport.onReady(function () {
    var forms = document.querySelectorAll('#import-upload-form, #import-mapping-form, #import-run-form');
    Array.prototype.forEach.call(forms, function (form) {
      form.addEventListener('submit', function () {
        var b = form.querySelector('button[type="submit"][data-busy]');
        if (!b) { return; }
        window.setTimeout(function () {
          b.disabled = true;
          b.setAttribute('aria-busy', 'true');
          b.textContent = b.getAttribute('data-busy');
        }, 0);
      });
    });

    var job = document.querySelector('[data-import-job][data-status="queued"], [data-import-job][data-status="running"]');
    if (!job) { return; }
    var id = job.getAttribute('data-import-job');
    var poll = function () {
      Rapport.api('GET', '/api/v1/imports/' + encodeURIComponent(id)).then(function (res) {
        var s = res.body && res.body.status;
        if (res.status === 200 && s !== 'queued' && s !== 'running') {
          window.location.reload();
          return;
        }
        window.setTimeout(poll, 1500);
      }, function () { window.setTimeout(poll, 4000); });
    };
    window.setTimeout(poll, 1000);
  });
})();
