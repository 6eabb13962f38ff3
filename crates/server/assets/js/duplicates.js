// Enhancements of the duplicate review and merge pages.
// Choosing another record to keep moves each field's choice to that record's
// value when it has one, as the page does when first drawn. The form works
// without this: every choice is sent explicitly.
Rapport.onReady(function () {
  var form = document.getElementById('duplicates-merge-form');
  if (!form) return;
  var survivors = form.querySelectorAll('input[name="survivor"]');
  Array.prototype.forEach.call(survivors, function (s) {
    s.addEventListener('change', function () {
      if (!s.checked) return;
      var radios = form.querySelectorAll('.duplicates-field input[type="radio"]');
      Array.prototype.forEach.call(radios, function (r) {
        if (r.value === s.value && r.getAttribute('data-blank') !== 'true') r.checked = true;
      });
    });
  });
});
