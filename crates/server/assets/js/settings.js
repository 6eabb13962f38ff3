// Enhancements of the settings pages: a one-time link is selected when focused,
// ready to copy.
(function () {
  Rapport.onReady(function () {
    var inputs = document.querySelectorAll('input.copyable');
    for (var i = 0; i < inputs.length; i++) {
      inputs[i].addEventListener('focus', function (e) { e.target.select(); });
    }
  });
})();
