// Enhancements of the lists pages: "select all", a bulk bar that waits for a
// choice, and filters applied as soon as they change. Every page works without them.
(function () {
  "use strict";
  Rapport.onReady(function () {
    var filters = document.getElementById("list-filters");
    if (filters) {
      var panel = document.getElementById("list-filter-panel");
      if (panel && window.matchMedia && window.matchMedia("(min-width: 40rem)").matches) panel.open = true;
      Array.prototype.forEach.call(filters.querySelectorAll("select[data-autosubmit]"), function (s) {
        s.addEventListener("change", function () {
          if (filters.requestSubmit) filters.requestSubmit(); else filters.submit();
        });
      });
    }

    var bulk = document.getElementById("list-bulk");
    if (!bulk) return;
    var all = document.getElementById("list-select-all");
    var rows = bulk.querySelectorAll("input.list-row-check");
    var count = document.getElementById("list-selected");
    var buttons = bulk.querySelectorAll("#list-bulkbar button");

    function update() {
      var n = 0;
      Array.prototype.forEach.call(rows, function (r) { if (r.checked) n++; });
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = n === 0; });
      if (all) {
        all.checked = n > 0 && n === rows.length;
        all.indeterminate = n > 0 && n < rows.length;
      }
      if (count) count.textContent = n ? (count.getAttribute("data-template") || "%n").replace("%n", String(n)) : "";
    }

    if (all) {
      all.addEventListener("change", function () {
        Array.prototype.forEach.call(rows, function (r) { r.checked = all.checked; });
        update();
      });
    }
    Array.prototype.forEach.call(rows, function (r) { r.addEventListener("change", update); });
    update();
  });
})();
