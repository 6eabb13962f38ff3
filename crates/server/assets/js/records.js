// Enhancements of the records pages: a fact is edited where it is shown and
// saved through the JSON API with the version the page was drawn from. Without
// script the page's edit form does the same.
"use strict";
(function () {
  function button(text, type, cls) {
    var b = document.createElement("button");
    b.type = type;
    b.textContent = text;
    if (cls) b.className = cls;
    return b;
  }

  // A select of organizations holds only the current choice: the search field
  // above it (sent with the form when there is no script) finds any other
  // through the search API as one types, and offers the matches in the select.
  function searchable(select) {
    var box = document.getElementById(select.id + "-q");
    if (!box) return;
    // The select holds the choice now; the server need not search again.
    box.removeAttribute("name");
    box.setAttribute("aria-controls", select.id);
    var timer = null;
    // Enter picks the match; it does not send the form.
    box.addEventListener("keydown", function (e) { if (e.key === "Enter") e.preventDefault(); });
    box.addEventListener("input", function () {
      clearTimeout(timer);
      var q = box.value.trim();
      if (q.length < 2) return;
      timer = setTimeout(function () {
        var url = "/api/v1/search?kinds=" + select.getAttribute("data-search") + "&limit=20&q=" + encodeURIComponent(q);
        Rapport.api("GET", url).then(function (res) {
          if (res.status !== 200 || !res.body || box.value.trim() !== q) return;
          var items = res.body.items || [];
          items.slice().reverse().forEach(function (it) {
            var existing = select.querySelector('option[value="' + it.id + '"]');
            if (existing) existing.parentNode.removeChild(existing);
            var o = document.createElement("option");
            o.value = it.id;
            o.textContent = it.label;
            // Matches come right after the empty choice.
            select.insertBefore(o, select.options[1] || null);
          });
          if (items.length) select.value = items[0].id;
        });
      }, 250);
    });
  }

  Rapport.onReady(function () {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-search]"), searchable);
  });

  Rapport.onReady(function () {
    var root = document.getElementById("record");
    if (!root) return;
    var coll = root.getAttribute("data-collection");
    var id = root.getAttribute("data-id");
    function msg(k) { return root.getAttribute("data-msg-" + k) || ""; }
    // The field a record is named by: the page title follows it.
    var titleField = { tasks: "title", activities: "subject" }[coll] || "name";

    function setVersion(v) {
      if (!v) return;
      root.setAttribute("data-version", v);
      var hidden = document.querySelector('#record-edit-form input[name="version"]');
      if (hidden) hidden.value = v;
    }

    // A saved value shown as the page draws it: a date in the reader's
    // locale, a web address as a link.
    function show(value, kind, now) {
      value.textContent = "";
      if (now === "") {
        var none = document.createElement("span");
        none.className = "muted";
        none.textContent = msg("none");
        value.appendChild(none);
      } else if (kind === "url" && /^https?:\/\//i.test(now)) {
        var a = document.createElement("a");
        a.href = now;
        a.textContent = now;
        value.appendChild(a);
      } else if (kind === "date" && /^\d{4}-\d{2}-\d{2}$/.test(now)) {
        var text = now;
        try {
          text = new Intl.DateTimeFormat(root.getAttribute("data-locale") || undefined, { timeZone: "UTC", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(now + "T00:00:00Z"));
        } catch (e) { text = now; }
        value.textContent = text;
      } else {
        value.textContent = now;
      }
    }

    function open(dd) {
      if (dd.classList.contains("editing")) return;
      dd.classList.add("editing");
      var field = dd.getAttribute("data-edit");
      var kind = dd.getAttribute("data-input");
      var labelId = dd.getAttribute("data-label");
      var value = dd.querySelector(".value");
      var edit = dd.querySelector(".inplace-edit");
      value.hidden = true;
      edit.hidden = true;
      var form = document.createElement("form");
      form.className = "inplace";
      var input = document.createElement(kind === "textarea" ? "textarea" : "input");
      if (kind !== "textarea") input.type = kind === "date" || kind === "url" ? kind : "text";
      input.id = "inplace-" + field;
      input.name = field;
      input.value = dd.getAttribute("data-value") || "";
      if (labelId) input.setAttribute("aria-labelledby", labelId);
      var save = button(msg("save"), "submit");
      var cancel = button(msg("cancel"), "button", "secondary");
      var err = document.createElement("p");
      err.className = "field-error";
      err.id = "inplace-" + field + "-error";
      err.hidden = true;
      form.appendChild(input);
      form.appendChild(save);
      form.appendChild(cancel);
      form.appendChild(err);
      dd.appendChild(form);
      input.focus();

      function close() {
        dd.removeChild(form);
        value.hidden = false;
        edit.hidden = false;
        dd.classList.remove("editing");
        edit.focus();
      }
      function fail(text) {
        err.textContent = text;
        err.hidden = false;
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", err.id);
        Rapport.announce(text, true);
      }
      cancel.addEventListener("click", close);
      input.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var v = input.value.trim();
        var body = {};
        body[field] = v === "" ? null : v;
        save.disabled = true;
        var version = '"' + root.getAttribute("data-version") + '"';
        Rapport.api("PATCH", "/api/v1/" + coll + "/" + id, body, version).then(function (res) {
          save.disabled = false;
          if (res.status >= 200 && res.status < 300) {
            var rec = res.body || {};
            setVersion(rec.version !== undefined ? String(rec.version) : (res.etag || "").replace(/"/g, ""));
            var now = rec[field] === null || rec[field] === undefined ? "" : String(rec[field]);
            dd.setAttribute("data-value", now);
            show(value, kind, now);
            // The record's name may follow from the field (a person's from first and last name).
            var named = rec[titleField] || (field === titleField ? now : "");
            if (named) document.getElementById("record-title").textContent = named;
            close();
            Rapport.announce(msg("saved"));
          } else if (res.status === 412 || res.status === 409) {
            fail(msg("stale"));
          } else {
            fail(Rapport.problemText(res.body, root.getAttribute("data-msg-problems")) || msg("failed"));
          }
        }, function () {
          save.disabled = false;
          fail(msg("failed"));
        });
      });
    }

    Array.prototype.forEach.call(root.querySelectorAll("dd[data-edit]"), function (dd) {
      var edit = button(msg("edit"), "button", "secondary small inplace-edit");
      var labelId = dd.getAttribute("data-label");
      if (labelId) edit.setAttribute("aria-describedby", labelId);
      dd.appendChild(edit);
      edit.addEventListener("click", function () { open(dd); });
      dd.querySelector(".value").addEventListener("click", function (e) {
        if (!e.target.closest("a")) open(dd);
      });
    });
  });
})();
