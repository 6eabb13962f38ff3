// Enhancements of the import pages: a button says it is working and cannot be
// pressed twice (uploads and previews can take a while). The progress page
// reloads itself without script (a Refresh header) until the job is over.
(function () {
  'use strict';
  Rapport.onReady(function () {
    var forms = document.querySelectorAll('#import-upload-form, #import-mapping-form, #import-run-form');
    Array.prototype.forEach.call(forms, function (form) {
      form.addEventListener('submit', function () {
        var b = form.querySelector('button[type="submit"][data-busy]');
        if (!b) { return; }
        // After the submit has gone: a disabled button would not be sent.
        window.setTimeout(function () {
          b.disabled = true;
          b.setAttribute('aria-busy', 'true');
          b.textContent = b.getAttribute('data-busy');
        }, 0);
      });
    });
  });
})();
