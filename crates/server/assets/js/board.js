// Enhancements of the board pages: drag a card to another column to change
// the deal's stage. The "Move to" link on each card leads to a small page
// that does the same without script, by keyboard and on touch screens. A card
// dropped on a won or lost column leaves the board: those columns show their
// count and total only.
(function () {
  "use strict";

  function money(lang, minor, currency) {
    try {
      var f = new Intl.NumberFormat(lang, { style: "currency", currency: currency });
      var digits = f.resolvedOptions().maximumFractionDigits;
      return f.format(minor / Math.pow(10, digits));
    } catch (e) {
      return (minor / 100).toFixed(2) + " " + currency;
    }
  }

  // Adds `sign` times a card to a column's count and total.
  function adjust(board, column, card, sign) {
    var lang = board.getAttribute("data-lang") || "en";
    var count = column.querySelector(".board-count");
    var n = parseInt(count.getAttribute("data-count"), 10) + sign;
    count.setAttribute("data-count", String(n));
    count.textContent = new Intl.NumberFormat(lang).format(n);
    var total = column.querySelector(".board-total");
    var totals = {};
    try { totals = JSON.parse(total.getAttribute("data-totals") || "{}"); } catch (e) { totals = {}; }
    var currency = card.getAttribute("data-currency");
    var amount = parseInt(card.getAttribute("data-amount"), 10) || 0;
    totals[currency] = (totals[currency] || 0) + sign * amount;
    if (n === 0) totals = {};
    Object.keys(totals).forEach(function (c) { if (totals[c] === 0 && Object.keys(totals).length > 1) delete totals[c]; });
    total.setAttribute("data-totals", JSON.stringify(totals));
    var parts = Object.keys(totals).sort().map(function (c) { return money(lang, totals[c], c); });
    total.textContent = parts.length ? parts.join(" + ") : money(lang, 0, board.getAttribute("data-currency") || currency);
    var none = column.querySelector(".board-none");
    if (none) none.hidden = column.querySelectorAll(".board-card").length > 0;
  }

  // The element an event happened on (some browsers report a text node).
  function element(e) {
    var t = e.target;
    return t && t.nodeType === 1 ? t : t && t.parentElement;
  }

  function move(board, card, target) {
    var from = card.closest(".board-column");
    if (!from || from === target) return;
    var stage = target.getAttribute("data-stage");
    var version = card.getAttribute("data-version");
    card.classList.add("is-pending");
    Rapport.api("PATCH", "/api/v1/deals/" + card.getAttribute("data-deal"), { stage_id: stage }, '"' + version + '"')
      .then(function (res) {
        card.classList.remove("is-pending");
        if (res.status >= 200 && res.status < 300) {
          var v = res.body && res.body.version !== undefined ? String(res.body.version) : res.etag ? res.etag.replace(/"/g, "") : version;
          card.setAttribute("data-version", v);
          var cards = target.querySelector(".board-cards");
          if (cards) cards.insertBefore(card, cards.querySelector(".board-card"));
          else card.remove();
          adjust(board, from, card, -1);
          adjust(board, target, card, 1);
          // One message with the stage's place in it, so that word order follows the language.
          Rapport.announce(board.getAttribute("data-msg-moved").replace("{stage}", target.getAttribute("data-stage-name")));
          return;
        }
        var reason = Rapport.problemText(res.body, board.getAttribute("data-msg-problems"));
        var msg = res.status === 412 ? board.getAttribute("data-msg-stale")
          : res.status === 403 ? board.getAttribute("data-msg-forbidden")
          : reason ? board.getAttribute("data-msg-failed-reason").replace("{reason}", reason)
          : board.getAttribute("data-msg-failed");
        Rapport.announce(msg, true);
      }, function () {
        card.classList.remove("is-pending");
        Rapport.announce(board.getAttribute("data-msg-failed"), true);
      });
  }

  Rapport.onReady(function () {
    var board = document.getElementById("board");
    if (!board || board.getAttribute("data-writable") !== "true") return;
    var dragged = null;
    board.addEventListener("dragstart", function (e) {
      var el = element(e);
      var card = el && el.closest(".board-card");
      if (!card) return;
      dragged = card;
      card.classList.add("is-dragging");
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", card.getAttribute("data-deal"));
    });
    board.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("is-dragging");
      dragged = null;
      Array.prototype.forEach.call(board.querySelectorAll(".is-over"), function (c) { c.classList.remove("is-over"); });
    });
    board.addEventListener("dragover", function (e) {
      var el = element(e);
      var column = el && el.closest(".board-column");
      if (!dragged || !column) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
      Array.prototype.forEach.call(board.querySelectorAll(".is-over"), function (c) { if (c !== column) c.classList.remove("is-over"); });
      column.classList.add("is-over");
    });
    board.addEventListener("drop", function (e) {
      var el = element(e);
      var column = el && el.closest(".board-column");
      if (!dragged || !column) return;
      e.preventDefault();
      column.classList.remove("is-over");
      move(board, dragged, column);
    });
  });
})();
