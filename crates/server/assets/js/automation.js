// Enhancements of the automation settings pages.
// The workflow form: show only the parameters the chosen trigger or action
// uses. Without this script every parameter is shown and the unused ones are ignored.
(function () {
  function sync(select) {
    var box = document.getElementById(select.getAttribute('data-params'));
    if (!box) return;
    var params = box.querySelectorAll('.automation-param');
    for (var i = 0; i < params.length; i++) {
      var wanted = params[i].getAttribute('data-show').split(' ');
      params[i].hidden = wanted.indexOf(select.value) < 0;
    }
  }
  Rapport.onReady(function () {
    var selects = document.querySelectorAll('select[data-params]');
    for (var i = 0; i < selects.length; i++) {
      sync(selects[i]);
      selects[i].addEventListener('change', function (e) { sync(e.target); });
    }
  });
})();
